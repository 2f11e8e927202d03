//===- AttnDialect.td - The attn dialect -------------------*- tablegen -*-===//
#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::attn";
  let summary = "Attention variants: config, runtime params and hook regions";
  let description = [{
    One `attn.variant` op describes one attention layer: its compile-time
    configuration (head dims, heads, dtype, KV layout, scale, normalization)
    as typed attributes, its runtime params (`attn.param`), and one region per
    hook (`attn.hook`) whose block arguments are the built-ins the hook may
    read. Hook bodies use upstream `arith`, `math` and `scf` ops. Passes add
    an `attn.tile_classifier` derived from the mask.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif
