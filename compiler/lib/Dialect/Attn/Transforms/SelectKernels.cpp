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

// A tile classifier of this many ops or more keeps enough scalars live to push
// the 32-rows-per-warp prefill configs past 255 registers (measured: the
// chunked example's classifier has 103 ops after simplification and spilled
// in both; the other examples' have at most 47 and fit). Starting such a
// variant at the first 16-rows-per-warp candidate saves the two doomed
// compiles; the spill fallback in compileVariant still catches any miss.
constexpr int64_t kHeavyClassifierOps = 80;

int64_t classifierOps(VariantOp v) {
  TileClassifierOp c = v.getTileClassifier();
  int64_t n = 0;
  if (c)
    c.getBody().walk([&](Operation *) { ++n; });
  return n;
}

// A logits hook keeps its temporaries live inside the 32-rows-per-warp
// softmax, which since the exact (x - m) * c form sits at 255 registers
// without one: alibi (bias from a per-head slope array) spilled in both
// 32-row configs and ended on the first 16-row one after two doomed
// compiles (2.35 s cold). Start such variants there.
bool hasLogitsHook(VariantOp v) { return static_cast<bool>(v.getHook(HookKind::logits)); }

// Per-score hooks (logits, mask, weights) run on every element of a warp's
// S fragment; fully unrolled, a 16-row warp's 64-key tile holds 32 copies of
// their code. With this many ops in them the copies dominate NVRTC's time:
// `everything` (80 ops; the other examples have at most 12) took cicc 1.15 s
// + ptxas 1.78 s for its prefill alone, 0.81 s + 0.83 s rolled, and its
// decode (4 warps x 16 keys: 8 copies) about 0.2 s less rolled. Rolled, each
// n-block costs a few register moves per score, small beside hooks this
// large (attention_core.cuh, rotate_blocks).
constexpr int64_t kRolledHookOps = 32;

int64_t perScoreHookOps(VariantOp v) {
  int64_t n = 0;
  for (HookKind kind : {HookKind::logits, HookKind::mask, HookKind::weights})
    if (HookOp h = v.getHook(kind))
      h.getBody().walk([&](Operation *op) { n += op->hasTrait<OpTrait::IsTerminator>() ? 0 : 1; });
  return n;
}

KernelConfig firstPrefill(VariantOp v, int64_t rowBytes) {
  std::vector<KernelConfig> list = prefillCandidates(rowBytes);
  if (classifierOps(v) >= kHeavyClassifierOps || hasLogitsHook(v))
    for (const KernelConfig &c : list)
      if (c.blockM / c.numWarps == 16)
        return c;
  return list.front();
}

// The 4-warp decode config holds four warps' worth of classifier scalars per
// CTA; the heavy classifier (chunked) spilled there and ended on the 2-warp
// one. Start heavy-classifier variants at the first 2-warp candidate.
KernelConfig firstDecode(VariantOp v, int64_t rowBytes) {
  std::vector<KernelConfig> list = decodeCandidates(rowBytes, v.getGroupSize());
  if (classifierOps(v) >= kHeavyClassifierOps)
    for (const KernelConfig &c : list)
      if (c.numWarps == 2)
        return c;
  return list.front();
}

struct SelectKernelsPass : attn::impl::AttnSelectKernelsBase<SelectKernelsPass> {
  void runOnOperation() override {
    VariantOp v = getOperation();
    int64_t dim = std::max(v.getHeadDimQk(), v.getHeadDimVo());
    int64_t rowBytes = dim * elementBytes(v.getDtype());
    KernelConfig prefill = firstPrefill(v, rowBytes);
    KernelConfig decode = firstDecode(v, rowBytes);
    prefill.rolledHooks = decode.rolledHooks = perScoreHookOps(v) >= kRolledHookOps;
    KernelConfig merge{0, 0, 4, 0};
    v->setAttr(kKernelConfigsAttrName,
               buildKernelConfigsAttr(&getContext(), "sm80",
                                      {{"prefill", prefill},
                                       {"decode", decode},
                                       {"merge", merge}}));
  }
};

} // namespace
