//===- SemaTest.cpp - Names, types, promotions, hook rules ----------------===//
#include "TestUtil.h"

#include <gtest/gtest.h>

namespace {

using attn::dsl::BinaryExpr;
using attn::dsl::Builtin;
using attn::dsl::CallExpr;
using attn::dsl::ConvertExpr;
using attn::dsl::Expr;
using attn::dsl::ExprKind;
using attn::dsl::Function;
using attn::dsl::HookKind;
using attn::dsl::IfExpr;
using attn::dsl::IndexExpr;
using attn::dsl::NameExpr;
using attn::dsl::Type;
using attn::dsl::test::Checked;
using attn::dsl::test::variantWith;

const Expr &body(const Checked &c, HookKind k) { return *c.variant().hook(k)->body; }
const BinaryExpr &bin(const Expr &e) {
  EXPECT_EQ(e.kind, ExprKind::Binary);
  return static_cast<const BinaryExpr &>(e);
}

TEST(Sema, HookBuiltinOrderIsTheMLIRBlockArgumentOrder) {
  using B = Builtin;
  EXPECT_EQ(attn::dsl::hookBuiltins(HookKind::Logits),
            (std::vector<Builtin>{B::Score, B::QIdx, B::KVIdx, B::Head, B::KVHead, B::Batch,
                                  B::QLen, B::KVLen}));
  EXPECT_EQ(attn::dsl::hookBuiltins(HookKind::Mask),
            (std::vector<Builtin>{B::QIdx, B::KVIdx, B::Head, B::KVHead, B::Batch, B::QLen,
                                  B::KVLen}));
  EXPECT_EQ(attn::dsl::hookBuiltins(HookKind::Weights),
            (std::vector<Builtin>{B::Score, B::Logit, B::QIdx, B::KVIdx, B::Head, B::KVHead,
                                  B::Batch, B::QLen, B::KVLen}));
  EXPECT_EQ(attn::dsl::hookBuiltins(HookKind::Query),
            (std::vector<Builtin>{B::Q, B::Dim, B::QIdx, B::Head, B::KVHead, B::Batch, B::QLen,
                                  B::KVLen}));
  EXPECT_EQ(attn::dsl::hookBuiltins(HookKind::Key),
            (std::vector<Builtin>{B::K, B::Dim, B::KVIdx, B::KVHead, B::Batch, B::QLen,
                                  B::KVLen}));
  EXPECT_EQ(attn::dsl::hookBuiltins(HookKind::Output),
            (std::vector<Builtin>{B::O, B::Dim, B::QIdx, B::Head, B::KVHead, B::Batch, B::QLen,
                                  B::KVLen}));
  EXPECT_EQ(attn::dsl::hookResultType(HookKind::Mask), Type::Bool);
  EXPECT_EQ(attn::dsl::hookResultType(HookKind::Output), Type::F32);
  EXPECT_EQ(attn::dsl::builtinType(B::Score), Type::F32);
  EXPECT_EQ(attn::dsl::builtinType(B::KVIdx), Type::I32);
}

TEST(Sema, MixedArithmeticPromotesTheI32Side) {
  Checked c(variantWith("  param s : f32[heads];\n  logits = score + s[head] * (kv_idx - q_idx);\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &add = bin(body(c, HookKind::Logits));
  EXPECT_EQ(add.type, Type::F32);
  const auto &mul = bin(*add.rhs);
  EXPECT_EQ(mul.type, Type::F32);
  EXPECT_EQ(mul.lhs->kind, ExprKind::Index);
  ASSERT_EQ(mul.rhs->kind, ExprKind::Convert);
  const auto &conv = static_cast<const ConvertExpr &>(*mul.rhs);
  EXPECT_EQ(conv.type, Type::F32);
  EXPECT_EQ(conv.operand->type, Type::I32);
  EXPECT_EQ(bin(*conv.operand).op, attn::dsl::BinaryOp::Sub);
  const auto &idx = static_cast<const IndexExpr &>(*mul.lhs);
  ASSERT_NE(idx.param, nullptr);
  EXPECT_EQ(idx.param->name, "s");
}

TEST(Sema, IntegerArithmeticStaysI32) {
  Checked c(variantWith("  param chunk : i32 = 64;\n"
                        "  mask = q_idx / chunk == kv_idx / chunk && kv_idx % 2 == 0;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &andE = bin(body(c, HookKind::Mask));
  const auto &eq = bin(*andE.lhs);
  EXPECT_EQ(eq.lhs->type, Type::I32);
  EXPECT_EQ(eq.rhs->type, Type::I32);
  EXPECT_EQ(eq.type, Type::Bool);
}

TEST(Sema, ComparisonOperandsAreUnified) {
  Checked c(variantWith("  logits = select(kv_idx < 2.5, score, 0);\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &call = static_cast<const CallExpr &>(body(c, HookKind::Logits));
  EXPECT_EQ(call.function, Function::Select);
  const auto &lt = bin(*call.args[0]);
  EXPECT_EQ(lt.lhs->kind, ExprKind::Convert);
  EXPECT_EQ(lt.lhs->type, Type::F32);
  EXPECT_EQ(lt.rhs->type, Type::F32);
  EXPECT_EQ(call.args[2]->kind, ExprKind::Convert); // `0` joins `score`
  EXPECT_EQ(call.type, Type::F32);
}

TEST(Sema, FunctionTypes) {
  Checked c(variantWith("  logits = exp(kv_idx) + min(q_idx, kv_idx) + abs(score) + f32(i32(score))"
                        " + pow(2, 3);\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  // (((exp + min) + abs) + f32) + pow
  const auto &top = bin(body(c, HookKind::Logits));
  const auto &powCall = static_cast<const CallExpr &>(*top.rhs);
  EXPECT_EQ(powCall.function, Function::Pow);
  EXPECT_EQ(powCall.args[0]->kind, ExprKind::Convert);
  EXPECT_EQ(powCall.args[1]->kind, ExprKind::Convert);
  const auto &l1 = bin(*top.lhs);
  const auto &castF = static_cast<const CallExpr &>(*l1.rhs);
  EXPECT_EQ(castF.function, Function::CastF32);
  EXPECT_EQ(castF.args[0]->type, Type::I32); // casts keep their operand as written
  const auto &l2 = bin(*l1.lhs);
  const auto &l3 = bin(*l2.lhs);
  const auto &expCall = static_cast<const CallExpr &>(*l3.lhs);
  EXPECT_EQ(expCall.args[0]->kind, ExprKind::Convert);
  // min of two i32 stays i32, then promotes where it meets f32.
  ASSERT_EQ(l3.rhs->kind, ExprKind::Convert);
  EXPECT_EQ(static_cast<const ConvertExpr &>(*l3.rhs).operand->type, Type::I32);
}

TEST(Sema, IfBranchesAreUnified) {
  Checked c(variantWith("  logits = if q_idx > 0 { 1 } else { score };\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &i = static_cast<const IfExpr &>(body(c, HookKind::Logits));
  EXPECT_EQ(i.type, Type::F32);
  EXPECT_EQ(i.thenExpr->kind, ExprKind::Convert);
  EXPECT_EQ(i.elseExpr->type, Type::F32);
}

TEST(Sema, I32HookResultIsPromoted) {
  Checked c(variantWith("  logits = kv_idx - q_idx;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  EXPECT_EQ(body(c, HookKind::Logits).kind, ExprKind::Convert);
  EXPECT_EQ(body(c, HookKind::Logits).type, Type::F32);
}

TEST(Sema, NamesAreResolved) {
  Checked c(variantWith("  param cap : f32 = 50.0;\n  let t = tanh(score / cap);\n"
                        "  logits = cap * t;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &mul = bin(body(c, HookKind::Logits));
  const auto &capRef = static_cast<const NameExpr &>(*mul.lhs);
  EXPECT_NE(capRef.param, nullptr);
  EXPECT_FALSE(capRef.builtin);
  const auto &tRef = static_cast<const NameExpr &>(*mul.rhs);
  ASSERT_NE(tRef.let, nullptr);
  EXPECT_EQ(tRef.let->name, "t");
  EXPECT_TRUE(c.variant().lets[0]->used);
  EXPECT_EQ(c.variant().lets[0]->builtinsUsed, std::vector<Builtin>{Builtin::Score});
  EXPECT_TRUE(c.variant().params[0]->used);
}

TEST(Sema, LetBuiltinsAreTransitive) {
  Checked c(variantWith("  let d = q_idx - kv_idx;\n  let e = d * 2 + head;\n  mask = e >= 0;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  EXPECT_EQ(c.variant().lets[1]->builtinsUsed,
            (std::vector<Builtin>{Builtin::QIdx, Builtin::KVIdx, Builtin::Head}));
}

TEST(Sema, HookAvailability) {
  Checked c(variantWith("  let s = score * 2.0;\n  mask = s > 0.0;\n"));
  EXPECT_TRUE(c.hasError("`s` reads `score`, which is not available in the `mask` hook"));
  Checked d(variantWith("  logits = score + q;\n"));
  EXPECT_TRUE(d.hasError("`q` is not available in the `logits` hook"));
  Checked w(variantWith("  normalize = none;\n  weights = sigmoid(logit + score) * f32(kv_len);\n"));
  EXPECT_FALSE(w.diags->hasErrors()) << w.rendered();
  Checked k(variantWith("  key = k * f32(head);\n"));
  EXPECT_TRUE(k.hasError("`head` is not available in the `key` hook"));
}

TEST(Sema, TypeErrors) {
  EXPECT_TRUE(Checked(variantWith("  logits = score % 2.0;\n")).hasError("`%` needs i32"));
  EXPECT_TRUE(Checked(variantWith("  mask = kv_idx;\n")).hasError("must produce a bool"));
  EXPECT_TRUE(Checked(variantWith("  logits = q_idx < 1;\n")).hasError("must produce an f32"));
  EXPECT_TRUE(Checked(variantWith("  logits = score + true;\n")).hasError("needs numbers, got bool"));
  EXPECT_TRUE(Checked(variantWith("  mask = !1;\n")).hasError("`!` needs a bool"));
  EXPECT_TRUE(Checked(variantWith("  mask = 1 && true;\n")).hasError("`&&` needs bool"));
  EXPECT_TRUE(Checked(variantWith("  logits = f32(true);\n")).hasError("needs a number"));
  EXPECT_TRUE(Checked(variantWith("  logits = if 1 { 1.0 } else { 2.0 };\n")).hasError("condition"));
  EXPECT_TRUE(Checked(variantWith("  mask = 2147483648 > q_idx;\n")).hasError("does not fit in i32"));
  Checked fine(variantWith("  mask = 2147483647 > q_idx;\n"));
  EXPECT_FALSE(fine.diags->hasErrors()) << fine.rendered();
}

TEST(Sema, OneErrorPerProblem) {
  // The unknown name poisons its subtree; no follow-on type errors.
  Checked c(variantWith("  logits = (nope + 1.0) * score - q_idx;\n"));
  EXPECT_EQ(c.diags->errorCount(), 1u) << c.rendered();
}

TEST(Sema, DidYouMean) {
  Checked c(variantWith("  param window : i32 = 4;\n  mask = q_idx - kv_idx < windw;\n"));
  ASSERT_EQ(c.diags->errorCount(), 1u);
  EXPECT_EQ(c.diags->diagnostics()[0].hint, "did you mean `window`?");
}

TEST(Sema, ConfigRules) {
  EXPECT_TRUE(Checked("variant v { head_dim = 64; heads = 12 : 5; dtype = bf16; }")
                  .hasError("must be a multiple of KV heads"));
  EXPECT_TRUE(Checked("variant v { head_dim = 64; heads = 4; }").hasError("missing `dtype`"));
  EXPECT_TRUE(Checked(variantWith("  normalize = none;\n")).hasError("needs a `weights` hook"));
  EXPECT_TRUE(Checked(variantWith("  weights = score;\n")).hasError("needs `normalize = none`"));
  EXPECT_TRUE(Checked(variantWith("  query = rope(dims = 130);\n")).hasError("exceed head_dim"));
  EXPECT_TRUE(Checked(variantWith("  param q_idx : i32;\n")).hasError("shadows the built-in"));
  EXPECT_TRUE(Checked(variantWith("  let min = 1;\n")).hasError("shadows the function"));
  EXPECT_TRUE(Checked(variantWith("  let a = 1;\n  let a = 2;\n  mask = a > 0;\n"))
                  .hasError("redefinition of `a`"));
  EXPECT_TRUE(Checked(variantWith("  let a = b;\n  let b = 1;\n  mask = a > 0;\n"))
                  .hasError("used before it is defined"));
}

TEST(Sema, Warnings) {
  Checked c(variantWith("  param unused : f32 = 1.0;\n  let dead = 2;\n  mask = false;\n"));
  EXPECT_FALSE(c.diags->hasErrors()) << c.rendered();
  EXPECT_TRUE(c.hasWarning("param `unused` is never used"));
  EXPECT_TRUE(c.hasWarning("let `dead` is never used"));
  EXPECT_TRUE(c.hasWarning("the mask is always false"));
  Checked folded(variantWith("  let n = 3;\n  mask = n / 0 == 0 && n % 0 == 3 && i32(-2.7) == -2;\n"));
  EXPECT_TRUE(folded.hasWarning("always true")) << folded.rendered();
  Checked live(variantWith("  mask = kv_idx <= q_idx;\n"));
  EXPECT_EQ(live.diags->warningCount(), 0u);
}

TEST(Sema, ExponentialLetsDoNotHang) {
  std::string items = "  let a0 = 1;\n";
  for (int i = 1; i < 60; ++i)
    items += "  let a" + std::to_string(i) + " = a" + std::to_string(i - 1) + " + a" +
             std::to_string(i - 1) + ";\n";
  Checked c(variantWith(items + "  mask = a59 > 0;\n"));
  EXPECT_FALSE(c.diags->hasErrors()) << c.rendered();
}

TEST(ASTPrinter, StableTree) {
  Checked c("variant p {\n head_dim = 64; heads = 4 : 2; dtype = f16; kv = paged(16);\n"
            " param cap : f32 = 50.0;\n logits = cap * tanh(score / cap) + kv_idx;\n"
            " mask = kv_idx <= q_idx;\n key = rope(theta = 10000.0);\n}\n");
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  EXPECT_EQ(attn::dsl::printAST(c.module, *c.file),
            "variant p\n"
            "  head_dim 64:64\n"
            "  heads 4:2\n"
            "  dtype f16\n"
            "  kv paged(16)\n"
            "  scale 0.125 (default)\n"
            "  normalize softmax\n"
            "  param cap : f32 = 50\n"
            "  logits : f32\n"
            "    Binary + : f32\n"
            "      Binary * : f32\n"
            "        Name cap : f32 param\n"
            "        Call tanh : f32\n"
            "          Binary / : f32\n"
            "            Name score : f32 builtin\n"
            "            Name cap : f32 param\n"
            "      Convert : f32\n"
            "        Name kv_idx : i32 builtin\n"
            "  mask : bool\n"
            "    Binary <= : bool\n"
            "      Name kv_idx : i32 builtin\n"
            "      Name q_idx : i32 builtin\n"
            "  key : f32 rope(theta=10000, dims=64, interleaved=false)\n");
}

} // namespace
