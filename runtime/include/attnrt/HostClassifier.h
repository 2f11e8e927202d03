//===- HostClassifier.h - The kernels' tile classifier, on the host -*- C++ -*-===//
//
// The kernels classify every (query rows x key tile) before loading it and
// skip the empty ones, so the real cost of a work item is its number of
// non-empty key tiles. HostClassifier runs the manifest's "tile_classifier"
// program (ClassifierProgram.h) with the same arguments, params and integer
// semantics as the device's `classify`, so it returns exactly what the
// kernel will compute; countNonEmptyTiles walks an item's tiles the way
// kernels-gen/include/attn_kernels/tile_schedule.cuh does.
//
// Classes are the device's: 0 empty, 1 partial, 2 full (attn::TileClass).
// Without a program (an older manifest, or a mask attnc could not encode)
// every tile is partial, which is never wrong for counting: it counts every
// tile as work.
//
// Pure host code. classify() reuses a scratch value array owned by the
// object: one HostClassifier per thread (copying one is cheap).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_HOSTCLASSIFIER_H
#define ATTNRT_HOSTCLASSIFIER_H

#include "attnrt/Batch.h"
#include "attnrt/ClassifierProgram.h"
#include "attnrt/Manifest.h"
#include "attnrt/Params.h"
#include "attnrt/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnrt {

constexpr int kTileEmpty = 0, kTilePartial = 1, kTileFull = 2;

// Host copies of array params the classifier may read (non-owning: the
// arrays must outlive every classify() after bind()). Laid out as on the
// device: heads / kv_heads / batch arrays indexed directly, tokens arrays
// dense over all requests' keys (request b's slice starts at
// BatchInfo::kvTokenOffsets[b]).
struct HostArrays {
  struct Array {
    std::string name;
    ParamType type = ParamType::kI32;
    const void *data = nullptr; // int32_t or float elements
    int64_t count = 0;
  };
  // Setting a name again replaces it.
  void setI32(const std::string &name, const int32_t *data, int64_t count);
  void setF32(const std::string &name, const float *data, int64_t count);
  const std::vector<Array> &arrays() const { return arrays_; }
  const Array *find(std::string_view name) const;
  void clear() { arrays_.clear(); }

private:
  void set(const std::string &name, ParamType type, const void *data, int64_t count);
  std::vector<Array> arrays_;
};

class HostClassifier {
public:
  // From a parsed manifest (copies what it needs; `m` may go away). Scalar
  // params start at their defaults; call bind() before classifying a batch.
  explicit HostClassifier(const Manifest &m);

  // Whether the manifest has a program: false means every tile is partial.
  bool exact() const { return program_.present(); }
  // Whether the answer may depend on head / kv_head (the device's
  // kClassifierReadsHead): a packed tile is then classified once per head of
  // the group.
  bool readsHead() const { return readsHead_; }
  int groupSize() const { return groupSize_; }

  // Binds host values for one batch: scalar params by name from `params`
  // (the manifest's default when absent), array params from `arrays`.
  // Arrays given to `params` (device pointers) are ignored. An array param
  // without a host mirror is allowed: classify() then answers partial
  // whenever the program actually reads it. Errors (kInvalidArgument): a
  // scalar the program reads that has neither a value nor a default, a value
  // of the wrong type or shape, a mirror of an unknown name or of the wrong
  // type, a mirror shorter than its domain for this batch (heads, kv_heads,
  // batch size, total kv tokens). After an error every tile is partial until
  // a successful bind().
  Status bind(const ParamSet &params, const HostArrays &arrays, const BatchInfo &info);

  // The device's classify(p, q0, q1, k0, k1, head, kv_head, batch, q_len,
  // kv_len): query positions [q0, q1] x keys [k0, k1], both inclusive
  // (positions: q_idx = kv_len - q_len + row). 0 empty, 1 partial, 2 full.
  // Partial when the program reads an array without a mirror, or an element
  // outside the mirror (the device classifier guards its reads, so that
  // happens only for out-of-contract arguments). Not thread-safe (scratch).
  int classify(int q0, int q1, int k0, int k1, int head, int kvHead, int batch, int qLen,
               int kvLen) const;

private:
  struct Mirror {
    const void *data = nullptr; // null: no mirror
    int64_t count = 0;
    bool tokens = false;
  };
  bool evaluate(const ClsInstr &in, int64_t *v, const int32_t *args) const;

  ClassifierProgram program_;
  std::vector<ParamInfo> params_;
  int numQHeads_ = 0, numKVHeads_ = 0, groupSize_ = 1;
  bool readsHead_ = false;
  bool bound_ = false;                // scalars bound, classify may run the program
  std::vector<uint8_t> invariant_;    // per op: computed once by bind()
  std::vector<int32_t> live_;         // ops classify() runs, in order
  std::vector<Mirror> mirrors_;       // per manifest param
  std::vector<int32_t> tokenOffsets_; // BatchInfo::kvTokenOffsets
  mutable std::vector<int64_t> values_; // one slot per op (f32 as bits)
};

// The non-empty key tiles the kernel visits for the work item (request,
// kvHead, query rows [qBegin, qEnd) of the request, keys [kvBegin, kvEnd)),
// as tile_schedule.cuh walks them on a dense layout: the rows are cut into
// query tiles of max(1, blockM / groupSize) rows (one tile for an item the
// planner built), each query tile visits key tiles [k0, min(k0 + blockN,
// kvEnd)) from kvBegin, and a (query tile, key tile) counts unless the
// classifier says empty (for every head of the group when it reads the
// head). Query positions are kv_len - q_len + row. 0 for an out-of-range
// request or empty ranges. Block-sparse items also skip the key blocks the
// BSR does not list; that is not modelled here (an over-count). Cost: one
// classify() per (query tile, key tile), times the group size when
// readsHead(); when !readsHead() the count does not depend on kvHead, so a
// planner may compute it once per (request, rows, keys) for all kv heads.
int64_t countNonEmptyTiles(const HostClassifier &classifier, int request, int kvHead,
                           int qBegin, int qEnd, int kvBegin, int kvEnd, int blockM,
                           int blockN, int groupSize, const BatchInfo &info);

} // namespace attnrt

#endif // ATTNRT_HOSTCLASSIFIER_H
