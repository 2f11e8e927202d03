//===- Evaluator.h - Attention in float64 on the CPU ------------*- C++ -*-===//
//
// The oracle every GPU kernel is checked against. It computes DESIGN.md
// section 1 directly from the variant's IR: query/key hooks (with rotary),
// score, logits, mask, softmax or weights, output hook, LSE. It never reads
// emitted code.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_REFERENCE_EVALUATOR_H
#define ATTN_REFERENCE_EVALUATOR_H

#include "attn/Reference/HookInterpreter.h"

namespace attn::ref {

/// A batch of requests, ragged. Request b has qLens[b] queries and kvLens[b]
/// keys (kvLens[b] >= qLens[b]). Tensors are row-major, rows concatenated
/// over requests:
///   q: [sum qLens][numQHeads][headDimQK]
///   k: [sum kvLens][numKVHeads][headDimQK]
///   v: [sum kvLens][numKVHeads][headDimVO]
struct Problem {
  std::vector<int64_t> qLens, kvLens;
  std::vector<double> q, k, v;
  ParamValues params;
  /// Block-sparse variants only (kv = block_sparse(bq, bkv)): which
  /// (query block, key block) pairs are computed, in the runtime's BSR form
  /// (kernels-gen/include/attn_kernels/abi.h). Query block r of request b
  /// (query rows [r*bq, (r+1)*bq)) is row bsrRowOffsets[b] + r; its key
  /// blocks are bsrIndices[bsrIndptr[row] .. bsrIndptr[row + 1]). A pair in
  /// an unlisted block is dropped as if masked.
  std::vector<int64_t> bsrRowOffsets, bsrIndptr, bsrIndices;
};

/// out: [sum qLens][numQHeads][headDimVO]; lse: [sum qLens][numQHeads]
/// (natural log; -inf for a row with no kept key, whose output is 0).
struct Result {
  std::vector<double> out;
  std::vector<double> lse;
};

/// Returns false with a message on malformed input (shape mismatch, missing
/// params, out-of-range array index) — never aborts.
/// Evaluator.cpp's file comment lists the choices DESIGN.md leaves open
/// (which pairs hooks run on, +inf logits, the LSE of normalize = none).
bool evaluate(VariantOp variant, const Problem &problem, Result &result,
              std::string &error);

/// Fresh random inputs for `variant`: q/k/v uniform in [-1, 1] rounded to
/// the variant's dtype (so a GPU run sees the very same values), scalar params
/// at their defaults (random where there is none), array params random
/// (document ids for i32 `tokens` arrays: non-decreasing runs).
Problem makeRandomProblem(VariantOp variant, std::vector<int64_t> qLens,
                          std::vector<int64_t> kvLens, uint64_t seed);

/// `x` rounded to nearest-even in bfloat16 / IEEE half (subnormals kept,
/// overflow to +-inf, NaN stays NaN), returned as a double. Rounds straight
/// from double: going through float first could round twice.
double roundToBF16(double x);
double roundToF16(double x);
/// roundToBF16 or roundToF16 per `dtype` (bf16 or f16); `x` unchanged for
/// any other type.
double roundToDtype(double x, mlir::Type dtype);

} // namespace attn::ref

#endif
