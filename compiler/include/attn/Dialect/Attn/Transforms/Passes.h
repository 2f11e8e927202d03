//===- Passes.h - Passes over the attn dialect ------------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_H
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Pass/Pass.h"

namespace attn {

#define GEN_PASS_DECL
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"

/// The pipeline attnc runs after MLIRGen: verify-config, simplify-hooks,
/// classify-tiles, simplify-hooks (to clean up the classifier),
/// select-kernels.
void buildAttnPipeline(mlir::OpPassManager &pm);

} // namespace attn

#endif
