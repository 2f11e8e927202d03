//===- MergeStates.h - Combine two attention states (o, lse) ----*- C++ -*-===//
//
// Attention over a key set A u B equals the merge of the attention over A and
// over B, given each one's output and log-sum-exp:
//   lse = log(exp(lse_a) + exp(lse_b)),
//   o   = o_a * exp(lse_a - lse) + o_b * exp(lse_b - lse).
// A state with lse = -inf (no kept key) contributes nothing; both -inf gives
// o = 0, lse = -inf. Engines use it to compose their own formats (cascade:
// a shared prefix and per-request suffixes, computed as two passes).
// Only for `normalize = softmax` variants (others have no LSE).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_MERGESTATES_H
#define ATTNRT_MERGESTATES_H

#include "attnrt/Batch.h"
#include "attnrt/Module.h"
#include "attnrt/Status.h"

#include <cuda.h>

namespace attnrt {

// o tensors are [rows, num_q_heads, head_dim_vo] in the module's dtype with
// the given strides (elements); lse tensors are float [rows][num_q_heads],
// contiguous. `out` may alias `a` (in-place merge into a).
struct MergeStatesArgs {
  int64_t rows = 0;
  DevPtr oA = 0, lseA = 0;
  DevPtr oB = 0, lseB = 0;
  DevPtr oOut = 0, lseOut = 0; // lseOut may be 0
  int64_t oStrideRow = 0, oStrideHead = 0; // shared by o_a, o_b and o_out
};
Status mergeStates(const Module &module, const MergeStatesArgs &args, CUstream stream);

} // namespace attnrt

#endif // ATTNRT_MERGESTATES_H
