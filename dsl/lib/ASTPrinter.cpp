//===- ASTPrinter.cpp - The checked AST as an indented tree ---------------===//
//
// One line per node, two spaces per level, `: type` after every expression.
// The format is what lit tests match with FileCheck: keep it stable.
//
//   variant causal
//     head_dim 128:128
//     mask : bool
//       Binary <= : bool
//         Name kv_idx : i32 builtin
//         Name q_idx : i32 builtin
//
//===----------------------------------------------------------------------===//
#include "attn/dsl/Frontend.h"

#include <cstdio>

namespace attn::dsl {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

class Printer {
public:
  std::string out;

  void line(unsigned indent, const std::string &s) {
    out.append(indent * 2, ' ');
    out += s;
    out += '\n';
  }

  void expr(const Expr *e, unsigned indent) {
    if (!e) {
      line(indent, "<null>");
      return;
    }
    std::string ty = std::string(" : ") + typeName(e->type);
    switch (e->kind) {
    case ExprKind::IntLit:
      line(indent, "Int " + std::to_string(static_cast<const IntLitExpr *>(e)->value) + ty);
      return;
    case ExprKind::FloatLit:
      line(indent, "Float " + number(static_cast<const FloatLitExpr *>(e)->value) + ty);
      return;
    case ExprKind::BoolLit:
      line(indent, std::string("Bool ") +
                       (static_cast<const BoolLitExpr *>(e)->value ? "true" : "false") + ty);
      return;
    case ExprKind::Name: {
      auto *n = static_cast<const NameExpr *>(e);
      const char *what = n->builtin ? " builtin" : n->param ? " param" : n->let ? " let" : "";
      line(indent, "Name " + n->name + ty + what);
      return;
    }
    case ExprKind::Unary: {
      auto *u = static_cast<const UnaryExpr *>(e);
      line(indent, std::string("Unary ") + (u->op == UnaryOp::Neg ? "-" : "!") + ty);
      expr(u->operand.get(), indent + 1);
      return;
    }
    case ExprKind::Binary: {
      auto *b = static_cast<const BinaryExpr *>(e);
      line(indent, std::string("Binary ") + binaryOpSpelling(b->op) + ty);
      expr(b->lhs.get(), indent + 1);
      expr(b->rhs.get(), indent + 1);
      return;
    }
    case ExprKind::Call: {
      auto *c = static_cast<const CallExpr *>(e);
      line(indent, "Call " + c->callee + ty);
      for (const ExprPtr &a : c->args)
        expr(a.get(), indent + 1);
      return;
    }
    case ExprKind::Index: {
      auto *i = static_cast<const IndexExpr *>(e);
      line(indent, "Index " + i->array + ty);
      expr(i->index.get(), indent + 1);
      return;
    }
    case ExprKind::If: {
      auto *i = static_cast<const IfExpr *>(e);
      line(indent, "If" + ty);
      expr(i->cond.get(), indent + 1);
      expr(i->thenExpr.get(), indent + 1);
      expr(i->elseExpr.get(), indent + 1);
      return;
    }
    case ExprKind::Convert: {
      auto *c = static_cast<const ConvertExpr *>(e);
      line(indent, std::string("Convert") + ty);
      expr(c->operand.get(), indent + 1);
      return;
    }
    }
  }

  void variant(const VariantDecl &v) {
    line(0, "variant " + v.name);
    line(1, "head_dim " + std::to_string(v.headDimQK.value) + ":" +
                std::to_string(v.headDimVO.value));
    line(1, "heads " + std::to_string(v.numQHeads.value) + ":" +
                std::to_string(v.numKVHeads.value));
    line(1, std::string("dtype ") + (v.dtype.value == DType::BF16 ? "bf16" : "f16"));
    const KVLayout &kv = v.kv.value;
    switch (kv.kind) {
    case KVLayoutKind::Contiguous: line(1, "kv contiguous"); break;
    case KVLayoutKind::Ragged: line(1, "kv ragged"); break;
    case KVLayoutKind::Paged: line(1, "kv paged(" + std::to_string(kv.pageSize) + ")"); break;
    case KVLayoutKind::BlockSparse:
      line(1, "kv block_sparse(" + std::to_string(kv.blockQ) + ", " +
                  std::to_string(kv.blockKV) + ")");
      break;
    }
    line(1, "scale " + number(v.effectiveScale()) + (v.scale.present ? "" : " (default)"));
    line(1, std::string("normalize ") +
                (v.normalize.value == Normalize::None ? "none" : "softmax"));
    for (const auto &p : v.params) {
      std::string s = "param " + p->name + " : " + typeName(p->type);
      if (p->domain != ParamDomain::Scalar)
        s += std::string("[") + domainName(p->domain) + "]";
      if (p->defaultValue)
        s += " = " + number(*p->defaultValue);
      line(1, s);
    }
    for (const auto &l : v.lets) {
      std::string s = "let " + l->name + " : " +
                      typeName(l->value ? l->value->type : Type::Error);
      if (!l->builtinsUsed.empty()) {
        s += " reads";
        for (Builtin b : l->builtinsUsed)
          s += std::string(" ") + builtinName(b);
      }
      line(1, s);
      expr(l->value.get(), 2);
    }
    for (const HookDecl &h : v.hooks) {
      std::string s = std::string(hookName(h.kind)) + " : " +
                      typeName(hookResultType(h.kind));
      if (h.rope)
        s += " rope(theta=" + number(h.rope->theta) + ", dims=" +
             std::to_string(h.rope->dims ? h.rope->dims : v.headDimQK.value) +
             ", interleaved=" + (h.rope->interleaved ? "true" : "false") + ")";
      line(1, s);
      if (h.body)
        expr(h.body.get(), 2);
    }
  }
};

} // namespace

std::string printAST(const Module &module, const SourceFile &) {
  Printer p;
  for (const auto &v : module.variants)
    p.variant(*v);
  return p.out;
}

} // namespace attn::dsl
