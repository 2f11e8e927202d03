//===- SelectKernels.cpp - Template configs per entry point ---------------===//
//
// Picks the template arguments of every entry point and records them on the
// variant (see KernelConfig.h), so the choice is visible in --emit=mlir and
// the emitter and manifest only copy it.
//
// The candidates, fastest first, live in KernelConfig.cpp (prefillCandidates,
// decodeCandidates); they depend on the bytes of one Q/K/V row (head dim x
// element size) and the GQA group, not on the arch: the same sm80-class
// template runs on sm_80..sm_90a. This pass records the first candidate;
// compileVariant falls back to the next one for an entry point that ptxas
// reports as spilling, and records that choice on the op too.
//  - merge: one warp per (row, head) merge item, 4 warps per CTA.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/KernelConfig.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

namespace attn {
#define GEN_PASS_DEF_ATTNSELECTKERNELS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {

/// Bytes of one element of the variant's dtype (q, k, v, o).
int64_t elementBytes(Type dtype) {
  unsigned bits = dtype.getIntOrFloatBitWidth();
  return bits ? bits / 8 : 2;
}

struct SelectKernelsPass : attn::impl::AttnSelectKernelsBase<SelectKernelsPass> {
  void runOnOperation() override {
    VariantOp v = getOperation();
    int64_t dim = std::max(v.getHeadDimQk(), v.getHeadDimVo());
    int64_t rowBytes = dim * elementBytes(v.getDtype());
    KernelConfig prefill = prefillCandidates(rowBytes).front();
    KernelConfig decode = decodeCandidates(rowBytes, v.getGroupSize()).front();
    KernelConfig merge{0, 0, 4, 0};
    v->setAttr(kKernelConfigsAttrName,
               buildKernelConfigsAttr(&getContext(), "sm80",
                                      {{"prefill", prefill},
                                       {"decode", decode},
                                       {"merge", merge}}));
  }
};

} // namespace
