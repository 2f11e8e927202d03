//===- ParserTest.cpp - Tree shapes, config values, recovery, robustness --===//
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using attn::dsl::BinaryExpr;
using attn::dsl::BinaryOp;
using attn::dsl::CallExpr;
using attn::dsl::DType;
using attn::dsl::ExprKind;
using attn::dsl::HookKind;
using attn::dsl::IfExpr;
using attn::dsl::KVLayoutKind;
using attn::dsl::NameExpr;
using attn::dsl::Normalize;
using attn::dsl::ParamDomain;
using attn::dsl::Type;
using attn::dsl::UnaryExpr;
using attn::dsl::test::Checked;
using attn::dsl::test::variantWith;

const attn::dsl::Expr &hookBody(const Checked &c, HookKind k) {
  const attn::dsl::HookDecl *h = c.variant().hook(k);
  EXPECT_NE(h, nullptr);
  return *h->body;
}

TEST(Parser, ConfigValues) {
  Checked c("variant g {\n head_dim = 192 : 128; heads = 32 : 8; dtype = f16;\n"
            " kv = block_sparse(64, 32); scale = 0.125; normalize = softmax;\n}\n");
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &v = c.variant();
  EXPECT_EQ(v.name, "g");
  EXPECT_EQ(v.headDimQK.value, 192);
  EXPECT_EQ(v.headDimVO.value, 128);
  EXPECT_EQ(v.numQHeads.value, 32);
  EXPECT_EQ(v.numKVHeads.value, 8);
  EXPECT_EQ(v.dtype.value, DType::F16);
  EXPECT_EQ(v.kv.value.kind, KVLayoutKind::BlockSparse);
  EXPECT_EQ(v.kv.value.blockQ, 64);
  EXPECT_EQ(v.kv.value.blockKV, 32);
  EXPECT_DOUBLE_EQ(v.effectiveScale(), 0.125);
  EXPECT_EQ(v.normalize.value, Normalize::Softmax);
  EXPECT_TRUE(v.normalize.present);
}

TEST(Parser, DefaultsAndShorthands) {
  Checked c("variant d { head_dim = 64; heads = 16; dtype = bf16; }");
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &v = c.variant();
  EXPECT_EQ(v.headDimVO.value, 64);
  EXPECT_EQ(v.numKVHeads.value, 16);
  EXPECT_EQ(v.kv.value.kind, KVLayoutKind::Contiguous);
  EXPECT_FALSE(v.kv.present);
  EXPECT_FALSE(v.scale.present);
  EXPECT_DOUBLE_EQ(v.effectiveScale(), 0.125); // 1/sqrt(64)
  EXPECT_EQ(v.normalize.value, Normalize::Softmax);
}

TEST(Parser, ConstantConfigExpressions) {
  Checked c("variant e { head_dim = 64 * 2; heads = 8; dtype = bf16; kv = paged(4 * 4);"
            " scale = 1.0 / sqrt(128.0); }");
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  EXPECT_EQ(c.variant().headDimQK.value, 128);
  EXPECT_EQ(c.variant().kv.value.pageSize, 16);
  EXPECT_NEAR(c.variant().scale.value, 0.08838834764831845, 1e-15);
}

TEST(Parser, Params) {
  Checked c(variantWith("  param cap : f32 = 50.0;\n  param w : i32 = 4096;\n"
                        "  param neg : f32 = -6;\n  param s : f32[heads];\n"
                        "  param kg : f32[kv_heads];\n  param b : i32[batch];\n"
                        "  param d : i32[tokens];\n"
                        "  logits = cap + neg + s[head] + kg[kv_head] + b[batch] + d[kv_idx] + w;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &p = c.variant().params;
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[0]->type, Type::F32);
  EXPECT_DOUBLE_EQ(*p[0]->defaultValue, 50.0);
  EXPECT_EQ(p[1]->type, Type::I32);
  EXPECT_DOUBLE_EQ(*p[1]->defaultValue, 4096.0);
  EXPECT_DOUBLE_EQ(*p[2]->defaultValue, -6.0);
  EXPECT_EQ(p[3]->domain, ParamDomain::Heads);
  EXPECT_FALSE(p[3]->defaultValue.has_value());
  EXPECT_EQ(p[4]->domain, ParamDomain::KVHeads);
  EXPECT_EQ(p[5]->domain, ParamDomain::Batch);
  EXPECT_EQ(p[6]->domain, ParamDomain::Tokens);
  for (const auto &q : p)
    EXPECT_TRUE(q->used) << q->name;
}

TEST(Parser, PrecedenceIsC) {
  // a || b && c  ==  a || (b && c);  x + y * z < w  ==  (x + (y * z)) < w
  Checked c(variantWith("  mask = kv_idx < 1 || kv_idx + q_idx * 2 < head && q_idx > 0;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &root = static_cast<const BinaryExpr &>(hookBody(c, HookKind::Mask));
  EXPECT_EQ(root.op, BinaryOp::Or);
  const auto &rhs = static_cast<const BinaryExpr &>(*root.rhs);
  EXPECT_EQ(rhs.op, BinaryOp::And);
  const auto &lt = static_cast<const BinaryExpr &>(*rhs.lhs);
  EXPECT_EQ(lt.op, BinaryOp::Lt);
  const auto &add = static_cast<const BinaryExpr &>(*lt.lhs);
  EXPECT_EQ(add.op, BinaryOp::Add);
  EXPECT_EQ(static_cast<const BinaryExpr &>(*add.rhs).op, BinaryOp::Mul);
}

TEST(Parser, LeftAssociativity) {
  Checked c(variantWith("  logits = score - 1.0 - 2.0;\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &root = static_cast<const BinaryExpr &>(hookBody(c, HookKind::Logits));
  EXPECT_EQ(root.op, BinaryOp::Sub);
  EXPECT_EQ(root.lhs->kind, ExprKind::Binary); // (score - 1) - 2
  EXPECT_EQ(root.rhs->kind, ExprKind::FloatLit);
}

TEST(Parser, UnaryCallsIndexAndParens) {
  Checked c(variantWith("  param s : f32[heads];\n"
                        "  logits = -max(score, (s[head] + 1.0)) * !(q_idx < 0) == false;\n"));
  // `!` of a bool times a float is a type error; the parse itself must succeed.
  EXPECT_TRUE(c.diags->hasErrors());
  Checked ok(variantWith("  param s : f32[heads];\n  logits = -max(score, (s[head] + 1.0));\n"));
  ASSERT_FALSE(ok.diags->hasErrors()) << ok.rendered();
  const auto &neg = static_cast<const UnaryExpr &>(hookBody(ok, HookKind::Logits));
  EXPECT_EQ(neg.op, attn::dsl::UnaryOp::Neg);
  const auto &call = static_cast<const CallExpr &>(*neg.operand);
  EXPECT_EQ(call.callee, "max");
  ASSERT_EQ(call.args.size(), 2u);
  EXPECT_EQ(call.args[1]->kind, ExprKind::Binary);
}

TEST(Parser, IfElseChainsDesugarToNestedIfs) {
  Checked c(variantWith("  logits = if q_idx < 1 { score } else if q_idx < 2 { 2.0 } "
                        "else { 3.0 };\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto &outer = static_cast<const IfExpr &>(hookBody(c, HookKind::Logits));
  ASSERT_EQ(outer.elseExpr->kind, ExprKind::If);
  const auto &inner = static_cast<const IfExpr &>(*outer.elseExpr);
  EXPECT_EQ(inner.elseExpr->kind, ExprKind::FloatLit);
}

TEST(Parser, RopeHooks) {
  Checked c(variantWith("  query = rope(q * 2.0, theta = 500000.0, dims = 64, interleaved = true);\n"
                        "  key = rope(theta = 10000.0);\n"));
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  const auto *q = c.variant().hook(HookKind::Query);
  ASSERT_TRUE(q && q->rope);
  EXPECT_DOUBLE_EQ(q->rope->theta, 500000.0);
  EXPECT_EQ(q->rope->dims, 64);
  EXPECT_TRUE(q->rope->interleaved);
  ASSERT_TRUE(q->body);
  EXPECT_EQ(q->body->type, Type::F32);
  const auto *k = c.variant().hook(HookKind::Key);
  ASSERT_TRUE(k && k->rope);
  EXPECT_EQ(k->body, nullptr);
  EXPECT_EQ(k->rope->dims, 0);
  EXPECT_FALSE(k->rope->interleaved);
}

TEST(Parser, ItemsInAnyOrderAndMultipleVariants) {
  Checked c("variant a { mask = kv_idx <= q_idx; dtype = bf16; heads = 4; head_dim = 64; }\n"
            "variant b { head_dim = 96; heads = 6 : 2; dtype = f16; kv = ragged; }\n");
  ASSERT_FALSE(c.diags->hasErrors()) << c.rendered();
  ASSERT_EQ(c.module.variants.size(), 2u);
  EXPECT_EQ(c.variant(1).name, "b");
  EXPECT_EQ(c.variant(1).kv.value.kind, KVLayoutKind::Ragged);
}

TEST(Parser, RecoveryReportsEveryBadItem) {
  Checked c(variantWith("  mask = kv_idx <= ;\n  logits = score * * 2.0;\n"
                        "  output = o +;\n  param p : f32 = 1.0;\n  let l = p * 2.0;\n"
                        "  key = k * l;\n"));
  EXPECT_EQ(c.diags->errorCount(), 3u) << c.rendered();
  // The items after the bad ones still parsed.
  EXPECT_NE(c.variant().hook(HookKind::Key), nullptr);
  EXPECT_EQ(c.variant().params.size(), 1u);
}

TEST(Parser, MissingSemicolonLineAndColumn) {
  Checked c("variant v {\n  head_dim = 128\n  heads = 8;\n  dtype = bf16;\n}\n");
  ASSERT_EQ(c.diags->errorCount(), 1u) << c.rendered();
  const auto &d = c.diags->diagnostics()[0];
  auto lc = c.file->lineCol(d.range.begin);
  EXPECT_EQ(lc.line, 2u);
  EXPECT_EQ(lc.col, 17u);
  EXPECT_EQ(c.variant().headDimQK.value, 128); // the item is kept
  EXPECT_TRUE(c.variant().numQHeads.present);  // and the next one is not lost
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "  logits = " + std::string(100000, '(') + "score" +
                     std::string(100000, ')') + ";\n";
  Checked c(variantWith(deep));
  EXPECT_TRUE(c.hasError("nested too deeply"));
  std::string unary = "  mask = " + std::string(100000, '!') + "true;\n";
  Checked u(variantWith(unary));
  EXPECT_TRUE(u.hasError("nested too deeply"));
  std::string chain = "  logits = score";
  for (int i = 0; i < 20000; ++i)
    chain += " + 1.0";
  Checked ch(variantWith(chain + ";\n"));
  EXPECT_TRUE(ch.hasError("nested too deeply"));
  std::string ifs = "  logits = ";
  for (int i = 0; i < 5000; ++i)
    ifs += "if true { 1.0 } else ";
  Checked ic(variantWith(ifs + "{ 2.0 };\n"));
  EXPECT_TRUE(ic.hasError("nested too deeply"));
}

TEST(Parser, ModerateNestingIsFine) {
  std::string e = "  logits = " + std::string(100, '(') + "score" + std::string(100, ')') + ";\n";
  Checked c(variantWith(e));
  EXPECT_FALSE(c.diags->hasErrors()) << c.rendered();
}

//===----------------------------------------------------------------------===//
// Robustness: truncations and mutations of real examples must never crash.
//===----------------------------------------------------------------------===//

std::vector<std::string> exampleTexts() {
  std::vector<std::string> texts = {
      variantWith("  param cap : f32 = 50.0;\n  param window : i32 = 4096;\n"
                  "  logits = cap * tanh(score / cap);\n"
                  "  mask = kv_idx <= q_idx && q_idx - kv_idx < window;\n"),
      variantWith("  let d = q_idx - kv_idx;\n  logits = if d > 4 { score } else if d > 2 "
                  "{ -score } else { select(d % 2 == 0, f32(d), 1.0) };\n"
                  "  query = rope(q * 2.0, theta = 500000.0, dims = 64);\n  key = rope();\n"
                  "  output = o * 0.5; /* c */ // x\n"),
  };
  // The shipped examples, found from this file's location.
  std::string here = __FILE__;
  std::string root = here.substr(0, here.rfind("/test/unit/dsl/"));
  for (const char *name : {"everything", "gemma2_softcap_window", "sigmoid", "rotary",
                           "document_mask", "streaming_llm"}) {
    std::ifstream in(root + "/examples/" + name + ".attn");
    if (!in)
      continue;
    std::stringstream ss;
    ss << in.rdbuf();
    texts.push_back(ss.str());
  }
  return texts;
}

void mustNotCrash(const std::string &text) {
  attn::dsl::SourceFile f("fuzz.attn", text);
  attn::dsl::DiagnosticEngine d(f);
  attn::dsl::Module m = attn::dsl::parseAndCheck(f, d);
  (void)d.render();
  if (!d.hasErrors())
    (void)attn::dsl::printAST(m, f);
}

TEST(ParserFuzz, EveryPrefixOfTheExamples) {
  for (const std::string &t : exampleTexts())
    for (size_t n = 0; n <= t.size(); ++n)
      mustNotCrash(t.substr(0, n));
}

TEST(ParserFuzz, RandomByteMutations) {
  std::mt19937 rng(12345);
  const std::string alphabet = "(){}[];:,=+-*/%<>!&|.eE0123456789_abcxyz \n\t\"$\x80\xff";
  for (const std::string &t : exampleTexts()) {
    for (int round = 0; round < 1000; ++round) {
      std::string m = t;
      int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits && !m.empty(); ++e) {
        size_t at = rng() % m.size();
        switch (rng() % 4) {
        case 0: m[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: m.erase(at, 1 + rng() % 5); break;
        case 2: m.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: m.insert(at, m.substr(rng() % m.size(), rng() % 20)); break;
        }
      }
      mustNotCrash(m);
    }
  }
}

TEST(ParserFuzz, RandomTokenSoup) {
  std::mt19937 rng(777);
  const std::vector<std::string> words = {
      "variant", "v",  "{",    "}",     "(",     ")",    "[",       "]",     ";",   ":",
      ",",       "=",  "==",   "<",     "&&",    "||",   "!",       "-",     "+",   "*",
      "/",       "%",  "if",   "else",  "true",  "1",    "2.5",     "score", "q",   "mask",
      "logits",  "query", "rope", "theta", "param", "let", "f32",    "i32",   "heads", "head_dim",
      "dtype",   "bf16", "kv", "paged", "tokens", "select", "weights", "normalize", "none"};
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i)
      s += words[rng() % words.size()] + " ";
    mustNotCrash(s);
  }
}

} // namespace
