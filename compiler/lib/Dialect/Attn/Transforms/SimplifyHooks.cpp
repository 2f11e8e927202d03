//===- SimplifyHooks.cpp - Canonicalize + CSE inside hook regions ---------===//
//
// MLIRGen inlines a `let` at every use and lowers each source operator
// literally, so hook bodies arrive with duplicates and foldable constants.
// This pass runs the canonicalization patterns of every loaded dialect and
// then CSE on each hook and classifier region; regions are isolated from
// above, so each is simplified on its own.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {
#define GEN_PASS_DEF_ATTNSIMPLIFYHOOKS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {
struct SimplifyHooksPass
    : attn::impl::AttnSimplifyHooksBase<SimplifyHooksPass> {
  FrozenRewritePatternSet patterns;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(set);
    for (RegisteredOperationName op : context->getRegisteredOperations())
      op.getCanonicalizationPatterns(set, context);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    attn::VariantOp variant = getOperation();
    IRRewriter rewriter(&getContext());
    for (Operation &op : variant.getBody().front()) {
      if (!isa<attn::HookOp, attn::TileClassifierOp>(op))
        continue;
      GreedyRewriteConfig config;
      config.useTopDownTraversal = true;
      // Folding may not converge only on pathological inputs; keep what we got.
      (void)applyPatternsAndFoldGreedily(op.getRegion(0), patterns, config);
      DominanceInfo dominance(&op);
      eliminateCommonSubExpressions(rewriter, dominance, &op);
    }
  }
};
} // namespace
