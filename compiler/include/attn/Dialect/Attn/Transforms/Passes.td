//===- Passes.td - Passes over the attn dialect ------------*- tablegen -*-===//
#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnVerifyConfig : Pass<"attn-verify-config", "::attn::VariantOp"> {
  let summary = "Rejects configurations the kernel templates do not support";
  let description = [{
    The op verifier accepts any well-formed variant; this pass checks what
    our kernels can run: head dims 64, 96, 128, 256 (or qk 192 with vo 128),
    dtypes bf16/f16, page sizes, block-sparse block sizes, GQA group sizes,
    rotary dims. Errors point at the `.attn` line of the offending setting.
  }];
}

def AttnSimplifyHooks : Pass<"attn-simplify-hooks", "::attn::VariantOp"> {
  let summary = "Canonicalizes and CSEs every hook body";
  let description = [{
    Runs the arith/math/scf canonicalization patterns and common
    subexpression elimination inside each hook region (and the tile
    classifier), so `let` bindings inlined at several uses collapse again and
    constant subexpressions fold.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
}

def AttnClassifyTiles : Pass<"attn-classify-tiles", "::attn::VariantOp"> {
  let summary = "Derives a tile classifier from the mask by interval analysis";
  let description = [{
    Abstractly interprets the mask hook over integer intervals — q_idx in
    [q0, q1], kv_idx in [k0, k1], the other built-ins exact, scalar params as
    unknown values read at run time, array params as unknown ranges — and
    emits, as IR, an `attn.tile_classifier` computing empty / partial / full.
    Exact for affine masks (causal, sliding window, prefix-LM, chunked and
    their conjunctions); conservative (partial) where it cannot prove more.
    A variant with no mask gets a classifier that always answers full.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"];
}

def AttnSelectKernels : Pass<"attn-select-kernels", "::attn::VariantOp"> {
  let summary = "Chooses the kernel template configs (tile sizes, warps, stages)";
  let description = [{
    Attaches `kernel_configs` to the variant: one dictionary per entry point
    (`prefill`, `decode`: `block_m`, `block_n`, `num_warps`, `stages`;
    `merge`: `num_warps`) for the arch-independent sm80-class templates
    (`template = "sm80"`). The choice depends on the head dims (register and
    shared-memory budget per row) and the dtype's element size, and for
    decode on the GQA group size (packed rows = query rows x group heads).
    The CUDA emitter instantiates exactly these, and the manifest records
    them, so `attnc compile --emit=mlir` shows every decision.
  }];
}

#endif
