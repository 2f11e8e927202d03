//===- WorkList.h - The planner: batch -> per-CTA work for the persistent grid -*- C++ -*-===//
//
// The kernels are persistent: a fixed grid of CTAs, CTA c running the work
// items listed for it (abi.h: cta_work_indptr). This planner turns a
// validated batch into those lists, on the host, from metadata the engine
// already holds:
//  1. items: prefill: one per (request, kv head, tile of floor(block_m /
//     group) query rows); decode (every q_len * group <= the decode
//     kernel's block_m): one per (request, kv head);
//  2. cost of an item: the key tiles it really visits (a TileCounter: the
//     host twin of the variant's tile classifier when one is given, else
//     every tile of its key range) plus a fixed per-item overhead;
//  3. split-KV (decode): an item costing much more than the per-CTA average
//     is cut into key chunks of about that average (a multiple of block_n,
//     and of block_kv for block-sparse); the chunks write partial states and
//     the CTA finishing a group's last chunk merges it (fused merge);
//  4. assignment: longest-processing-time first onto the least loaded CTA,
//     so the most loaded CTA carries at most the average plus one item.
// Deterministic mode: a request's split depends only on its own length
// (fixed chunk size), and merges always sum chunks in order, so its output
// is bit-identical whatever else is in the batch (for a given kernel).
// Pure host code and a pure function of its inputs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_WORKLIST_H
#define ATTNRT_WORKLIST_H

#include "attn_kernels/abi.h"
#include "attnrt/Batch.h"
#include "attnrt/HostClassifier.h"
#include "attnrt/Manifest.h"
#include "attnrt/Status.h"

#include <cstdint>
#include <vector>

namespace attnrt {

// Counts the key tiles (of block_n keys) a work item visits. The default
// counts every tile of [kv_begin, kv_end); a classifier-backed counter
// skips the tiles the kernel's classifier proves empty.
class TileCounter {
public:
  virtual ~TileCounter() = default;
  virtual int64_t countTiles(const AttnWorkItem &item, const BatchInfo &info, int blockM,
                             int blockN) const;
  // Whether the count can differ between KV heads of the same rows and keys
  // (when it cannot, the planner counts once per request and query tile).
  virtual bool dependsOnKvHead() const { return false; }
};

// Counts with the host twin of the variant's tile classifier (bound to this
// batch's params). Whole key ranges are classified first and only the ones
// that come back partial are halved, so a causal or windowed item costs a
// few classifier calls, not one per tile. A range the classifier cannot
// decide counts as visited, as the kernel would visit it.
class ClassifierTileCounter : public TileCounter {
public:
  explicit ClassifierTileCounter(const HostClassifier &c) : c_(c) {}
  int64_t countTiles(const AttnWorkItem &item, const BatchInfo &info, int blockM,
                     int blockN) const override;
  bool dependsOnKvHead() const override { return c_.readsHead(); }

private:
  int classifyPacked(const AttnWorkItem &item, const BatchInfo &info, int q0, int q1, int k0,
                     int k1) const;
  int64_t countRange(const AttnWorkItem &item, const BatchInfo &info, int q0, int q1, int k0,
                     int k1, int blockN) const;
  const HostClassifier &c_;
};

struct PlanOptions {
  // CTAs of the persistent grid (SMs x resident CTAs per SM). 0: plan for
  // one CTA per item (no split, no balancing).
  int numCtas = 0;
  // Streaming multiprocessors; only used when numCtas is 0 (legacy callers).
  int numSMs = 0;
  // > 0: force splitting every request's keys into chunks of this many keys
  // (rounded up to a multiple of the kernel's block_n), prefill or decode,
  // whatever the batch. For tests of the split + merge path.
  int kvChunk = 0;
  // Never split (overrides kvChunk and the automatic split).
  bool noSplit = false;
  // Force the kernel: kPrefill, or kDecode (an error if some request does
  // not fit a decode tile). kMerge (the default) means: choose.
  KernelKind forceKernel = KernelKind::kMerge;
  // Automatic split (decode only): items costing more than splitAbove x the
  // per-CTA average are cut into chunks of about the average, but never
  // below minChunkTiles tiles. The split is kept only when it lowers the
  // most loaded CTA (LPT simulated both ways) by at least 5 %: splitting
  // equal items that merely outnumber nothing (400 items on 528 CTAs) would
  // add merges and gain nothing.
  double splitAbove = 1.0;
  int minChunkTiles = 4;
  // Chunks of about 1/splitGranularity of the per-CTA average: finer chunks
  // let LPT even out CTAs (the most loaded ends at most one chunk above the
  // average) at the price of more partial states to merge.
  int splitGranularity = 1;
  // Deterministic mode: decode requests longer than deterministicChunk keys
  // are split into chunks of exactly that many (a multiple of block_n), no
  // matter what else is in the batch.
  bool deterministic = false;
  int deterministicChunk = 1024;
  // Per-item overhead in tile units (Q load, pipeline fill, epilogue).
  int itemOverheadTiles = 2;
  // Capacities (0: unlimited). The automatic split backs off to fit; a
  // batch whose unsplit items (or deterministic chunks) exceed them fails.
  int64_t maxWorkItems = 0;
  int64_t maxPartialSlots = 0;
  int64_t maxMergeItems = 0;
  // Tile costs; nullptr: every tile of an item's key range counts.
  const TileCounter *tiles = nullptr;
};

struct WorkList {
  KernelKind kernel = KernelKind::kPrefill; // prefill or decode
  const KernelInfo *kernelInfo = nullptr;   // points into the manifest
  // Items grouped by CTA: CTA c runs items[ctaIndptr[c] .. ctaIndptr[c+1]).
  std::vector<AttnWorkItem> items;
  std::vector<int32_t> ctaIndptr;       // [numCtas + 1]
  std::vector<AttnMergeItem> merges;    // grouped by merge group
  std::vector<int32_t> mergeGroupIndptr; // [groups + 1]; empty when nothing was split
  int32_t numPartialSlots = 0;          // partial_o: numPartialSlots x head_dim_vo (sized as floats)
  int32_t kvChunk = 0;                  // keys per chunk of the longest split, else 0
  // Balance: the planned cost of each CTA (same units as TileCounter).
  std::vector<int64_t> ctaCost;
  int64_t maxItemCost = 0;
  bool split() const { return !merges.empty(); }
  int32_t numMergeGroups() const {
    return mergeGroupIndptr.empty() ? 0 : static_cast<int32_t>(mergeGroupIndptr.size() - 1);
  }
  int32_t numCtas() const {
    return ctaIndptr.empty() ? 0 : static_cast<int32_t>(ctaIndptr.size() - 1);
  }
};

// The work list as the kernels read it (abi.h, ABI 3): items[c] for c <
// numCtas is CTA c's first item (request = -1 when it has none), so a CTA
// reaches its first item without first loading its range; its further items
// are items[ctaIndptr[c] .. ctaIndptr[c + 1]), all at indices >= numCtas.
// At most numCtas entries more than the plan's items.
struct DeviceWorkList {
  std::vector<AttnWorkItem> items;
  std::vector<int32_t> ctaIndptr; // [numCtas + 1]
};
DeviceWorkList layOutForKernels(const WorkList &wl);

// Which kernel runs this batch: decode when every q_len * group fits the
// decode kernel's block_m (and it exists), else prefill.
Status chooseKernel(const Manifest &m, const BatchInfo &info,
                    const PlanOptions &opts, KernelKind *kind);

// Builds the work list for a batch validated by validateBatch.
Status buildWorkList(const Manifest &m, const BatchInfo &info,
                     const PlanOptions &opts, WorkList *out);

} // namespace attnrt

#endif // ATTNRT_WORKLIST_H
