//===- Pipeline.cpp - The pass pipeline attnc runs ------------------------===//
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"

void attn::buildAttnPipeline(mlir::OpPassManager &pm) {
  mlir::OpPassManager &variant = pm.nest<VariantOp>();
  variant.addPass(createAttnVerifyConfig());
  variant.addPass(createAttnSimplifyHooks());
  variant.addPass(createAttnClassifyTiles());
  // The classifier is generated naively (one interval op per mask op); fold it.
  variant.addPass(createAttnSimplifyHooks());
  variant.addPass(createAttnSelectKernels());
}
