//===- HookEmitterTest.cpp - Hook regions as C++ statements ---------------===//
//
// The emitter's translation of the ops whose C++ spelling is easy to get
// wrong (wrap-around, total division, NaN-aware comparisons, saturating
// float -> int, i1 arithmetic, special constants, scf.if), checked as text;
// then the whole variant-only translation unit is compiled by NVRTC so the
// text is also valid CUDA.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn/Target/CUDA/EmbeddedHeaders.h"
#include "attn/Target/CUDA/HookEmitter.h"
#include "attn/Target/CUDA/VariantDesc.h"
#include "attn/Target/NVRTC/NVRTC.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <string>

namespace {

const char *kHeader =
    "attn.variant @v attributes {dtype = bf16, head_dim_qk = 128 : i64, "
    "head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, "
    "normalize = #attn<normalize softmax>, num_kv_heads = 2 : i64, "
    "num_q_heads = 4 : i64, scale = 1.0 : f64} {\n"
    "  attn.param @w : i32 scalar = 7 : i32\n"
    "  attn.param @cap : f32 scalar = 5.0 : f32\n"
    "  attn.param @slopes : f32 heads\n"
    "  attn.param @doc : i32 tokens\n";

const char *kLogitsArgs = "^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kvh: i32, %b: i32, "
                          "%ql: i32, %kvl: i32):\n";
const char *kMaskArgs =
    "^bb0(%q: i32, %k: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):\n";

struct Parsed {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  attn::VariantOp variant;

  /// A variant whose `kind` hook has `body` (which must define %r).
  Parsed(const std::string &kind, const std::string &body, bool pipeline = false) {
    ctx.loadDialect<attn::AttnDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                    mlir::scf::SCFDialect>();
    std::string type = kind == "mask" ? "i1" : "f32";
    std::string text = std::string(kHeader) + "  attn.hook " + kind + " {\n  " +
                       (kind == "mask" ? kMaskArgs : kLogitsArgs) + body +
                       "    attn.yield %r : " + type + "\n  }\n}\n";
    module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    if (!module)
      return;
    variant = *module->getBody()->getOps<attn::VariantOp>().begin();
    if (pipeline) {
      mlir::PassManager pm(&ctx);
      pm.nest<attn::VariantOp>().addPass(attn::createAttnClassifyTiles());
      pm.nest<attn::VariantOp>().addPass(attn::createAttnSelectKernels());
      if (mlir::failed(pm.run(*module)))
        variant = nullptr;
    }
  }
};

/// The C++ body of the variant's only hook.
std::string emitHook(const std::string &kind, const std::string &body) {
  Parsed p(kind, body);
  EXPECT_TRUE(p.variant) << "IR did not parse";
  if (!p.variant)
    return "";
  attn::target::VariantDesc desc;
  std::string error;
  // describeVariant needs kernel configs; the emitter only needs the params.
  desc.params.push_back({"w", "w", false, attn::ParamDomain::scalar, 8, "7"});
  desc.params.push_back({"cap", "cap", true, attn::ParamDomain::scalar, 16, "5"});
  desc.params.push_back({"slopes", "slopes", true, attn::ParamDomain::heads, 24, {}});
  desc.params.push_back({"doc", "doc", false, attn::ParamDomain::tokens, 32, {}});
  attn::HookOp hook = *p.variant.getBody().front().getOps<attn::HookOp>().begin();
  attn::target::RegionEmitEnv env;
  for (const attn::HookArg &a : attn::getHookSignature(hook.getKind()))
    env.args.push_back(a.name.str());
  env.desc = &desc;
  env.indent = "";
  std::string out;
  EXPECT_TRUE(attn::target::emitRegionBody(hook.getBody(), env, out, error)) << error;
  return out;
}

TEST(HookEmitter, IntegerArithmeticWrapsAndDivisionIsTotal) {
  std::string out = emitHook("mask",
                             "    %d = arith.subi %q, %k : i32\n"
                             "    %m = arith.muli %d, %d : i32\n"
                             "    %x = arith.divsi %m, %q : i32\n"
                             "    %y = arith.remsi %x, %k : i32\n"
                             "    %r = arith.cmpi ult, %y, %q : i32\n");
  EXPECT_NE(out.find("const int32_t t0_ = attn_gen_ops::subi<int32_t>(q_idx, kv_idx);"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("attn_gen_ops::muli<int32_t>(t0_, t0_)"), std::string::npos) << out;
  EXPECT_NE(out.find("attn_gen_ops::divsi<int32_t>(t1_, q_idx)"), std::string::npos) << out;
  EXPECT_NE(out.find("attn_gen_ops::remsi<int32_t>(t2_, kv_idx)"), std::string::npos) << out;
  // Unsigned predicates compare the unsigned reinterpretation.
  EXPECT_NE(out.find("((uint32_t)t3_ < (uint32_t)q_idx)"), std::string::npos) << out;
  EXPECT_NE(out.find("return t4_;"), std::string::npos) << out;
}

TEST(HookEmitter, FloatComparisonsKeepOrderedAndUnorderedApart) {
  std::string out = emitHook("mask",
                             "    %f = arith.sitofp %q : i32 to f32\n"
                             "    %g = arith.sitofp %k : i32 to f32\n"
                             "    %a = arith.cmpf one, %f, %g : f32\n"
                             "    %c = arith.cmpf ult, %f, %g : f32\n"
                             "    %d = arith.cmpf uno, %f, %g : f32\n"
                             "    %e = arith.cmpf une, %f, %g : f32\n"
                             "    %o = arith.ori %a, %c : i1\n"
                             "    %p = arith.xori %d, %e : i1\n"
                             "    %r = arith.andi %o, %p : i1\n");
  EXPECT_NE(out.find("(t0_ < t1_ || t0_ > t1_)"), std::string::npos) << out;  // one: false on NaN
  EXPECT_NE(out.find("!(t0_ >= t1_)"), std::string::npos) << out;            // ult: true on NaN
  EXPECT_NE(out.find("(t0_ != t0_ || t1_ != t1_)"), std::string::npos) << out;
  EXPECT_NE(out.find("(t0_ != t1_)"), std::string::npos) << out;             // une is C's !=
  EXPECT_NE(out.find("(t2_ || t3_)"), std::string::npos) << out;
  EXPECT_NE(out.find("(t4_ != t5_)"), std::string::npos) << out;             // i1 xor
  EXPECT_NE(out.find("(t6_ && t7_)"), std::string::npos) << out;
}

TEST(HookEmitter, ConversionsSaturateAndMinMaxPropagateNaN) {
  std::string out = emitHook("logits",
                             "    %i = arith.fptosi %s : f32 to i32\n"
                             "    %f = arith.sitofp %i : i32 to f32\n"
                             "    %m = arith.maximumf %f, %s : f32\n"
                             "    %n = arith.minnumf %m, %s : f32\n"
                             "    %t = math.tanh %n : f32\n"
                             "    %e = math.exp %t : f32\n"
                             "    %r = math.powf %e, %s : f32\n");
  EXPECT_NE(out.find("attn_gen_ops::fptosi_i32(score)"), std::string::npos) << out;
  EXPECT_NE(out.find("(float)t0_"), std::string::npos) << out;
  EXPECT_NE(out.find("attn_gen_ops::maximumf(t1_, score)"), std::string::npos) << out;
  EXPECT_NE(out.find("fminf(t2_, score)"), std::string::npos) << out;
  EXPECT_NE(out.find("tanhf(t3_)"), std::string::npos) << out;
  EXPECT_NE(out.find("expf(t4_)"), std::string::npos) << out;
  EXPECT_NE(out.find("powf(t5_, score)"), std::string::npos) << out;
}

TEST(HookEmitter, ConstantsAreExact) {
  std::string out = emitHook("mask",
                             "    %min = arith.constant -2147483648 : i32\n"
                             "    %inf = arith.constant 0x7F800000 : f32\n"
                             "    %nan = arith.constant 0x7FC00000 : f32\n"
                             "    %tenth = arith.constant 0.1 : f32\n"
                             "    %nz = arith.constant -0.0 : f32\n"
                             "    %a = arith.cmpi eq, %q, %min : i32\n"
                             "    %gt = arith.cmpi sgt, %q, %min : i32\n"
                             "    %c = arith.cmpf olt, %tenth, %inf : f32\n"
                             "    %d = arith.cmpf oeq, %nan, %nz : f32\n"
                             "    %e = arith.andi %a, %gt : i1\n"
                             "    %g = arith.ori %c, %d : i1\n"
                             "    %r = arith.andi %e, %g : i1\n");
  EXPECT_NE(out.find("= (-2147483647 - 1);"), std::string::npos) << out;
  EXPECT_NE(out.find("= __int_as_float((int)0x7f800000u);"), std::string::npos) << out;
  EXPECT_NE(out.find("= __int_as_float((int)0x7fc00000u);"), std::string::npos) << out;
  EXPECT_NE(out.find("= 0.1f;"), std::string::npos) << out;
  EXPECT_NE(out.find("= -0.0f;"), std::string::npos) << out;
}

TEST(HookEmitter, BooleanCastsAndSignedI1) {
  std::string out = emitHook("mask",
                             "    %a = arith.cmpi slt, %q, %k : i32\n"
                             "    %u = arith.extui %a : i1 to i32\n"
                             "    %s = arith.extsi %a : i1 to i32\n"
                             "    %t = arith.trunci %q : i32 to i1\n"
                             "    %x = arith.cmpi slt, %a, %t : i1\n"
                             "    %y = arith.cmpi ne, %u, %s : i32\n"
                             "    %r = arith.andi %x, %y : i1\n");
  EXPECT_NE(out.find("(int32_t)(t0_ ? 1 : 0)"), std::string::npos) << out;
  EXPECT_NE(out.find("(int32_t)(t0_ ? -1 : 0)"), std::string::npos) << out;
  EXPECT_NE(out.find("((q_idx & 1) != 0)"), std::string::npos) << out;
  // i1 read as signed: true is -1, so true < false.
  EXPECT_NE(out.find("((t0_ ? -1 : 0) < (t3_ ? -1 : 0))"), std::string::npos) << out;
}

TEST(HookEmitter, ParamsAndIfBranches) {
  std::string out = emitHook("logits",
                             "    %w = attn.get_param @w : i32\n"
                             "    %c = arith.cmpi slt, %q, %w : i32\n"
                             "    %r = scf.if %c -> (f32) {\n"
                             "      %sl = attn.load_param @slopes[%h] : f32\n"
                             "      %d = attn.load_param @doc[%k] : i32\n"
                             "      %df = arith.sitofp %d : i32 to f32\n"
                             "      %v = arith.mulf %sl, %df : f32\n"
                             "      scf.yield %v : f32\n"
                             "    } else {\n"
                             "      %cap = attn.get_param @cap : f32\n"
                             "      scf.yield %cap : f32\n"
                             "    }\n");
  EXPECT_EQ(out, "const int32_t t0_ = p.w;\n"
                 "const bool t1_ = (q_idx < t0_);\n"
                 "float t2_;\n"
                 "if (t1_) {\n"
                 "  const float t3_ = p.slopes[head];\n"
                 "  const int32_t t4_ = p.doc[p.token_offsets[batch] + kv_idx];\n"
                 "  const float t5_ = (float)t4_;\n"
                 "  const float t6_ = (t3_ * t5_);\n"
                 "  t2_ = t6_;\n"
                 "} else {\n"
                 "  const float t7_ = p.cap;\n"
                 "  t2_ = t7_;\n"
                 "}\n"
                 "return t2_;\n");
}

TEST(HookEmitter, FloatLiterals) {
  using attn::target::floatLiteral;
  EXPECT_EQ(floatLiteral(50.0f), "50.0f");
  EXPECT_EQ(floatLiteral(0.088388346f), "0.088388346f");
  EXPECT_EQ(floatLiteral(1e30f), "1e+30f");
  EXPECT_EQ(floatLiteral(-6.0f), "-6.0f");
  EXPECT_EQ(std::stof(floatLiteral(0.1f)), 0.1f);
}

// The variant-only TU (Params, Variant, helpers; no templates) of a hook with
// every kind of op above is valid CUDA for NVRTC.
TEST(HookEmitter, VariantTranslationUnitCompilesWithNVRTC) {
  Parsed p("logits",
           "    %i = arith.fptosi %s : f32 to i32\n"
           "    %w = attn.get_param @w : i32\n"
           "    %d = arith.divsi %i, %w : i32\n"
           "    %e = arith.remsi %d, %q : i32\n"
           "    %c = arith.cmpi ult, %e, %k : i32\n"
           "    %f = arith.sitofp %e : i32 to f32\n"
           "    %m = arith.maximumf %f, %s : f32\n"
           "    %n = arith.minimumf %m, %s : f32\n"
           "    %o = arith.cmpf one, %n, %s : f32\n"
           "    %both = arith.andi %c, %o : i1\n"
           "    %r = scf.if %both -> (f32) {\n"
           "      %sl = attn.load_param @slopes[%h] : f32\n"
           "      %t = math.tanh %sl : f32\n"
           "      scf.yield %t : f32\n"
           "    } else {\n"
           "      %d2 = attn.load_param @doc[%k] : i32\n"
           "      %df = arith.uitofp %d2 : i32 to f32\n"
           "      %pw = math.powf %df, %s : f32\n"
           "      scf.yield %pw : f32\n"
           "    }\n",
           /*pipeline=*/true);
  ASSERT_TRUE(p.variant);
  attn::target::EmitOptions options;
  options.entryPoints = false;
  std::string source, error;
  ASSERT_TRUE(attn::target::emitCUDA(p.variant, options, source, error)) << error;
  EXPECT_EQ(source.find("attention.cuh"), std::string::npos);

  std::string include;
  ASSERT_TRUE(attn::target::findCudaIncludeDir(include, error)) << error;
  attn::target::NVRTCRequest request;
  // A kernel that calls every hook, so NVRTC instantiates and checks them.
  request.source = source +
                   "extern \"C\" __global__ void probe(attn_gen_v::Params p, float *out) {\n"
                   "  using V = attn_gen_v::Variant;\n"
                   "  int i = threadIdx.x;\n"
                   "  out[i] = V::logits(p, 1.0f, i, i, 0, 0, 0, 4, 4) + V::query(p, 1.0f, i, i, 0, "
                   "0, 0, 4, 4) + V::key(p, 1.0f, i, i, 0, 0, 4, 4) + V::output(p, 1.0f, i, i, 0, "
                   "0, 0, 4, 4) + V::weights(p, 1.0f, 1.0f, i, i, 0, 0, 0, 4, 4) + "
                   "(V::mask(p, i, i, 0, 0, 0, 4, 4) ? 1.0f : 0.0f) + "
                   "V::classify(p, 0, i, 0, i, 0, 0, 0, 4, 4);\n}\n";
  request.arch = "sm_80";
  for (const attn::target::EmbeddedHeader &h : attn::target::embeddedKernelHeaders())
    request.headers.emplace_back(h.name, h.text);
  request.options = {"--std=c++17", "-default-device", "-I" + include};
  attn::target::NVRTCOutput output;
  ASSERT_TRUE(attn::target::compileWithNVRTC(request, output, error)) << error << "\n" << source;
  EXPECT_FALSE(output.cubin.empty());
}

} // namespace
