//===- AST.cpp - Names and tables of the .attn AST ------------------------===//
#include "attn/dsl/AST.h"

#include <cmath>

namespace attn::dsl {

const char *typeName(Type t) {
  switch (t) {
  case Type::Error: return "<error>";
  case Type::Bool: return "bool";
  case Type::I32: return "i32";
  case Type::F32: return "f32";
  }
  return "<error>";
}

const char *builtinName(Builtin b) {
  switch (b) {
  case Builtin::Score: return "score";
  case Builtin::Logit: return "logit";
  case Builtin::QIdx: return "q_idx";
  case Builtin::KVIdx: return "kv_idx";
  case Builtin::Head: return "head";
  case Builtin::KVHead: return "kv_head";
  case Builtin::Batch: return "batch";
  case Builtin::QLen: return "q_len";
  case Builtin::KVLen: return "kv_len";
  case Builtin::Q: return "q";
  case Builtin::K: return "k";
  case Builtin::O: return "o";
  case Builtin::Dim: return "dim";
  }
  return "?";
}

Type builtinType(Builtin b) {
  switch (b) {
  case Builtin::Score:
  case Builtin::Logit:
  case Builtin::Q:
  case Builtin::K:
  case Builtin::O:
    return Type::F32;
  default:
    return Type::I32;
  }
}

const char *hookName(HookKind k) {
  switch (k) {
  case HookKind::Logits: return "logits";
  case HookKind::Mask: return "mask";
  case HookKind::Weights: return "weights";
  case HookKind::Query: return "query";
  case HookKind::Key: return "key";
  case HookKind::Output: return "output";
  }
  return "?";
}

const std::vector<Builtin> &hookBuiltins(HookKind k) {
  // The order is the MLIR hook region's block-argument order: never reorder.
  using B = Builtin;
  static const std::vector<Builtin> logits = {B::Score, B::QIdx, B::KVIdx, B::Head,
                                              B::KVHead, B::Batch, B::QLen, B::KVLen};
  static const std::vector<Builtin> mask = {B::QIdx, B::KVIdx, B::Head, B::KVHead,
                                            B::Batch, B::QLen, B::KVLen};
  static const std::vector<Builtin> weights = {B::Score, B::Logit, B::QIdx,
                                               B::KVIdx, B::Head, B::KVHead,
                                               B::Batch, B::QLen, B::KVLen};
  static const std::vector<Builtin> query = {B::Q, B::Dim, B::QIdx, B::Head,
                                             B::KVHead, B::Batch, B::QLen, B::KVLen};
  static const std::vector<Builtin> key = {B::K, B::Dim, B::KVIdx, B::KVHead,
                                           B::Batch, B::QLen, B::KVLen};
  static const std::vector<Builtin> output = {B::O, B::Dim, B::QIdx, B::Head,
                                              B::KVHead, B::Batch, B::QLen, B::KVLen};
  switch (k) {
  case HookKind::Logits: return logits;
  case HookKind::Mask: return mask;
  case HookKind::Weights: return weights;
  case HookKind::Query: return query;
  case HookKind::Key: return key;
  case HookKind::Output: return output;
  }
  return logits;
}

Type hookResultType(HookKind k) {
  return k == HookKind::Mask ? Type::Bool : Type::F32;
}

const char *domainName(ParamDomain d) {
  switch (d) {
  case ParamDomain::Scalar: return "scalar";
  case ParamDomain::Heads: return "heads";
  case ParamDomain::KVHeads: return "kv_heads";
  case ParamDomain::Batch: return "batch";
  case ParamDomain::Tokens: return "tokens";
  }
  return "?";
}

const char *binaryOpSpelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::Rem: return "%";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::And: return "&&";
  case BinaryOp::Or: return "||";
  }
  return "?";
}

const char *functionName(Function f) {
  switch (f) {
  case Function::Min: return "min";
  case Function::Max: return "max";
  case Function::Abs: return "abs";
  case Function::Exp: return "exp";
  case Function::Log: return "log";
  case Function::Exp2: return "exp2";
  case Function::Log2: return "log2";
  case Function::Tanh: return "tanh";
  case Function::Sigmoid: return "sigmoid";
  case Function::Sqrt: return "sqrt";
  case Function::Rsqrt: return "rsqrt";
  case Function::Pow: return "pow";
  case Function::Select: return "select";
  case Function::CastF32: return "f32";
  case Function::CastI32: return "i32";
  }
  return "?";
}

const HookDecl *VariantDecl::hook(HookKind k) const {
  for (const HookDecl &h : hooks)
    if (h.kind == k)
      return &h;
  return nullptr;
}

const ParamDecl *VariantDecl::param(const std::string &n) const {
  for (const auto &p : params)
    if (p->name == n)
      return p.get();
  return nullptr;
}

double VariantDecl::effectiveScale() const {
  if (scale.present)
    return scale.value;
  int64_t d = headDimQK.value > 0 ? headDimQK.value : 1;
  return 1.0 / std::sqrt(static_cast<double>(d));
}

} // namespace attn::dsl
