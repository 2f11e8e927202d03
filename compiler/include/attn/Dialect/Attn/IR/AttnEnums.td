//===- AttnEnums.td - Enumerations of the attn dialect -----*- tablegen -*-===//
#ifndef ATTN_ENUMS_TD
#define ATTN_ENUMS_TD

include "mlir/IR/EnumAttr.td"
include "attn/Dialect/Attn/IR/AttnDialect.td"

def Attn_KVLayout : I32EnumAttr<"KVLayout", "how the KV cache is laid out", [
    I32EnumAttrCase<"contiguous", 0>,
    I32EnumAttrCase<"ragged", 1>,
    I32EnumAttrCase<"paged", 2>,
    I32EnumAttrCase<"block_sparse", 3>]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}
def Attn_KVLayoutAttr : EnumAttr<Attn_Dialect, Attn_KVLayout, "kv_layout">;

def Attn_Normalize : I32EnumAttr<"Normalize", "how weights are normalized", [
    I32EnumAttrCase<"softmax", 0>,
    I32EnumAttrCase<"none", 1>]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}
def Attn_NormalizeAttr : EnumAttr<Attn_Dialect, Attn_Normalize, "normalize">;

def Attn_ParamDomain : I32EnumAttr<"ParamDomain", "what a runtime param is indexed by", [
    I32EnumAttrCase<"scalar", 0>,
    I32EnumAttrCase<"heads", 1>,
    I32EnumAttrCase<"kv_heads", 2>,
    I32EnumAttrCase<"batch", 3>,
    I32EnumAttrCase<"tokens", 4>]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}
def Attn_ParamDomainAttr : EnumAttr<Attn_Dialect, Attn_ParamDomain, "domain">;

def Attn_HookKind : I32EnumAttr<"HookKind", "which hook a region implements", [
    I32EnumAttrCase<"logits", 0>,
    I32EnumAttrCase<"mask", 1>,
    I32EnumAttrCase<"weights", 2>,
    I32EnumAttrCase<"query", 3>,
    I32EnumAttrCase<"key", 4>,
    I32EnumAttrCase<"output", 5>]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}
def Attn_HookKindAttr : EnumAttr<Attn_Dialect, Attn_HookKind, "hook">;

#endif
