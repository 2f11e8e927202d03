//===- HookInterpreterTest.cpp - The CPU hook interpreter -----------------===//
//
// The interpreter is the oracle's arithmetic: these tests pin the integer
// corner cases the language defines (wrap, x / 0, x % 0, MIN / -1), float
// to int saturation, NaN compares, and the param errors.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/HookInterpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

using attn::ref::ParamShape;
using attn::ref::ParamValues;
using attn::ref::RegionInterpreter;
using RefValue = attn::ref::Value;

namespace {

constexpr const char *kVariantHeader =
    "attn.variant @v attributes {dtype = bf16, head_dim_qk = 128 : i64, "
    "head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, "
    "normalize = #attn<normalize softmax>, num_kv_heads = 2 : i64, "
    "num_q_heads = 4 : i64, scale = 1.0 : f64} {\n";

/// A parsed variant holding `params` and one integer region (a tile
/// classifier, whose args are 9 x i32 and which yields i32) with `body`.
struct Fixture {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  attn::VariantOp variant;

  Fixture(const std::string &params, const std::string &body) {
    ctx.loadDialect<attn::AttnDialect, mlir::arith::ArithDialect,
                    mlir::math::MathDialect, mlir::scf::SCFDialect>();
    std::string text = std::string(kVariantHeader) + params +
                       "\n  attn.tile_classifier {\n  ^bb0(%a: i32, %b: i32, "
                       "%arg2: i32, %arg3: i32, %arg4: i32, %arg5: i32, "
                       "%arg6: i32, %arg7: i32, %arg8: i32):\n" +
                       body + "\n  }\n}\n";
    module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    if (module)
      variant = *module->getBody()->getOps<attn::VariantOp>().begin();
  }

  /// Runs the region with `a` and `b` as its first two arguments.
  bool run(int64_t a, int64_t b, RefValue &out, std::string &error,
           const ParamValues &params = {}, const ParamShape &shape = {}) {
    if (!variant) {
      error = "the test's IR did not parse";
      return false;
    }
    RegionInterpreter interp(variant, params, shape);
    if (!interp.bindParams(error))
      return false;
    llvm::SmallVector<RefValue, 9> args(9, RefValue::ofInt(0));
    args[0] = RefValue::ofInt(a);
    args[1] = RefValue::ofInt(b);
    return interp.run(variant.getTileClassifier().getBody(), args, 0, out, error);
  }

  int64_t eval(int64_t a, int64_t b) {
    RefValue out;
    std::string error;
    EXPECT_TRUE(run(a, b, out, error)) << error;
    return out.i;
  }
};

/// `%a OP %b` yielded as i32.
int64_t binary(const std::string &op, int64_t a, int64_t b) {
  Fixture f("", "    %r = " + op + " %a, %b : i32\n    attn.yield %r : i32");
  EXPECT_TRUE(f.variant);
  return f.eval(a, b);
}

constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
constexpr int64_t kMax = std::numeric_limits<int32_t>::max();

TEST(HookInterpreter, I32ArithmeticWraps) {
  EXPECT_EQ(binary("arith.addi", kMax, 1), kMin);
  EXPECT_EQ(binary("arith.subi", kMin, 1), kMax);
  EXPECT_EQ(binary("arith.muli", 65536, 65536), 0);
  EXPECT_EQ(binary("arith.muli", 100000, 70000), int64_t(int32_t(uint32_t(7000000000ULL))));
}

TEST(HookInterpreter, DivisionRules) {
  EXPECT_EQ(binary("arith.divsi", -7, 2), -3); // truncates toward zero
  EXPECT_EQ(binary("arith.remsi", -7, 2), -1);
  EXPECT_EQ(binary("arith.divsi", 5, 0), 0);
  EXPECT_EQ(binary("arith.remsi", 5, 0), 5);
  EXPECT_EQ(binary("arith.divsi", kMin, -1), kMin);
  EXPECT_EQ(binary("arith.remsi", kMin, -1), 0);
  EXPECT_EQ(binary("arith.divui", 7, 0), 0);
  EXPECT_EQ(binary("arith.remui", 7, 0), 7);
  EXPECT_EQ(binary("arith.floordivsi", -7, 2), -4);
  EXPECT_EQ(binary("arith.ceildivsi", 7, 2), 4);
  EXPECT_EQ(binary("arith.divui", -1, 2), kMax); // 0xffffffff / 2
}

TEST(HookInterpreter, MinMaxAndCompares) {
  EXPECT_EQ(binary("arith.maxsi", -3, 2), 2);
  EXPECT_EQ(binary("arith.minui", -3, 2), 2);
  Fixture f("", "    %c = arith.cmpi ult, %a, %b : i32\n"
                "    %r = arith.extui %c : i1 to i32\n    attn.yield %r : i32");
  EXPECT_EQ(f.eval(-1, 2), 0); // -1 is 0xffffffff unsigned
  EXPECT_EQ(f.eval(1, 2), 1);
}

TEST(HookInterpreter, I1AndExtensions) {
  Fixture f("", "    %c = arith.cmpi slt, %a, %b : i32\n"
                "    %t = arith.constant true\n"
                "    %n = arith.xori %c, %t : i1\n"
                "    %r = arith.extsi %n : i1 to i32\n    attn.yield %r : i32");
  EXPECT_EQ(f.eval(5, 2), -1);
  EXPECT_EQ(f.eval(1, 2), 0);
}

TEST(HookInterpreter, I64IsNotWrappedAt32Bits) {
  Fixture f("", "    %x = arith.extsi %a : i32 to i64\n"
                "    %y = arith.extsi %b : i32 to i64\n"
                "    %p = arith.muli %x, %y : i64\n"
                "    %k = arith.constant 4294967296 : i64\n"
                "    %q = arith.divsi %p, %k : i64\n"
                "    %r = arith.trunci %q : i64 to i32\n    attn.yield %r : i32");
  EXPECT_EQ(f.eval(kMax, kMax), (kMax * kMax) / 4294967296LL);
}

int64_t fptosi(const std::string &literal) {
  Fixture f("", "    %x = arith.constant " + literal +
                    " : f32\n    %r = arith.fptosi %x : f32 to i32\n"
                    "    attn.yield %r : i32");
  EXPECT_TRUE(f.variant);
  return f.eval(0, 0);
}

TEST(HookInterpreter, FPToSISaturates) {
  EXPECT_EQ(fptosi("3.0e9"), kMax);
  EXPECT_EQ(fptosi("-3.0e9"), kMin);
  EXPECT_EQ(fptosi("0x7FC00000"), 0); // NaN
  EXPECT_EQ(fptosi("-2.75"), -2);
  EXPECT_EQ(fptosi("0x7F800000"), kMax); // +inf
}

/// cmpf `pred` of NaN against 1.0, as 0/1.
int64_t nanCompare(const std::string &pred) {
  Fixture f("", "    %n = arith.constant 0x7FC00000 : f32\n"
                "    %o = arith.constant 1.0 : f32\n"
                "    %c = arith.cmpf " + pred + ", %n, %o : f32\n"
                "    %r = arith.extui %c : i1 to i32\n    attn.yield %r : i32");
  EXPECT_TRUE(f.variant);
  return f.eval(0, 0);
}

TEST(HookInterpreter, NaNComparesFollowOrdering) {
  for (const char *p : {"oeq", "ogt", "oge", "olt", "ole", "one", "ord"})
    EXPECT_EQ(nanCompare(p), 0) << p;
  for (const char *p : {"ueq", "ugt", "uge", "ult", "ule", "une", "uno"})
    EXPECT_EQ(nanCompare(p), 1) << p;
}

TEST(HookInterpreter, ScfIfWithResults) {
  Fixture f("", "    %c = arith.cmpi sgt, %a, %b : i32\n"
                "    %r = scf.if %c -> (i32) {\n"
                "      %s = arith.subi %a, %b : i32\n      scf.yield %s : i32\n"
                "    } else {\n"
                "      %s = arith.subi %b, %a : i32\n      scf.yield %s : i32\n"
                "    }\n    attn.yield %r : i32");
  EXPECT_EQ(f.eval(9, 4), 5);
  EXPECT_EQ(f.eval(4, 9), 5);
}

TEST(HookInterpreter, ScalarParamsAndDefaults) {
  Fixture f("  attn.param @w : i32 scalar = 7 : i32\n  attn.param @x : i32 scalar",
            "    %w = attn.get_param @w : i32\n    %x = attn.get_param @x : i32\n"
            "    %r = arith.addi %w, %x : i32\n    attn.yield %r : i32");
  RefValue out;
  std::string error;
  EXPECT_FALSE(f.run(0, 0, out, error));
  EXPECT_NE(error.find("'x'"), std::string::npos) << error;
  ParamValues params;
  params.scalars["x"] = 3;
  ASSERT_TRUE(f.run(0, 0, out, error, params)) << error;
  EXPECT_EQ(out.i, 10);
  params.scalars["typo"] = 1;
  EXPECT_FALSE(f.run(0, 0, out, error, params));
  EXPECT_NE(error.find("'typo'"), std::string::npos) << error;
}

TEST(HookInterpreter, ArrayParamsAreBoundsChecked) {
  Fixture f("  attn.param @t : i32 heads",
            "    %r = attn.load_param @t[%a] : i32\n    attn.yield %r : i32");
  ParamShape shape;
  shape.numQHeads = 4;
  shape.numKVHeads = 2;
  shape.batch = 1;
  shape.kvLens = {3};
  ParamValues params;
  params.arrays["t"] = {10, 11, 12};
  RefValue out;
  std::string error;
  EXPECT_FALSE(f.run(0, 0, out, error, params, shape)); // wrong length
  EXPECT_NE(error.find("expected 4"), std::string::npos) << error;
  params.arrays["t"] = {10, 11, 12, 13};
  ASSERT_TRUE(f.run(3, 0, out, error, params, shape)) << error;
  EXPECT_EQ(out.i, 13);
  EXPECT_FALSE(f.run(4, 0, out, error, params, shape));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
  EXPECT_FALSE(f.run(-1, 0, out, error, params, shape));
}

TEST(HookInterpreter, TokensParamsUseTheRequestsKVLength) {
  Fixture f("  attn.param @doc : i32 tokens",
            "    %r = attn.load_param @doc[%a] : i32\n    attn.yield %r : i32");
  ParamShape shape;
  shape.batch = 1;
  shape.kvLens = {2};
  ParamValues params;
  params.tokens["doc"] = {{5, 6, 7}};
  RefValue out;
  std::string error;
  EXPECT_FALSE(f.run(0, 0, out, error, params, shape));
  params.tokens["doc"] = {{5, 6}};
  ASSERT_TRUE(f.run(1, 0, out, error, params, shape)) << error;
  EXPECT_EQ(out.i, 6);
  EXPECT_FALSE(f.run(2, 0, out, error, params, shape));
  EXPECT_NE(error.find("tokens of request 0"), std::string::npos) << error;
}

TEST(HookInterpreter, UnknownOpIsAnErrorNotACrash) {
  Fixture f("", "    %r = math.ipowi %a, %b : i32\n    attn.yield %r : i32");
  ASSERT_TRUE(f.variant);
  RefValue out;
  std::string error;
  EXPECT_FALSE(f.run(2, 3, out, error));
  EXPECT_NE(error.find("math.ipowi"), std::string::npos) << error;
}

TEST(HookInterpreter, FloatMath) {
  Fixture f("  attn.param @cap : f32 scalar = 50.0 : f32",
            "    %x = arith.sitofp %a : i32 to f32\n"
            "    %cap = attn.get_param @cap : f32\n"
            "    %d = arith.divf %x, %cap : f32\n    %t = math.tanh %d : f32\n"
            "    %m = arith.mulf %t, %cap : f32\n"
            "    %k = arith.constant 1000.0 : f32\n"
            "    %s = arith.mulf %m, %k : f32\n"
            "    %r = arith.fptosi %s : f32 to i32\n    attn.yield %r : i32");
  EXPECT_EQ(f.eval(30, 0), static_cast<int64_t>(50.0 * std::tanh(0.6) * 1000.0));
}

} // namespace
