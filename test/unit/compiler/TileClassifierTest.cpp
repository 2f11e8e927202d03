//===- TileClassifierTest.cpp - attn-classify-tiles against brute force ---===//
//
// Property test of the generated tile classifier: for many random tiles and
// params, the class it computes (run through the hook interpreter) is
// compared with the class obtained by evaluating the mask on every pair of
// the tile. Affine masks (causal, window, prefix-LM, chunked and their
// conjunctions) must match exactly; every other mask must be sound: never
// "empty" when a pair is kept, never "full" when a pair is dropped.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Reference/HookInterpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <string>

using attn::ref::ParamShape;
using attn::ref::ParamValues;
using attn::ref::RegionInterpreter;
using RefValue = attn::ref::Value;

namespace {

constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int kNumQHeads = 4, kNumKVHeads = 2, kBatch = 2;
constexpr int kMaxPos = 200; ///< tiles lie in [0, kMaxPos]

/// One mask under test: param declarations and a mask body defining `%m`
/// from `%q %k %h %kvh %b %ql %kvl`.
struct MaskCase {
  const char *name;
  const char *params;
  const char *body;
  bool exact;
};

// The language's guarded division, as the front end emits it.
#define GUARDED_CHUNKS                                                         \
  "    %c = attn.get_param @chunk : i32\n"                                     \
  "    %z = arith.constant 0 : i32\n"                                          \
  "    %one = arith.constant 1 : i32\n"                                        \
  "    %isz = arith.cmpi eq, %c, %z : i32\n"                                   \
  "    %den = arith.select %isz, %one, %c : i32\n"                             \
  "    %qd = arith.divsi %q, %den : i32\n"                                     \
  "    %qc = arith.select %isz, %z, %qd : i32\n"                               \
  "    %kd = arith.divsi %k, %den : i32\n"                                     \
  "    %kc = arith.select %isz, %z, %kd : i32\n"                               \
  "    %same = arith.cmpi eq, %qc, %kc : i32\n"
#define CAUSAL "    %causal = arith.cmpi sle, %k, %q : i32\n"
#define WINDOW                                                                 \
  "    %w = attn.get_param @window : i32\n"                                    \
  "    %d = arith.subi %q, %k : i32\n"                                         \
  "    %inwin = arith.cmpi slt, %d, %w : i32\n"

const MaskCase kCases[] = {
    // --- exact -----------------------------------------------------------
    {"causal", "", "    %m = arith.cmpi sle, %k, %q : i32\n", true},
    {"causal_unsigned", "", "    %m = arith.cmpi ule, %k, %q : i32\n", true},
    {"sliding_window", "attn.param @window : i32 scalar = 64 : i32",
     CAUSAL WINDOW "    %m = arith.andi %causal, %inwin : i1\n", true},
    {"window_lower_bound", "attn.param @window : i32 scalar",
     CAUSAL "    %w = attn.get_param @window : i32\n"
            "    %lim = arith.subi %q, %w : i32\n"
            "    %after = arith.cmpi slt, %lim, %k : i32\n"
            "    %m = arith.andi %causal, %after : i1\n",
     true},
    {"prefix_lm", "attn.param @prefix : i32 scalar",
     CAUSAL "    %p = attn.get_param @prefix : i32\n"
            "    %inp = arith.cmpi slt, %k, %p : i32\n"
            "    %m = arith.ori %causal, %inp : i1\n",
     true},
    {"chunked", "attn.param @chunk : i32 scalar",
     GUARDED_CHUNKS "    %m = arith.andi %same, %same : i1\n", true},
    {"chunked_causal", "attn.param @chunk : i32 scalar",
     GUARDED_CHUNKS CAUSAL "    %m = arith.andi %same, %causal : i1\n", true},
    {"window_chunked",
     "attn.param @chunk : i32 scalar\n  attn.param @window : i32 scalar",
     GUARDED_CHUNKS WINDOW "    %m = arith.andi %same, %inwin : i1\n", true},
    {"window_chunked_causal",
     "attn.param @chunk : i32 scalar\n  attn.param @window : i32 scalar",
     GUARDED_CHUNKS WINDOW CAUSAL
     "    %a = arith.andi %same, %inwin : i1\n"
     "    %m = arith.andi %a, %causal : i1\n",
     true},
    {"chunked_negative_divisor", "",
     "    %c = arith.constant -16 : i32\n"
     "    %qc = arith.divsi %q, %c : i32\n    %kc = arith.divsi %k, %c : i32\n"
     "    %m = arith.cmpi eq, %qc, %kc : i32\n",
     true},
    {"not_causal_via_xor", "",
     "    %gt = arith.cmpi sgt, %k, %q : i32\n    %t = arith.constant true\n"
     "    %m = arith.xori %gt, %t : i1\n",
     true},
    // --- sound -------------------------------------------------------------
    {"document", "attn.param @doc : i32 tokens",
     "    %dq = attn.load_param @doc[%q] : i32\n"
     "    %dk = attn.load_param @doc[%k] : i32\n"
     "    %m = arith.cmpi eq, %dq, %dk : i32\n",
     false},
    {"document_causal", "attn.param @doc : i32 tokens",
     CAUSAL "    %dq = attn.load_param @doc[%q] : i32\n"
            "    %dk = attn.load_param @doc[%k] : i32\n"
            "    %sd = arith.cmpi eq, %dq, %dk : i32\n"
            "    %m = arith.andi %sd, %causal : i1\n",
     false},
    {"alibi_threshold",
     "attn.param @slopes : f32 heads\n  attn.param @thresh : f32 scalar",
     CAUSAL "    %s = attn.load_param @slopes[%h] : f32\n"
            "    %d = arith.subi %k, %q : i32\n"
            "    %df = arith.sitofp %d : i32 to f32\n"
            "    %x = arith.mulf %s, %df : f32\n"
            "    %t = attn.get_param @thresh : f32\n"
            "    %near = arith.cmpf ogt, %x, %t : f32\n"
            "    %m = arith.andi %near, %causal : i1\n",
     false},
    {"dilated_mod", "attn.param @chunk : i32 scalar",
     CAUSAL "    %c = attn.get_param @chunk : i32\n"
            "    %z = arith.constant 0 : i32\n    %one = arith.constant 1 : i32\n"
            "    %isz = arith.cmpi eq, %c, %z : i32\n"
            "    %den = arith.select %isz, %one, %c : i32\n"
            "    %d = arith.subi %q, %k : i32\n"
            "    %r0 = arith.remsi %d, %den : i32\n"
            "    %r = arith.select %isz, %d, %r0 : i32\n"
            "    %e = arith.cmpi eq, %r, %z : i32\n"
            "    %m = arith.andi %e, %causal : i1\n",
     false},
    {"mod_constant", "",
     "    %c = arith.constant 7 : i32\n    %r = arith.remsi %q, %c : i32\n"
     "    %s = arith.remsi %k, %c : i32\n    %m = arith.cmpi sle, %s, %r : i32\n",
     false},
    {"scf_if", "attn.param @prefix : i32 scalar\n  attn.param @window : i32 scalar",
     "    %p = attn.get_param @prefix : i32\n"
     "    %early = arith.cmpi slt, %q, %p : i32\n"
     "    %m = scf.if %early -> (i1) {\n"
     "      %c1 = arith.cmpi sle, %k, %q : i32\n      scf.yield %c1 : i1\n"
     "    } else {\n"
     "      %w = attn.get_param @window : i32\n"
     "      %d = arith.subi %q, %k : i32\n"
     "      %c2 = arith.cmpi slt, %d, %w : i32\n      scf.yield %c2 : i1\n"
     "    }\n",
     false},
    {"scf_if_guarded_load", "attn.param @doc : i32 tokens",
     "    %ok = arith.cmpi slt, %q, %kvl : i32\n"
     "    %m = scf.if %ok -> (i1) {\n"
     "      %dq = attn.load_param @doc[%q] : i32\n"
     "      %dk = attn.load_param @doc[%k] : i32\n"
     "      %e = arith.cmpi eq, %dq, %dk : i32\n      scf.yield %e : i1\n"
     "    } else {\n      %f = arith.constant false\n      scf.yield %f : i1\n    }\n",
     false},
    {"streaming_llm",
     "attn.param @sink : i32 scalar\n  attn.param @window : i32 scalar",
     CAUSAL WINDOW "    %s = attn.get_param @sink : i32\n"
                   "    %insink = arith.cmpi slt, %k, %s : i32\n"
                   "    %keep = arith.ori %insink, %inwin : i1\n"
                   "    %m = arith.andi %causal, %keep : i1\n",
     false},
    {"prefix_or_window",
     "attn.param @prefix : i32 scalar\n  attn.param @window : i32 scalar",
     CAUSAL WINDOW "    %p = attn.get_param @prefix : i32\n"
                   "    %inp = arith.cmpi slt, %k, %p : i32\n"
                   "    %cw = arith.andi %causal, %inwin : i1\n"
                   "    %m = arith.ori %inp, %cw : i1\n",
     false},
    {"head_offset", "",
     "    %c8 = arith.constant 8 : i32\n    %hs = arith.muli %h, %c8 : i32\n"
     "    %lim = arith.addi %q, %hs : i32\n    %m = arith.cmpi sle, %k, %lim : i32\n",
     false},
    {"batch_parity", "",
     CAUSAL "    %two = arith.constant 2 : i32\n    %z = arith.constant 0 : i32\n"
            "    %par = arith.remsi %b, %two : i32\n"
            "    %odd = arith.cmpi ne, %par, %z : i32\n"
            "    %all = arith.cmpi slt, %kvh, %z : i32\n"
            "    %x = arith.select %odd, %causal, %all : i1\n"
            "    %m = arith.xori %x, %odd : i1\n",
     false},
    {"overflow_product", "",
     "    %a = arith.constant 100000 : i32\n    %c = arith.constant 70000 : i32\n"
     "    %qa = arith.muli %q, %a : i32\n    %kc = arith.muli %k, %c : i32\n"
     "    %m = arith.cmpi slt, %qa, %kc : i32\n",
     false},
    {"overflow_product_wraps", "",
     "    %a = arith.constant 30000000 : i32\n    %c = arith.constant 21000000 : i32\n"
     "    %qa = arith.muli %q, %a : i32\n    %kc = arith.muli %k, %c : i32\n"
     "    %m = arith.cmpi slt, %qa, %kc : i32\n",
     false},
    {"overflow_window_add", "attn.param @window : i32 scalar = 2147483647 : i32",
     CAUSAL "    %w = attn.get_param @window : i32\n"
            "    %lim = arith.addi %k, %w : i32\n"
            "    %in = arith.cmpi sgt, %lim, %q : i32\n"
            "    %m = arith.andi %causal, %in : i1\n",
     false},
    {"mixed_ops", "",
     "    %a = math.absi %q : i32\n    %d = arith.subi %k, %a : i32\n"
     "    %ad = math.absi %d : i32\n    %c5 = arith.constant 5 : i32\n"
     "    %mn = arith.minsi %ad, %c5 : i32\n    %mx = arith.maxsi %mn, %k : i32\n"
     "    %t = arith.trunci %mx : i32 to i1\n"
     "    %e = arith.extui %t : i1 to i32\n    %s = arith.extsi %t : i1 to i32\n"
     "    %sum = arith.addi %e, %s : i32\n    %z = arith.constant 0 : i32\n"
     "    %lt = arith.cmpi ult, %d, %q : i32\n"
     "    %eq = arith.cmpi eq, %sum, %z : i32\n"
     "    %m = arith.ori %lt, %eq : i1\n",
     false},
};

// Names the case in gtest's failure messages instead of dumping its bytes.
void PrintTo(const MaskCase &c, std::ostream *os) { *os << c.name; }

std::string variantText(const MaskCase &c) {
  return std::string(
             "attn.variant @v attributes {dtype = bf16, head_dim_qk = 128 : i64, "
             "head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, "
             "normalize = #attn<normalize softmax>, num_kv_heads = 2 : i64, "
             "num_q_heads = 4 : i64, scale = 1.0 : f64} {\n  ") +
         c.params +
         "\n  attn.hook mask {\n  ^bb0(%q: i32, %k: i32, %h: i32, %kvh: i32, "
         "%b: i32, %ql: i32, %kvl: i32):\n" +
         c.body + "    attn.yield %m : i1\n  }\n}\n";
}

/// Parses `text` and runs the classify pass on its variant, alone or inside
/// the simplify / classify / simplify sequence attnc uses.
struct Compiled {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  attn::VariantOp variant;

  Compiled(const std::string &text, bool withSimplify) {
    ctx.loadDialect<attn::AttnDialect, mlir::arith::ArithDialect,
                    mlir::math::MathDialect, mlir::scf::SCFDialect>();
    module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    if (!module)
      return;
    mlir::PassManager pm(&ctx);
    mlir::OpPassManager &vpm = pm.nest<attn::VariantOp>();
    if (withSimplify)
      vpm.addPass(attn::createAttnSimplifyHooks());
    vpm.addPass(attn::createAttnClassifyTiles());
    if (withSimplify)
      vpm.addPass(attn::createAttnSimplifyHooks());
    if (mlir::failed(pm.run(*module)))
      return;
    variant = *module->getBody()->getOps<attn::VariantOp>().begin();
  }
};

/// Random runtime values for the params the cases use.
ParamValues randomParams(attn::VariantOp variant, const ParamShape &shape,
                         std::mt19937 &rng) {
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  ParamValues p;
  for (attn::ParamOp param : variant.getBody().front().getOps<attn::ParamOp>()) {
    std::string name = param.getSymName().str();
    if (name == "window")
      p.scalars[name] = uniform(0, 9) == 0 ? double(kI32Max) : uniform(1, 100);
    else if (name == "prefix")
      p.scalars[name] = uniform(0, 150);
    else if (name == "chunk")
      p.scalars[name] = uniform(1, 64);
    else if (name == "sink")
      p.scalars[name] = uniform(0, 8);
    else if (name == "thresh")
      p.scalars[name] = -uniform(0, 5000) / 100.0;
    else if (name == "slopes")
      for (int h = 0; h < shape.numQHeads; ++h)
        p.arrays[name].push_back(uniform(1, 100) / 100.0);
    else if (name == "doc") {
      // Documents as runs of equal ids, a new document every ~30 tokens.
      for (int64_t len : shape.kvLens) {
        std::vector<double> ids;
        int id = 0;
        for (int64_t t = 0; t < len; ++t) {
          if (uniform(0, 29) == 0)
            ++id;
          ids.push_back(id);
        }
        p.tokens[name].push_back(ids);
      }
    }
  }
  return p;
}

/// A random span inside [0, kMaxPos]: widths 1 to 64, biased small.
std::pair<int, int> randomSpan(std::mt19937 &rng, int center) {
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int width = uniform(0, 3) == 0 ? 1 : uniform(1, uniform(0, 1) ? 16 : 64);
  int start = std::clamp(center + uniform(-70, 70), 0, kMaxPos);
  return {start, std::min(start + width - 1, kMaxPos)};
}

struct TileCounts {
  int tiles = 0, empty = 0, partial = 0, full = 0;
};

class ClassifierProperty
    : public ::testing::TestWithParam<std::tuple<MaskCase, bool>> {};

TEST_P(ClassifierProperty, MatchesBruteForce) {
  auto [c, withSimplify] = GetParam();
  Compiled compiled(variantText(c), withSimplify);
  ASSERT_TRUE(compiled.variant) << "pass pipeline failed on " << c.name;
  attn::VariantOp variant = compiled.variant;
  attn::TileClassifierOp classifier = variant.getTileClassifier();
  ASSERT_TRUE(classifier);
  mlir::Region &mask = variant.getHook(attn::HookKind::mask).getBody();

  std::mt19937 rng(std::hash<std::string>()(c.name) & 0xffff);
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  TileCounts counts, brute;
  for (int trial = 0; trial < 300; ++trial) {
    ParamShape shape;
    shape.numQHeads = kNumQHeads;
    shape.numKVHeads = kNumKVHeads;
    shape.batch = kBatch;
    for (int b = 0; b < kBatch; ++b)
      shape.kvLens.push_back(uniform(kMaxPos + 1, kMaxPos + 40));
    ParamValues params = randomParams(variant, shape, rng);
    RegionInterpreter interp(variant, params, shape);
    std::string error;
    ASSERT_TRUE(interp.bindParams(error)) << error;

    int64_t head = uniform(0, kNumQHeads - 1), kvHead = head / 2;
    int64_t batch = uniform(0, kBatch - 1);
    int64_t kvLen = shape.kvLens[batch], qLen = uniform(1, kvLen);
    int center = uniform(0, kMaxPos);
    auto [q0, q1] = randomSpan(rng, center);
    auto [k0, k1] = randomSpan(rng, center);

    bool anyKept = false, anyDropped = false;
    for (int q = q0; q <= q1; ++q)
      for (int k = k0; k <= k1; ++k) {
        RefValue keep;
        RefValue args[] = {RefValue::ofInt(q), RefValue::ofInt(k),
                           RefValue::ofInt(head), RefValue::ofInt(kvHead),
                           RefValue::ofInt(batch), RefValue::ofInt(qLen),
                           RefValue::ofInt(kvLen)};
        ASSERT_TRUE(interp.run(mask, args, batch, keep, error)) << error;
        (keep.i ? anyKept : anyDropped) = true;
      }
    int expected = !anyKept ? 0 : anyDropped ? 1 : 2;

    RefValue cls;
    RefValue cargs[] = {RefValue::ofInt(q0), RefValue::ofInt(q1),
                        RefValue::ofInt(k0), RefValue::ofInt(k1),
                        RefValue::ofInt(head), RefValue::ofInt(kvHead),
                        RefValue::ofInt(batch), RefValue::ofInt(qLen),
                        RefValue::ofInt(kvLen)};
    ASSERT_TRUE(interp.run(classifier.getBody(), cargs, batch, cls, error)) << error;
    std::string where = std::string(c.name) + " tile q[" + std::to_string(q0) +
                        "," + std::to_string(q1) + "] k[" + std::to_string(k0) +
                        "," + std::to_string(k1) + "] head " + std::to_string(head) +
                        " batch " + std::to_string(batch);
    for (const auto &[name, v] : params.scalars)
      where += " " + name + "=" + std::to_string(v);
    ASSERT_TRUE(cls.i >= 0 && cls.i <= 2) << where;
    if (c.exact) {
      ASSERT_EQ(cls.i, expected) << where;
    } else if (cls.i != 1) {
      ASSERT_EQ(cls.i, expected) << "unsound: " << where;
    }
    ++counts.tiles;
    (cls.i == 0 ? counts.empty : cls.i == 1 ? counts.partial : counts.full)++;
    (expected == 0 ? brute.empty : expected == 1 ? brute.partial : brute.full)++;
  }
  // The exact cases must exercise all three answers, or they prove little.
  if (c.exact) {
    EXPECT_GT(brute.empty, 0) << c.name;
    EXPECT_GT(brute.full, 0) << c.name;
    EXPECT_GT(brute.partial, 0) << c.name;
  }
  RecordProperty("classifier_empty_partial_full",
                 std::to_string(counts.empty) + "/" + std::to_string(counts.partial) +
                     "/" + std::to_string(counts.full));
}

INSTANTIATE_TEST_SUITE_P(
    Masks, ClassifierProperty,
    ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<MaskCase, bool>> &info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) ? "_simplified" : "_raw");
    });

TEST(TileClassifier, NoMaskIsAlwaysFull) {
  MaskCase c{"none", "", "", true};
  std::string text = variantText(c);
  text = text.substr(0, text.find("  attn.hook")) + "}\n";
  Compiled compiled(text, /*withSimplify=*/true);
  ASSERT_TRUE(compiled.variant);
  RegionInterpreter interp(compiled.variant, {}, {});
  std::vector<RefValue> args(9, RefValue::ofInt(3));
  RefValue cls;
  std::string error;
  ASSERT_TRUE(interp.run(compiled.variant.getTileClassifier().getBody(), args, 0,
                         cls, error))
      << error;
  EXPECT_EQ(cls.i, 2);
}

TEST(TileClassifier, RerunReplacesTheClassifier) {
  Compiled compiled(variantText(kCases[0]), /*withSimplify=*/false);
  ASSERT_TRUE(compiled.variant);
  mlir::PassManager pm(&compiled.ctx);
  pm.nest<attn::VariantOp>().addPass(attn::createAttnClassifyTiles());
  ASSERT_TRUE(mlir::succeeded(pm.run(*compiled.module)));
  auto classifiers = compiled.variant.getBody().front().getOps<attn::TileClassifierOp>();
  EXPECT_EQ(std::distance(classifiers.begin(), classifiers.end()), 1);
}

} // namespace
