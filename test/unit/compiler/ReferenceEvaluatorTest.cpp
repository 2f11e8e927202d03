//===- ReferenceEvaluatorTest.cpp - The float64 oracle --------------------===//
//
// The oracle is what every GPU kernel is judged by, so it is judged here by
// numbers worked out by hand (tiny problems whose softmax fits in a formula)
// and by an independent naive implementation on random problems.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/Evaluator.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

using attn::HookKind;
using attn::VariantOp;
using attn::ref::Problem;
using attn::ref::Result;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTol = 1e-12;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

//===----------------------------------------------------------------------===//
// Writing variants as MLIR text
//===----------------------------------------------------------------------===//

struct Shape {
  int64_t dqk = 1, dvo = 0; ///< dvo 0: same as dqk
  int64_t hq = 1, hkv = 1;
  std::string scale = "1.0";
  bool none = false;
  std::string dtype = "bf16";
};

/// `^bb0(...)` for a hook, built from the dialect's own signature so the
/// tests cannot drift from it.
std::string hookHeader(HookKind kind) {
  std::string s = "^bb0(";
  bool first = true;
  for (const attn::HookArg &arg : attn::getHookSignature(kind)) {
    s += (first ? "%" : ", %") + arg.name.str() + (arg.isFloat ? ": f32" : ": i32");
    first = false;
  }
  return s + "):\n";
}

std::string hook(HookKind kind, const std::string &body,
                 const std::string &attrs = "") {
  std::string s = "attn.hook " + attn::stringifyHookKind(kind).str();
  if (!attrs.empty())
    s += " attributes {" + attrs + "}";
  return s + " {\n" + hookHeader(kind) + body + "\n}\n";
}

std::string variantText(const Shape &s, const std::string &body) {
  auto i64 = [](int64_t v) { return std::to_string(v) + " : i64"; };
  return "attn.variant @v attributes {dtype = " + s.dtype +
         ", head_dim_qk = " + i64(s.dqk) +
         ", head_dim_vo = " + i64(s.dvo ? s.dvo : s.dqk) +
         ", kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize " +
         (s.none ? "none" : "softmax") + ">, num_kv_heads = " + i64(s.hkv) +
         ", num_q_heads = " + i64(s.hq) + ", scale = " + s.scale + " : f64} {\n" +
         body + "}\n";
}

// Hook bodies used by several tests.
const char *kCausal = "%0 = arith.cmpi sle, %kv_idx, %q_idx : i32\n"
                      "attn.yield %0 : i1";
const char *kSigmoidOfScoreMinus1 = // weights = sigmoid(score - 1)
    "%c1 = arith.constant 1.0 : f32\n%one = arith.constant 1.0 : f32\n"
    "%x = arith.subf %score, %c1 : f32\n%n = arith.negf %x : f32\n"
    "%e = math.exp %n : f32\n%d = arith.addf %one, %e : f32\n"
    "%w = arith.divf %one, %d : f32\nattn.yield %w : f32";
const char *kWeightIsScore = "attn.yield %score : f32";

class ReferenceEvaluatorTest : public ::testing::Test {
protected:
  ReferenceEvaluatorTest() {
    ctx_.loadDialect<attn::AttnDialect, mlir::arith::ArithDialect,
                     mlir::math::MathDialect, mlir::scf::SCFDialect>();
  }

  VariantOp parse(const Shape &shape, const std::string &body) {
    std::string text = variantText(shape, body);
    module_ = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx_);
    if (!module_) {
      ADD_FAILURE() << "the test's IR did not parse:\n" << text;
      return nullptr;
    }
    return *module_->getBody()->getOps<VariantOp>().begin();
  }

  /// Evaluates, failing the test on an error.
  Result eval(VariantOp variant, const Problem &problem) {
    Result result;
    std::string error;
    EXPECT_TRUE(variant && attn::ref::evaluate(variant, problem, result, error))
        << error;
    return result;
  }

  /// Evaluates expecting an error that mentions `needle`.
  void expectError(VariantOp variant, const Problem &problem,
                   const std::string &needle) {
    Result result;
    std::string error;
    ASSERT_TRUE(variant);
    EXPECT_FALSE(attn::ref::evaluate(variant, problem, result, error));
    EXPECT_NE(error.find(needle), std::string::npos)
        << "error '" << error << "' does not mention '" << needle << "'";
    EXPECT_TRUE(result.out.empty() && result.lse.empty());
  }

  mlir::MLIRContext ctx_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
};

Problem problem(std::vector<int64_t> qLens, std::vector<int64_t> kvLens,
                std::vector<double> q, std::vector<double> k,
                std::vector<double> v) {
  Problem p;
  p.qLens = std::move(qLens);
  p.kvLens = std::move(kvLens);
  p.q = std::move(q);
  p.k = std::move(k);
  p.v = std::move(v);
  return p;
}

void expectNear(const std::vector<double> &actual,
                const std::vector<double> &expected, double tol = kTol) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t n = 0; n < actual.size(); ++n)
    EXPECT_NEAR(actual[n], expected[n], tol) << "at element " << n;
}

//===----------------------------------------------------------------------===//
// Plain softmax
//===----------------------------------------------------------------------===//

// q = [1, 0], keys [1, 0] and [0, 1]: scores 1 and 0, so the weights are
// e / (e + 1) and 1 / (e + 1) and lse = log(e + 1).
TEST_F(ReferenceEvaluatorTest, OneQueryTwoKeys) {
  Shape s;
  s.dqk = 2;
  VariantOp v = parse(s, "");
  Result r = eval(v, problem({1}, {2}, {1, 0}, {1, 0, 0, 1}, {1, 2, 3, 4}));
  double w0 = std::exp(1.0) / (std::exp(1.0) + 1), w1 = 1 / (std::exp(1.0) + 1);
  expectNear(r.out, {w0 * 1 + w1 * 3, w0 * 2 + w1 * 4});
  expectNear(r.lse, {std::log(std::exp(1.0) + 1)});
}

TEST_F(ReferenceEvaluatorTest, ScaleMultipliesTheScore) {
  Shape s;
  s.dqk = 2;
  s.dvo = 1;
  s.scale = "2.0";
  VariantOp v = parse(s, "");
  Result r = eval(v, problem({1}, {2}, {1, 0}, {1, 0, 0, 1}, {1, 0}));
  // Scores 2 and 0: w0 = e^2 / (e^2 + 1).
  expectNear(r.out, {std::exp(2.0) / (std::exp(2.0) + 1)});
  expectNear(r.lse, {std::log(std::exp(2.0) + 1)});
}

//===----------------------------------------------------------------------===//
// Masks and positions
//===----------------------------------------------------------------------===//

// Zero scores make the weights uniform over the kept keys, so each row's
// output is the mean of the values it may see and lse = log(#kept).
TEST_F(ReferenceEvaluatorTest, CausalMaskSquare) {
  VariantOp v = parse(Shape(), hook(HookKind::mask, kCausal));
  Result r = eval(v, problem({3}, {3}, {0, 0, 0}, {1, 1, 1}, {1, 2, 4}));
  expectNear(r.out, {1, 1.5, 7.0 / 3});
  expectNear(r.lse, {0, std::log(2.0), std::log(3.0)});
}

// With q_len < kv_len the queries sit at the end: q_idx = kv_len - q_len + i.
TEST_F(ReferenceEvaluatorTest, QueriesAlignToTheEndOfTheKV) {
  VariantOp v = parse(Shape(), hook(HookKind::mask, kCausal));
  Result r = eval(v, problem({2}, {4}, {0, 0}, {1, 1, 1, 1}, {1, 2, 4, 8}));
  expectNear(r.out, {7.0 / 3, 15.0 / 4}); // q_idx 2 and 3

  VariantOp diag = parse(Shape(), hook(HookKind::mask,
                                       "%0 = arith.cmpi eq, %kv_idx, %q_idx : i32\n"
                                       "attn.yield %0 : i1"));
  Result d = eval(diag, problem({2}, {4}, {0, 0}, {1, 1, 1, 1}, {1, 2, 4, 8}));
  expectNear(d.out, {4, 8});
  expectNear(d.lse, {0, 0});
}

// Heads 0 and 1 read KV head 0, heads 2 and 3 read KV head 1.
TEST_F(ReferenceEvaluatorTest, GroupedQueryHeadsShareTheirKVHead) {
  Shape s;
  s.hq = 4;
  s.hkv = 2;
  VariantOp v = parse(s, "");
  // One key per KV head, so each head's output is its KV head's value.
  Result r = eval(v, problem({1}, {1}, {1, 1, 1, 1}, {1, 1}, {10, 20}));
  expectNear(r.out, {10, 10, 20, 20});

  // kv_head as hooks see it agrees: the output hook adds 100 * kv_head + head.
  VariantOp seen = parse(
      s, hook(HookKind::output,
              "%c = arith.constant 100 : i32\n%a = arith.muli %kv_head, %c : i32\n"
              "%b = arith.addi %a, %head : i32\n%f = arith.sitofp %b : i32 to f32\n"
              "%r = arith.addf %o, %f : f32\nattn.yield %r : f32"));
  Result t = eval(seen, problem({1}, {1}, {1, 1, 1, 1}, {1, 1}, {10, 20}));
  expectNear(t.out, {10, 11, 122, 123});
}

//===----------------------------------------------------------------------===//
// Logits and weights hooks
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvaluatorTest, LogitsSoftCap) {
  VariantOp v = parse(Shape(), "attn.param @cap : f32 scalar = 1.0 : f32\n" +
                                   hook(HookKind::logits,
                                        "%cap = attn.get_param @cap : f32\n"
                                        "%a = arith.divf %score, %cap : f32\n"
                                        "%t = math.tanh %a : f32\n"
                                        "%r = arith.mulf %cap, %t : f32\n"
                                        "attn.yield %r : f32"));
  // Scores 2 and 0; logits tanh(2) and 0; only the first value is non-zero.
  Result r = eval(v, problem({1}, {2}, {2}, {1, 0}, {1, 0}));
  expectNear(r.out, {sigmoid(std::tanh(2.0))});
  expectNear(r.lse, {std::log(std::exp(std::tanh(2.0)) + 1)});

  // A runtime value overrides the default: cap = 0.5.
  Problem p = problem({1}, {2}, {2}, {1, 0}, {1, 0});
  p.params.scalars["cap"] = 0.5;
  Result c = eval(v, p);
  expectNear(c.out, {sigmoid(0.5 * std::tanh(4.0))});
}

// logit = score + slopes[head] * (kv_idx - q_idx) with zero scores.
TEST_F(ReferenceEvaluatorTest, AlibiSlopesPerHead) {
  Shape s;
  s.hq = 2;
  VariantOp v = parse(s, "attn.param @slopes : f32 heads\n" +
                             hook(HookKind::logits,
                                  "%m = attn.load_param @slopes[%head] : f32\n"
                                  "%d = arith.subi %kv_idx, %q_idx : i32\n"
                                  "%f = arith.sitofp %d : i32 to f32\n"
                                  "%p = arith.mulf %m, %f : f32\n"
                                  "%r = arith.addf %score, %p : f32\n"
                                  "attn.yield %r : f32"));
  Problem p = problem({1}, {2}, {0, 0}, {1, 1}, {0, 1});
  p.params.arrays["slopes"] = {1.0, 0.5};
  Result r = eval(v, p);
  // Head 0: logits -1 and 0; head 1: -0.5 and 0. Value 1 sits on the key
  // with logit 0.
  expectNear(r.out, {sigmoid(1.0), sigmoid(0.5)});
  expectNear(r.lse, {std::log(std::exp(-1.0) + 1), std::log(std::exp(-0.5) + 1)});
}

// normalize = none: w = sigmoid(score - 1), summed without normalizing.
TEST_F(ReferenceEvaluatorTest, NormalizeNoneSigmoidWeights) {
  Shape s;
  s.none = true;
  VariantOp v = parse(s, hook(HookKind::weights, kSigmoidOfScoreMinus1));
  Result r = eval(v, problem({1}, {2}, {1}, {1, 2}, {2, 4}));
  // Scores 1 and 2: weights 1/2 and sigmoid(1).
  expectNear(r.out, {0.5 * 2 + sigmoid(1.0) * 4});
  expectNear(r.lse, {std::log(0.5 + sigmoid(1.0))});
}

TEST_F(ReferenceEvaluatorTest, NormalizeNoneReadsTheLogit) {
  Shape s;
  s.none = true;
  VariantOp v = parse(
      s, hook(HookKind::logits, "%c = arith.constant 3.0 : f32\n"
                                "%r = arith.mulf %score, %c : f32\nattn.yield %r : f32") +
             hook(HookKind::weights, "%r = arith.subf %logit, %score : f32\n"
                                     "attn.yield %r : f32"));
  // w = 3 score - score = 2 score; scores 1 and 2, values 1 and 1.
  Result r = eval(v, problem({1}, {2}, {1}, {1, 2}, {1, 1}));
  expectNear(r.out, {6});
  expectNear(r.lse, {std::log(6.0)});
}

// With weights that sum to zero the output is still computed (keys were
// kept) but the LSE is -inf.
TEST_F(ReferenceEvaluatorTest, NormalizeNoneZeroWeightSumHasMinusInfLse) {
  Shape s;
  s.none = true;
  VariantOp v = parse(s, hook(HookKind::weights, kWeightIsScore) +
                             hook(HookKind::output,
                                  "%c = arith.constant 1.0 : f32\n"
                                  "%r = arith.addf %o, %c : f32\nattn.yield %r : f32"));
  Result r = eval(v, problem({1}, {2}, {1}, {1, -1}, {1, 1}));
  expectNear(r.out, {1});
  EXPECT_EQ(r.lse[0], -kInf);
}

//===----------------------------------------------------------------------===//
// Query, key and output hooks
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvaluatorTest, OutputHookPerDim) {
  Shape s;
  s.dqk = 2;
  VariantOp v = parse(s, hook(HookKind::output,
                              "%two = arith.constant 2.0 : f32\n"
                              "%a = arith.mulf %o, %two : f32\n"
                              "%d = arith.sitofp %dim : i32 to f32\n"
                              "%r = arith.addf %a, %d : f32\nattn.yield %r : f32"));
  Result r = eval(v, problem({1}, {1}, {1, 1}, {1, 1}, {3, 5}));
  expectNear(r.out, {6, 11}); // 2 * o + dim
  expectNear(r.lse, {2});     // the single score
}

// q' = q * (dim + 1) turns q = [1, 1] into [1, 2]: scores 1 and 2.
TEST_F(ReferenceEvaluatorTest, QueryHookScales) {
  Shape s;
  s.dqk = 2;
  s.dvo = 1;
  VariantOp v = parse(s, hook(HookKind::query,
                              "%c1 = arith.constant 1 : i32\n"
                              "%a = arith.addi %dim, %c1 : i32\n"
                              "%f = arith.sitofp %a : i32 to f32\n"
                              "%r = arith.mulf %q, %f : f32\nattn.yield %r : f32"));
  Result r = eval(v, problem({1}, {2}, {1, 1}, {1, 0, 0, 1}, {0, 1}));
  expectNear(r.out, {sigmoid(1.0)}); // e^2 / (e + e^2)
  expectNear(r.lse, {std::log(std::exp(1.0) + std::exp(2.0))});
}

// k' = k * (kv_idx + 1): keys 1 and 1 become 1 and 2.
TEST_F(ReferenceEvaluatorTest, KeyHookSeesItsPosition) {
  VariantOp v = parse(Shape(), hook(HookKind::key,
                                    "%c1 = arith.constant 1 : i32\n"
                                    "%a = arith.addi %kv_idx, %c1 : i32\n"
                                    "%f = arith.sitofp %a : i32 to f32\n"
                                    "%r = arith.mulf %k, %f : f32\nattn.yield %r : f32"));
  Result r = eval(v, problem({1}, {2}, {1}, {1, 1}, {0, 1}));
  expectNear(r.out, {sigmoid(1.0)});
}

//===----------------------------------------------------------------------===//
// Rotary embedding
//===----------------------------------------------------------------------===//

// To read the rotated query back out: normalize = none with w = score and
// one-hot keys and values (k_j = v_j = e_j), so o[d] = q'[d].
class ReferenceRopeTest : public ReferenceEvaluatorTest {
protected:
  std::vector<double> rotatedQuery(const std::string &ropeAttrs,
                                   std::vector<double> q, int64_t qIdx,
                                   const std::string &body = "attn.yield %q : f32") {
    Shape s;
    s.dqk = 4;
    s.none = true;
    VariantOp v = parse(s, hook(HookKind::query, body, ropeAttrs) +
                               hook(HookKind::weights, kWeightIsScore));
    // Keys and values e_0..e_3 (more keys, if any, are zero); q_len is
    // chosen so that the first query row sits at `qIdx`.
    int64_t kvLen = std::max<int64_t>(qIdx + 1, 4), qLen = kvLen - qIdx;
    std::vector<double> eye(kvLen * 4, 0.0), rows;
    for (int d = 0; d < 4; ++d)
      eye[d * 4 + d] = 1;
    for (int64_t i = 0; i < qLen; ++i)
      rows.insert(rows.end(), q.begin(), q.end());
    std::vector<double> out = eval(v, problem({qLen}, {kvLen}, rows, eye, eye)).out;
    out.resize(4);
    return out;
  }

  const std::vector<double> q_ = {1, 0.5, 0.25, -1};
};

// R = 4, theta = 100, position 3: pair (0, 2) turns by 3 * 100^0 = 3, pair
// (1, 3) by 3 * 100^(-1/2) = 0.3.
TEST_F(ReferenceRopeTest, NonInterleaved) {
  std::vector<double> out = rotatedQuery("rope_theta = 100.0 : f64", q_, 3);
  double c3 = std::cos(3.0), s3 = std::sin(3.0);
  double c03 = std::cos(0.3), s03 = std::sin(0.3);
  expectNear(out, {1 * c3 - 0.25 * s3, 0.5 * c03 - (-1) * s03,
                   0.25 * c3 + 1 * s3, -1 * c03 + 0.5 * s03});
}

// Interleaved pairs neighbours: (0, 1) by 3, (2, 3) by 0.3.
TEST_F(ReferenceRopeTest, Interleaved) {
  std::vector<double> out =
      rotatedQuery("rope_theta = 100.0 : f64, rope_interleaved", q_, 3);
  double c3 = std::cos(3.0), s3 = std::sin(3.0);
  double c03 = std::cos(0.3), s03 = std::sin(0.3);
  expectNear(out, {1 * c3 - 0.5 * s3, 0.5 * c3 + 1 * s3,
                   0.25 * c03 - (-1) * s03, -1 * c03 + 0.25 * s03});
}

// rope_dims = 2 < head_dim = 4: only (0, 1) turns (by 3), dims 2, 3 stay.
TEST_F(ReferenceRopeTest, PartialRotaryLeavesTheRestAlone) {
  std::vector<double> out =
      rotatedQuery("rope_theta = 100.0 : f64, rope_dims = 2 : i64", q_, 3);
  double c3 = std::cos(3.0), s3 = std::sin(3.0);
  expectNear(out, {1 * c3 - 0.5 * s3, 0.5 * c3 + 1 * s3, 0.25, -1});
}

// The elementwise body runs first, then the rotation: q * (dim + 1) makes
// [1, 1, 0.75, -4], which then turns as in NonInterleaved.
TEST_F(ReferenceRopeTest, BodyRunsBeforeTheRotation) {
  std::vector<double> out = rotatedQuery(
      "rope_theta = 100.0 : f64", q_, 3,
      "%c1 = arith.constant 1 : i32\n%a = arith.addi %dim, %c1 : i32\n"
      "%f = arith.sitofp %a : i32 to f32\n%r = arith.mulf %q, %f : f32\n"
      "attn.yield %r : f32");
  double c3 = std::cos(3.0), s3 = std::sin(3.0);
  double c03 = std::cos(0.3), s03 = std::sin(0.3);
  expectNear(out, {1 * c3 - 0.75 * s3, 1 * c03 - (-4) * s03,
                   0.75 * c3 + 1 * s3, -4 * c03 + 1 * s03});
}

TEST_F(ReferenceRopeTest, PositionZeroIsIdentity) {
  expectNear(rotatedQuery("rope_theta = 10000.0 : f64", q_, 0), q_);
}

// The key's rotation: head h has q = e_h and reads the rotated key at
// kv_idx 1 through a one-element value (v_0 = 0, v_1 = 1, w = score).
TEST_F(ReferenceEvaluatorTest, KeyRopeUsesKvIdx) {
  Shape s;
  s.dqk = 4;
  s.dvo = 1;
  s.hq = 4;
  s.none = true;
  VariantOp v = parse(s, hook(HookKind::key, "attn.yield %k : f32",
                              "rope_theta = 100.0 : f64") +
                             hook(HookKind::weights, kWeightIsScore));
  std::vector<double> q(16, 0.0);
  for (int h = 0; h < 4; ++h)
    q[h * 4 + h] = 1;
  std::vector<double> k = {0, 0, 0, 0, 1, 0.5, 0.25, -1};
  Result r = eval(v, problem({1}, {2}, q, k, {0, 1}));
  // Position 1: pair (0, 2) turns by 1, pair (1, 3) by 0.1.
  double c1 = std::cos(1.0), s1 = std::sin(1.0);
  double c01 = std::cos(0.1), s01 = std::sin(0.1);
  expectNear(r.out, {1 * c1 - 0.25 * s1, 0.5 * c01 + 1 * s01,
                     0.25 * c1 + 1 * s1, -1 * c01 + 0.5 * s01});
}

// Rotating both sides makes the score depend only on q_idx - kv_idx.
TEST_F(ReferenceEvaluatorTest, RopeOnBothSidesIsRelative) {
  Shape s;
  s.dqk = 4;
  VariantOp v = parse(s, hook(HookKind::query, "attn.yield %q : f32",
                              "rope_theta = 10.0 : f64") +
                             hook(HookKind::key, "attn.yield %k : f32",
                                  "rope_theta = 10.0 : f64"));
  // The same key at every position and one-hot values: the weights show
  // the scores, which must depend on q_idx - kv_idx alone. With two query
  // rows (q_idx 2, 3) the pairs (2, 1) and (3, 2) have equal scores.
  std::vector<double> q = {0.3, -0.7, 0.2, 0.9, 0.3, -0.7, 0.2, 0.9};
  std::vector<double> k, val(16, 0.0);
  for (int j = 0; j < 4; ++j) {
    k.insert(k.end(), {0.5, 0.1, -0.4, 0.8});
    val[j * 4 + j] = 1;
  }
  Result r = eval(v, problem({2}, {4}, q, k, val));
  // Row 0 weights over keys 0..3 vs row 1's: compare logits via log-ratios.
  auto logit = [&](int row, int key) { return std::log(r.out[row * 4 + key]) + r.lse[row]; };
  EXPECT_NEAR(logit(0, 1), logit(1, 2), 1e-12);
  EXPECT_NEAR(logit(0, 2), logit(1, 3), 1e-12);
  EXPECT_NEAR(logit(0, 0), logit(1, 1), 1e-12);
}

//===----------------------------------------------------------------------===//
// Rows without a kept key
//===----------------------------------------------------------------------===//

const std::string kAddOneOutput =
    hook(HookKind::output, "%c = arith.constant 1.0 : f32\n"
                           "%r = arith.addf %o, %c : f32\nattn.yield %r : f32");

TEST_F(ReferenceEvaluatorTest, FullyMaskedRowIsZeroAndMinusInf) {
  Shape s;
  s.dqk = 2;
  // The output hook must not run on the empty row (it would make it 1).
  VariantOp v = parse(s, hook(HookKind::mask, "%f = arith.constant false\n"
                                              "attn.yield %f : i1") +
                             kAddOneOutput);
  Result r = eval(v, problem({1}, {2}, {1, 1}, {1, 1, 1, 1}, {1, 2, 3, 4}));
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[0], 0.0);
  EXPECT_EQ(r.out[1], 0.0);
  EXPECT_FALSE(std::signbit(r.out[0]));
  EXPECT_EQ(r.lse[0], -kInf);
}

// Only the first query row (q_idx 0 of 2) sees nothing under kv_idx < q_idx.
TEST_F(ReferenceEvaluatorTest, StrictlyCausalFirstRowIsEmpty) {
  VariantOp v = parse(Shape(), hook(HookKind::mask,
                                    "%0 = arith.cmpi slt, %kv_idx, %q_idx : i32\n"
                                    "attn.yield %0 : i1") +
                                   kAddOneOutput);
  Result r = eval(v, problem({2}, {2}, {1, 1}, {1, 1}, {5, 7}));
  expectNear(r.out, {0, 6});
  EXPECT_EQ(r.lse[0], -kInf);
  expectNear({r.lse[1]}, {1});
}

TEST_F(ReferenceEvaluatorTest, AllMinusInfLogitsIsAnEmptyRow) {
  VariantOp v = parse(Shape(), hook(HookKind::logits,
                                    "%n = arith.constant 0xFF800000 : f32\n"
                                    "attn.yield %n : f32") +
                                   kAddOneOutput);
  Result r = eval(v, problem({1}, {3}, {1}, {1, 1, 1}, {1, 2, 3}));
  EXPECT_EQ(r.out[0], 0.0);
  EXPECT_EQ(r.lse[0], -kInf);
}

// A -inf logit on one kept key contributes nothing to the others.
TEST_F(ReferenceEvaluatorTest, MinusInfLogitContributesZero) {
  VariantOp v = parse(Shape(), hook(HookKind::logits,
                                    "%n = arith.constant 0xFF800000 : f32\n"
                                    "%c0 = arith.constant 0 : i32\n"
                                    "%z = arith.cmpi eq, %kv_idx, %c0 : i32\n"
                                    "%r = arith.select %z, %n, %score : f32\n"
                                    "attn.yield %r : f32"));
  Result r = eval(v, problem({1}, {3}, {0}, {1, 1, 1}, {100, 2, 4}));
  expectNear(r.out, {3});
  expectNear(r.lse, {std::log(2.0)});
}

// +inf follows IEEE: exp(inf - inf) is NaN, so the row is NaN (documented
// in Evaluator.cpp; an online softmax computes the same).
TEST_F(ReferenceEvaluatorTest, PlusInfLogitFollowsIEEE) {
  VariantOp v = parse(Shape(), hook(HookKind::logits,
                                    "%p = arith.constant 0x7F800000 : f32\n"
                                    "%c0 = arith.constant 0 : i32\n"
                                    "%z = arith.cmpi eq, %kv_idx, %c0 : i32\n"
                                    "%r = arith.select %z, %p, %score : f32\n"
                                    "attn.yield %r : f32"));
  Result r = eval(v, problem({1}, {2}, {0}, {1, 1}, {1, 2}));
  EXPECT_TRUE(std::isnan(r.out[0]));
  EXPECT_TRUE(std::isnan(r.lse[0]));
}

// A kv_len of zero (and a q_len of zero) are legal and produce nothing odd.
TEST_F(ReferenceEvaluatorTest, EmptyRequests) {
  VariantOp v = parse(Shape(), "");
  Result r = eval(v, problem({0, 1}, {0, 1}, {1}, {1}, {9}));
  expectNear(r.out, {9});
}

//===----------------------------------------------------------------------===//
// Batches and token arrays
//===----------------------------------------------------------------------===//

// Request 0: q_len 1, kv_len 2; request 1: q_len 2, kv_len 3; causal, zero
// scores, so rows are means of visible values. The output hook adds
// 100 * batch, and the batch param array adds bias[batch] on top.
TEST_F(ReferenceEvaluatorTest, RaggedBatch) {
  VariantOp v = parse(
      Shape(), "attn.param @bias : f32 batch\n" + hook(HookKind::mask, kCausal) +
                   hook(HookKind::output,
                        "%c = arith.constant 100 : i32\n"
                        "%a = arith.muli %batch, %c : i32\n"
                        "%f = arith.sitofp %a : i32 to f32\n"
                        "%b = attn.load_param @bias[%batch] : f32\n"
                        "%r0 = arith.addf %o, %f : f32\n"
                        "%r = arith.addf %r0, %b : f32\nattn.yield %r : f32"));
  Problem p = problem({1, 2}, {2, 3}, {0, 0, 0}, {1, 1, 1, 1, 1},
                      {1, 3, 10, 20, 60});
  p.params.arrays["bias"] = {0.5, 0.25};
  Result r = eval(v, p);
  expectNear(r.out, {2 + 0.5, 15 + 100.25, 30 + 100.25});
  expectNear(r.lse, {std::log(2.0), std::log(2.0), std::log(3.0)});
}

// mask = doc[q_idx] == doc[kv_idx] over a ragged `tokens` array.
TEST_F(ReferenceEvaluatorTest, DocumentMaskFromTokensArray) {
  VariantOp v = parse(Shape(), "attn.param @doc : i32 tokens\n" +
                                   hook(HookKind::mask,
                                        "%a = attn.load_param @doc[%q_idx] : i32\n"
                                        "%b = attn.load_param @doc[%kv_idx] : i32\n"
                                        "%r = arith.cmpi eq, %a, %b : i32\n"
                                        "attn.yield %r : i1"));
  // Request 0 has docs [0, 0, 1, 1]; request 1 (kv_len 3, q_len 1) has
  // [0, 1, 1], so its single query (q_idx 2) sees keys 1 and 2.
  Problem p = problem({4, 1}, {4, 3}, {0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 1},
                      {1, 2, 3, 4, 10, 20, 40});
  p.params.tokens["doc"] = {{0, 0, 1, 1}, {0, 1, 1}};
  Result r = eval(v, p);
  expectNear(r.out, {1.5, 1.5, 3.5, 3.5, 30});
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvaluatorTest, RejectsBadSizes) {
  Shape s;
  s.dqk = 2;
  VariantOp v = parse(s, "");
  expectError(v, problem({1}, {2}, {1, 0, 0}, {1, 0, 0, 1}, {1, 2, 3, 4}), "q has 3");
  expectError(v, problem({1}, {2}, {1, 0}, {1, 0, 0}, {1, 2, 3, 4}), "k has 3");
  expectError(v, problem({1}, {2}, {1, 0}, {1, 0, 0, 1}, {1, 2}), "v has 2");
  expectError(v, problem({1}, {2, 0}, {1, 0}, {1, 0, 0, 1}, {1, 2, 3, 4}),
              "kvLens has 2");
}

TEST_F(ReferenceEvaluatorTest, RejectsBadLengths) {
  VariantOp v = parse(Shape(), "");
  expectError(v, problem({2}, {1}, {1, 1}, {1}, {1}), "must be at least q_len");
  expectError(v, problem({-1}, {1}, {}, {1}, {1}), "non-negative");
}

TEST_F(ReferenceEvaluatorTest, RejectsMissingParam) {
  VariantOp v = parse(Shape(), "attn.param @slopes : f32 heads\n" +
                                   hook(HookKind::logits,
                                        "%m = attn.load_param @slopes[%head] : f32\n"
                                        "%r = arith.addf %score, %m : f32\n"
                                        "attn.yield %r : f32"));
  expectError(v, problem({1}, {1}, {1}, {1}, {1}), "slopes");
}

// slopes has one entry per head (1) but is read at kv_idx (0..2).
TEST_F(ReferenceEvaluatorTest, RejectsOutOfRangeArrayIndex) {
  VariantOp v = parse(Shape(), "attn.param @slopes : f32 heads\n" +
                                   hook(HookKind::logits,
                                        "%m = attn.load_param @slopes[%kv_idx] : f32\n"
                                        "%r = arith.addf %score, %m : f32\n"
                                        "attn.yield %r : f32"));
  Problem p = problem({1}, {3}, {1}, {1, 1, 1}, {1, 1, 1});
  p.params.arrays["slopes"] = {0.5};
  expectError(v, p, "kv_idx 1: logits hook");
}

// A masked pair's logits hook never runs, so a read that is only in range
// inside the mask is fine.
TEST_F(ReferenceEvaluatorTest, LogitsHookRunsOnlyOnKeptPairs) {
  VariantOp v = parse(Shape(), "attn.param @slopes : f32 heads\n" +
                                   hook(HookKind::mask,
                                        "%c0 = arith.constant 0 : i32\n"
                                        "%r = arith.cmpi eq, %kv_idx, %c0 : i32\n"
                                        "attn.yield %r : i1") +
                                   hook(HookKind::logits,
                                        "%m = attn.load_param @slopes[%kv_idx] : f32\n"
                                        "%r = arith.addf %score, %m : f32\n"
                                        "attn.yield %r : f32"));
  Problem p = problem({1}, {3}, {1}, {1, 1, 1}, {7, 1, 1});
  p.params.arrays["slopes"] = {0.5};
  Result r = eval(v, p);
  expectNear(r.out, {7});
  expectNear(r.lse, {1.5});
}

//===----------------------------------------------------------------------===//
// Random problems
//===----------------------------------------------------------------------===//

/// Softmax attention written the obvious way, independently of the
/// evaluator: the cross-check's second opinion.
std::vector<double> naiveAttention(const Problem &p, int64_t hq, int64_t hkv,
                                   int64_t d, double scale, bool causal) {
  std::vector<double> out;
  int64_t q0 = 0, k0 = 0;
  for (size_t b = 0; b < p.qLens.size(); ++b) {
    int64_t ql = p.qLens[b], kl = p.kvLens[b];
    for (int64_t i = 0; i < ql; ++i)
      for (int64_t h = 0; h < hq; ++h) {
        int64_t g = h / (hq / hkv);
        std::vector<double> s;
        for (int64_t j = 0; j < kl; ++j) {
          if (causal && j > kl - ql + i) {
            s.push_back(-kInf);
            continue;
          }
          double dot = 0;
          for (int64_t x = 0; x < d; ++x)
            dot += p.q[((q0 + i) * hq + h) * d + x] * p.k[((k0 + j) * hkv + g) * d + x];
          s.push_back(dot * scale);
        }
        double m = -kInf, z = 0;
        for (double x : s)
          m = std::max(m, x);
        for (double x : s)
          z += std::exp(x - m);
        for (int64_t x = 0; x < d; ++x) {
          double o = 0;
          for (int64_t j = 0; j < kl; ++j)
            o += std::exp(s[j] - m) / z * p.v[((k0 + j) * hkv + g) * d + x];
          out.push_back(o);
        }
      }
    q0 += ql;
    k0 += kl;
  }
  return out;
}

TEST_F(ReferenceEvaluatorTest, MatchesNaiveAttentionOnRandomProblems) {
  Shape s;
  s.dqk = 16;
  s.hq = 4;
  s.hkv = 2;
  s.scale = "0.25";
  for (bool causal : {false, true}) {
    VariantOp v = parse(s, causal ? hook(HookKind::mask, kCausal) : "");
    std::vector<int64_t> qLens = {1, 17, 127, 1, 17}, kvLens = {1, 17, 127, 127, 128};
    Problem p = attn::ref::makeRandomProblem(v, qLens, kvLens, 42 + causal);
    Result r = eval(v, p);
    std::vector<double> ref = naiveAttention(p, 4, 2, 16, 0.25, causal);
    expectNear(r.out, ref, 1e-12);
  }
}

TEST_F(ReferenceEvaluatorTest, RandomProblemIsDeterministicAndBF16Exact) {
  Shape s;
  s.dqk = 8;
  s.hq = 2;
  VariantOp v = parse(s, "attn.param @cap : f32 scalar = 30.0 : f32\n"
                         "attn.param @w : i32 scalar\n"
                         "attn.param @slopes : f32 heads\n"
                         "attn.param @ids : i32 kv_heads\n"
                         "attn.param @doc : i32 tokens\n"
                         "attn.param @pos : f32 tokens\n");
  Problem a = attn::ref::makeRandomProblem(v, {3, 17}, {5, 40}, 7);
  Problem b = attn::ref::makeRandomProblem(v, {3, 17}, {5, 40}, 7);
  Problem c = attn::ref::makeRandomProblem(v, {3, 17}, {5, 40}, 8);
  EXPECT_EQ(a.q, b.q);
  EXPECT_EQ(a.k, b.k);
  EXPECT_EQ(a.v, b.v);
  EXPECT_EQ(a.params.scalars, b.params.scalars);
  EXPECT_EQ(a.params.arrays, b.params.arrays);
  EXPECT_EQ(a.params.tokens, b.params.tokens);
  EXPECT_NE(a.q, c.q);
  ASSERT_EQ(a.q.size(), 20u * 2 * 8);
  ASSERT_EQ(a.k.size(), 45u * 1 * 8);

  bool anyNonZero = false;
  for (const auto *t : {&a.q, &a.k, &a.v})
    for (double x : *t) {
      // bf16 is the top half of a float: the low 16 bits must be zero.
      float f = static_cast<float>(x);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      EXPECT_EQ(static_cast<double>(f), x);
      EXPECT_EQ(bits & 0xffffu, 0u) << x;
      EXPECT_LE(std::fabs(x), 1.0);
      anyNonZero |= x != 0;
    }
  EXPECT_TRUE(anyNonZero);

  EXPECT_EQ(a.params.scalars.at("cap"), 30.0);
  double w = a.params.scalars.at("w");
  EXPECT_TRUE(w >= 1 && w <= 64 && w == std::floor(w));
  EXPECT_EQ(a.params.arrays.at("slopes").size(), 2u);
  for (double x : a.params.arrays.at("ids"))
    EXPECT_TRUE(x >= 0 && x < 8 && x == std::floor(x));
  const auto &doc = a.params.tokens.at("doc");
  ASSERT_EQ(doc.size(), 2u);
  for (size_t r = 0; r < doc.size(); ++r) {
    ASSERT_EQ(doc[r].size(), r == 0 ? 5u : 40u);
    EXPECT_EQ(doc[r][0], 0.0);
    for (size_t n = 1; n < doc[r].size(); ++n)
      EXPECT_TRUE(doc[r][n] == doc[r][n - 1] || doc[r][n] == doc[r][n - 1] + 1);
  }
  EXPECT_EQ(a.params.tokens.at("pos")[1].size(), 40u);

  // And the problem evaluates (its params bind).
  Result r = eval(v, a);
  EXPECT_EQ(r.out.size(), 20u * 2 * 8);
}

TEST_F(ReferenceEvaluatorTest, RandomProblemF16IsF16Exact) {
  Shape s;
  s.dtype = "f16";
  s.dqk = 4;
  VariantOp v = parse(s, "");
  Problem p = attn::ref::makeRandomProblem(v, {9}, {9}, 3);
  for (double x : p.q)
    EXPECT_EQ(attn::ref::roundToF16(x), x);
#ifdef __FLT16_MAX__
  for (double x : p.q)
    EXPECT_EQ(static_cast<double>(static_cast<_Float16>(x)), x);
#endif
}

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

TEST(ReferenceRoundingTest, BF16NearestEven) {
  using attn::ref::roundToBF16;
  // Around 1 the bf16 step is 2^-7.
  EXPECT_EQ(roundToBF16(1.0 + 0x1p-8), 1.0);                // tie, to even
  EXPECT_EQ(roundToBF16(1.0 + 3 * 0x1p-8), 1.0 + 0x1p-6);   // tie, to even
  EXPECT_EQ(roundToBF16(-1.0 - 0x1p-8), -1.0);
  EXPECT_EQ(roundToBF16(0.0), 0.0);
  EXPECT_EQ(roundToBF16(0x1p-133), 0x1p-133);   // smallest subnormal
  EXPECT_EQ(roundToBF16(0x1p-134), 0.0);        // tie with 0, to even
  EXPECT_EQ(roundToBF16(3.39e38), 0x1.fep127);  // largest finite
  EXPECT_EQ(roundToBF16(3.4e38), kInf);         // past it
  EXPECT_TRUE(std::isnan(roundToBF16(std::nan(""))));
  // Just above a tie. Through float it would first become the tie itself
  // (the 2^-40 is below float precision) and then round down to even.
  EXPECT_EQ(roundToBF16(1.0 + 0x1p-8 + 0x1p-40), 1.0 + 0x1p-7);
}

TEST(ReferenceRoundingTest, F16NearestEven) {
  using attn::ref::roundToF16;
  EXPECT_EQ(roundToF16(1.0 + 0x1p-11), 1.0);
  EXPECT_EQ(roundToF16(1.0 + 3 * 0x1p-11), 1.0 + 0x1p-9);
  EXPECT_EQ(roundToF16(65504.0), 65504.0);
  EXPECT_EQ(roundToF16(65519.0), 65504.0);
  EXPECT_EQ(roundToF16(65520.0), kInf); // tie rounds to 65536: overflow
  EXPECT_EQ(roundToF16(-1e6), -kInf);
  EXPECT_EQ(roundToF16(0x1p-24), 0x1p-24);   // smallest subnormal
  EXPECT_EQ(roundToF16(0x1p-25), 0.0);       // tie, to even (0)
  EXPECT_EQ(roundToF16(3 * 0x1p-26), 0x1p-24);
  EXPECT_EQ(roundToF16(3 * 0x1p-25), 2 * 0x1p-24); // 1.5 steps: to even
#ifdef __FLT16_MAX__
  // Agreement with the compiler's own conversion over many magnitudes.
  for (int e = -30; e <= 17; ++e)
    for (int m = 0; m < 4096; m += 7) {
      double x = std::ldexp(1.0 + m / 4096.0 + 1e-9 * m, e);
      EXPECT_EQ(roundToF16(x), static_cast<double>(static_cast<_Float16>(x))) << x;
    }
#endif
}

//===----------------------------------------------------------------------===//
// Size the tests and `attnc ref` will use
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvaluatorTest, ModerateProblemRunsQuickly) {
  Shape s;
  s.dqk = 128;
  s.hq = 4;
  s.hkv = 2;
  s.scale = "0.088388347648318447";
  VariantOp v = parse(s, "attn.param @cap : f32 scalar = 50.0 : f32\n" +
                             hook(HookKind::mask, kCausal) +
                             hook(HookKind::logits,
                                  "%cap = attn.get_param @cap : f32\n"
                                  "%a = arith.divf %score, %cap : f32\n"
                                  "%t = math.tanh %a : f32\n"
                                  "%r = arith.mulf %cap, %t : f32\n"
                                  "attn.yield %r : f32"));
  Problem p = attn::ref::makeRandomProblem(v, {300, 300}, {300, 300}, 1);
  auto start = std::chrono::steady_clock::now();
  Result r = eval(v, p);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("2 x 4 heads x 300 x 300 x d128, causal + soft-cap: %.3f s\n", seconds);
  for (double x : r.out)
    ASSERT_TRUE(std::isfinite(x));
  EXPECT_LT(seconds, 30.0);
}

} // namespace
