//===- AttnOps.td - Operations of the attn dialect ---------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "attn/Dialect/Attn/IR/AttnEnums.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// attn.variant
//===----------------------------------------------------------------------===//

def Attn_VariantOp : Attn_Op<"variant", [
    Symbol, SymbolTable, IsolatedFromAbove, NoTerminator, SingleBlock,
    NoRegionArguments]> {
  let summary = "one attention layer: its config, params and hooks";
  let description = [{
    The body holds `attn.param` declarations, at most one `attn.hook` of each
    kind, and (after `attn-classify-tiles`) one `attn.tile_classifier`.
    The configuration is carried as typed attributes so that every later
    decision (kernel selection, emission) reads it from the IR.

    ```mlir
    attn.variant @causal attributes {dtype = bf16, head_dim_qk = 128 : i64,
        head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout paged>,
        normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64,
        num_q_heads = 32 : i64, page_size = 16 : i64, scale = 0.088388 : f64} {
      attn.hook mask {
      ^bb0(%q_idx: i32, %kv_idx: i32, ...):
        %0 = arith.cmpi sle, %kv_idx, %q_idx : i32
        attn.yield %0 : i1
      }
    }
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    I64Attr:$head_dim_qk,
    I64Attr:$head_dim_vo,
    I64Attr:$num_q_heads,
    I64Attr:$num_kv_heads,
    TypeAttr:$dtype,
    Attn_KVLayoutAttr:$kv_layout,
    OptionalAttr<I64Attr>:$page_size,
    OptionalAttr<I64Attr>:$block_q,
    OptionalAttr<I64Attr>:$block_kv,
    F64Attr:$scale,
    Attn_NormalizeAttr:$normalize
  );
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The hook of the given kind, or null when the variant does not set it.
    HookOp getHook(HookKind kind);
    /// The param named `name`, or null.
    ParamOp getParam(llvm::StringRef name);
    /// The tile classifier added by attn-classify-tiles, or null.
    TileClassifierOp getTileClassifier();
    /// Query heads per KV head.
    int64_t getGroupSize() { return getNumQHeads() / getNumKvHeads(); }
  }];
}

//===----------------------------------------------------------------------===//
// attn.param
//===----------------------------------------------------------------------===//

def Attn_ParamOp : Attn_Op<"param", [Symbol, HasParent<"VariantOp">]> {
  let summary = "a runtime parameter: a scalar, or an array indexed by a domain";
  let description = [{
    `domain` says what indexes the array: `heads` (one entry per query head),
    `kv_heads`, `batch` (one per request), `tokens` (one per KV position of
    each request, ragged) or `scalar`. Scalars may carry a default.

    ```mlir
    attn.param @cap : f32 scalar = 5.000000e+01 : f32
    attn.param @slopes : f32 heads
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttr:$type,
    Attn_ParamDomainAttr:$domain,
    OptionalAttr<TypedAttrInterface>:$default_value
  );
  let assemblyFormat = "$sym_name `:` $type `` $domain (`=` $default_value^)? attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.hook
//===----------------------------------------------------------------------===//

def Attn_HookOp : Attn_Op<"hook", [
    HasParent<"VariantOp">, IsolatedFromAbove,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "one hook of the variant, as a region over its built-ins";
  let description = [{
    The region's block arguments are the built-ins the hook may read, in a
    fixed order per kind (see `getHookSignature`); it ends in `attn.yield` of
    one value: `f32` for logits, weights, query, key and output, `i1` for mask.
    Query and key hooks may also carry a rotary embedding (`rope_theta`,
    `rope_dims`, `rope_interleaved`), applied after the elementwise body.
  }];
  let arguments = (ins
    Attn_HookKindAttr:$kind,
    OptionalAttr<F64Attr>:$rope_theta,
    OptionalAttr<I64Attr>:$rope_dims,
    UnitAttr:$rope_interleaved
  );
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "`` $kind attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    mlir::Block &getBlock() { return getBody().front(); }
    /// The block argument for built-in `name`, or null if this hook cannot read it.
    mlir::BlockArgument getArg(llvm::StringRef name);
    bool hasRope() { return getRopeTheta().has_value(); }
  }];
}

//===----------------------------------------------------------------------===//
// attn.tile_classifier
//===----------------------------------------------------------------------===//

def Attn_TileClassifierOp : Attn_Op<"tile_classifier", [
    HasParent<"VariantOp">, IsolatedFromAbove,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "classifies a tile of (query, key) positions as empty, partial or full";
  let description = [{
    Built by `attn-classify-tiles` from the mask hook by interval abstract
    interpretation. Block arguments: `q0, q1, k0, k1` (inclusive position
    bounds of the tile), then `head, kv_head, batch, q_len, kv_len`. Yields
    an `i32`: 0 = empty (no pair kept), 1 = partial (evaluate the mask),
    2 = full (every pair kept). The answer is never wrong: where the analysis
    cannot prove empty or full it says partial.
  }];
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    mlir::Block &getBlock() { return getBody().front(); }
  }];
}

//===----------------------------------------------------------------------===//
// attn.yield
//===----------------------------------------------------------------------===//

def Attn_YieldOp : Attn_Op<"yield", [
    Pure, Terminator, ReturnLike,
    ParentOneOf<["HookOp", "TileClassifierOp"]>]> {
  let summary = "returns the value of a hook or classifier region";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Param reads
//===----------------------------------------------------------------------===//

def Attn_GetParamOp : Attn_Op<"get_param", [
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a scalar runtime param";
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs AnyTypeOf<[I32, F32]>:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

// Not speculatable: hoisting a read out of the branch that guards its index
// would read out of bounds.
def Attn_LoadParamOp : Attn_Op<"load_param", [
    NoMemoryEffect, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads one element of a runtime array param";
  let arguments = (ins FlatSymbolRefAttr:$name, I32:$index);
  let results = (outs AnyTypeOf<[I32, F32]>:$result);
  let assemblyFormat = "$name `[` $index `]` attr-dict `:` type($result)";
}

#endif
