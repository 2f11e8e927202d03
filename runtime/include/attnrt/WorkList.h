//===- WorkList.h - Batch -> work items for the persistent kernels -*- C++ -*-===//
//
// The kernels are persistent: a grid of CTAs walks a list of AttnWorkItems
// (abi.h). This builder turns a validated batch into that list:
//  - prefill: one item per (request, kv head, tile of floor(block_m / group)
//    query rows), over all keys of the request;
//  - decode (every request's q_len * group <= the decode kernel's block_m):
//    one item per (request, kv head) ...
//  - ... and when that cannot fill the GPU (items < 2 x SMs) or one request
//    dwarfs the rest (skew), each request's keys are split into chunks (a
//    multiple of block_n) sized for about 3 x SMs items; the chunks write
//    partial states that AttnMergeItems combine
//    (slot = partial_slot + (row - q_begin) * group + g).
// Items are ordered longest first, so the persistent loop balances skew.
// Pure host code, a pure function: the next issue's planner (tile-classifier
// costs, fixed capacities) replaces the policy, not the interface.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_WORKLIST_H
#define ATTNRT_WORKLIST_H

#include "attn_kernels/abi.h"
#include "attnrt/Batch.h"
#include "attnrt/Manifest.h"
#include "attnrt/Status.h"

#include <cstdint>
#include <vector>

namespace attnrt {

struct PlanOptions {
  // Streaming multiprocessors of the target GPU; drives the split decision
  // (0: never split automatically).
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
  // Automatic split (decode only): split when items < splitBelowPerSM x SMs,
  // or when the longest request exceeds skewRatio x the fair chunk (total
  // keys x kv heads / (splitTargetPerSM x SMs)); chunks are the fair size.
  int splitBelowPerSM = 2;
  int splitTargetPerSM = 3;
  int skewRatio = 2;
};

struct WorkList {
  KernelKind kernel = KernelKind::kPrefill; // prefill or decode
  const KernelInfo *kernelInfo = nullptr;   // points into the manifest
  std::vector<AttnWorkItem> items;
  std::vector<AttnMergeItem> merges;  // empty when nothing was split
  int32_t numPartialSlots = 0;        // partial_o has numPartialSlots x head_dim_vo floats
  int32_t kvChunk = 0;                // keys per chunk when split, else 0
  bool split() const { return !merges.empty(); }
};

// Which kernel runs this batch: decode when every q_len * group fits the
// decode kernel's block_m (and it exists), else prefill.
Status chooseKernel(const Manifest &m, const BatchInfo &info,
                    const PlanOptions &opts, KernelKind *kind);

// Builds the work list for a batch validated by validateBatch.
Status buildWorkList(const Manifest &m, const BatchInfo &info,
                     const PlanOptions &opts, WorkList *out);

} // namespace attnrt

#endif // ATTNRT_WORKLIST_H
