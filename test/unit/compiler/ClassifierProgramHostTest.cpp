//===- ClassifierProgramHostTest.cpp - Manifest classifier vs. emitted code ===//
//
// The manifest's "tile_classifier" program (ClassifierProgram.h) must answer
// exactly what the kernels' classify() answers: the planner counts work with
// the first and the kernels skip tiles with the second. For every example,
// a few adversarial masks and a hand-written classifier region that uses the
// ops attn-classify-tiles never builds (shifts, bit counts, unsigned
// comparisons, floats), this test
//   - compiles the emitted Variant struct for the host (as
//     EmittedHooksHostTest does) and runs classify() on thousands of random
//     tiles, in-contract and wild, with random params and arrays;
//   - renders the manifest, parses it with attnrt, binds the same values to
//     attnrt::HostClassifier and requires the same class for every call.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Frontend/LoadSpec.h"
#include "attn/Target/CUDA/ClassifierProgram.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn/Target/CUDA/Manifest.h"
#include "attn/Target/CUDA/VariantDesc.h"

#include "attn_kernels/abi.h"
#include "attnrt/HostClassifier.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "HostDifferential.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>


namespace {


// Masks chosen to stress the classifier: divisions by params that may be 0
// or -1, wrap-around, arrays of every domain, nested ifs over array reads.
const char *kAdversarial[][2] = {
    {"adv_div", R"(variant adv_div {
  head_dim = 64; heads = 4 : 2; dtype = bf16; kv = ragged;
  param a : i32 = 3;
  param b : i32 = -2;
  mask = (q_idx / a) % 5 != (kv_idx / b) % 3 || abs(q_idx - kv_idx) < a * 7;
})"},
    {"adv_arrays", R"(variant adv_arrays {
  head_dim = 64; heads = 8 : 2; dtype = f16; kv = paged(16);
  param lim : i32[heads];
  param klim : i32[kv_heads];
  param blim : i32[batch];
  param tok : i32[tokens];
  mask = kv_idx + lim[head] <= q_idx + klim[kv_head] && kv_idx < blim[batch]
         && (tok[kv_idx] != 0 || max(q_idx, kv_idx) - min(q_idx, kv_idx) < 8);
})"},
    {"adv_overflow", R"(variant adv_overflow {
  head_dim = 64; heads = 2 : 2; dtype = bf16; kv = contiguous;
  param big : i32 = 2147483000;
  mask = q_idx * 65536 - kv_idx * 40000 > 2000000000 || q_idx + big < kv_idx
         || -kv_idx > q_idx - big;
})"},
    {"adv_nested", R"(variant adv_nested {
  head_dim = 64; heads = 4 : 1; dtype = bf16; kv = ragged;
  param w : i32 = 16;
  param f : f32 = 0.5;
  param doc : i32[tokens];
  mask = if q_idx % 2 == 0 { kv_idx <= q_idx }
         else if head > 1 { select(doc[q_idx] == doc[kv_idx], q_idx - kv_idx < w, kv_idx * 2 >= q_idx) }
         else { f32(kv_idx) * f < f32(q_idx) };
})"},
};

// A classifier region written by hand with the ops the pass never emits.
const char *kHandVariant = R"(
attn.variant @hand attributes {dtype = bf16, head_dim_qk = 64 : i64,
    head_dim_vo = 64 : i64, kv_layout = #attn<kv_layout ragged>,
    normalize = #attn<normalize softmax>, num_kv_heads = 2 : i64,
    num_q_heads = 4 : i64, scale = 1.0 : f64} {
  attn.param @w : i32 scalar = 7 : i32
  attn.param @cap : f32 scalar = 5.0 : f32
  attn.param @slopes : f32 heads
  attn.param @doc : i32 tokens
  attn.tile_classifier {
  ^bb0(%q0: i32, %q1: i32, %k0: i32, %k1: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %c3 = arith.constant 3 : i32
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %w = attn.get_param @w : i32
    %cap = attn.get_param @cap : f32
    %s1 = arith.shli %q0, %k0 : i32
    %s2 = arith.shrsi %q1, %w : i32
    %s3 = arith.shrui %k1, %c3 : i32
    %p = math.ctpop %s1 : i32
    %z = math.ctlz %s2 : i32
    %t = math.cttz %s3 : i32
    %x = arith.xori %p, %z : i32
    %cd = arith.ceildivsi %x, %t : i32
    %fd = arith.floordivsi %q1, %k1 : i32
    %cu = arith.ceildivui %k0, %w : i32
    %ru = arith.remui %q0, %k1 : i32
    %du = arith.divui %cd, %fd : i32
    %mu = arith.maxui %cu, %ru : i32
    %nu = arith.minui %du, %mu : i32
    %wide = arith.extui %nu : i32 to i64
    %sw = arith.extsi %x : i32 to i64
    %prod = arith.muli %wide, %sw : i64
    %tr = arith.trunci %prod : i64 to i32
    %lt = arith.cmpi ult, %tr, %q0 : i32
    %ge = arith.cmpi sge, %tr, %k0 : i32
    %bsum = arith.addi %lt, %ge : i1
    %bmax = arith.maxsi %lt, %ge : i1
    %bcmp = arith.cmpi slt, %bsum, %bmax : i1
    %fq = arith.sitofp %q0 : i32 to f32
    %fk = arith.uitofp %k1 : i32 to f32
    %fr = arith.divf %fq, %cap : f32
    %fm = arith.maximumf %fr, %fk : f32
    %fn = arith.minnumf %fm, %fq : f32
    %ff = math.floor %fn : f32
    %fa = math.fma %ff, %fr, %fk : f32
    %fs = math.sqrt %fa : f32
    %fo = arith.cmpf ult, %fs, %fq : f32
    %fi = arith.fptosi %fs : f32 to i32
    %fu = arith.fptoui %fr : f32 to i32
    %bits = arith.bitcast %fa : f32 to i32
    %bl = arith.cmpi sgt, %bits, %fu : i32
    %e = arith.cmpi eq, %fi, %c0 : i32
    %one = arith.ori %bcmp, %fo : i1
    %two = arith.andi %bl, %e : i1
    %inb = arith.cmpi ult, %h, %c2 : i32
    %v = scf.if %inb -> (i32) {
      %pt = arith.cmpi eq, %q0, %q1 : i32
      %inner = scf.if %pt -> (i32) {
        %okq = arith.cmpi ult, %q0, %kvl : i32
        %ld = scf.if %okq -> (i32) {
          %d = attn.load_param @doc[%q0] : i32
          scf.yield %d : i32
        } else {
          scf.yield %c1 : i32
        }
        scf.yield %ld : i32
      } else {
        scf.yield %c2 : i32
      }
      scf.yield %inner : i32
    } else {
      %hm = arith.andi %h, %c3 : i32
      %sl = attn.load_param @slopes[%hm] : f32
      %pos = arith.cmpf ogt, %sl, %fk : f32
      %sel = arith.select %pos, %c0, %c2 : i32
      scf.yield %sel : i32
    }
    %lo = arith.remsi %v, %c3 : i32
    %m1 = arith.select %one, %c1, %lo : i32
    %r = arith.select %two, %c2, %m1 : i32
    attn.yield %r : i32
  }
}
)";


bool buildFromIR(const std::string &text, attn_test::LoadedSpec &out, std::string &error) {
  out.context = std::make_unique<mlir::MLIRContext>();
  out.context->loadDialect<attn::AttnDialect, mlir::arith::ArithDialect,
                           mlir::math::MathDialect, mlir::scf::SCFDialect>();
  out.module = mlir::parseSourceString<mlir::ModuleOp>(text, out.context.get());
  if (!out.module) {
    error = "IR did not parse";
    return false;
  }
  out.op = *out.module->getBody()->getOps<attn::VariantOp>().begin();
  // Configs only: the hand-written classifier must stay as written.
  mlir::PassManager pm(out.context.get());
  pm.nest<attn::VariantOp>().addPass(attn::createAttnSelectKernels());
  if (mlir::failed(pm.run(*out.module))) {
    error = "attn-select-kernels failed";
    return false;
  }
  return true;
}

struct Call {
  int32_t a[9]; // q0 q1 k0 k1 head kv_head batch q_len kv_len
};

/// Random values for every param; arrays as flat host vectors.
struct Values {
  std::vector<std::pair<std::string, int64_t>> i32s;
  std::vector<std::pair<std::string, float>> f32s;
  std::vector<std::vector<int32_t>> intArrays;  // per param slot (empty if not)
  std::vector<std::vector<float>> floatArrays;
};

void runDifferential(attn::VariantOp v, const std::string &tag, uint64_t seed) {
  std::string error;
  attn::target::VariantDesc desc;
  ASSERT_TRUE(attn::target::describeVariant(v, desc, error)) << error;
  ASSERT_FALSE(desc.classifierProgram.empty())
      << "no program: " << desc.classifierProgramError;
  attn::target::EmitOptions eo;
  eo.entryPoints = false;
  std::string source;
  ASSERT_TRUE(attn::target::emitCUDA(v, eo, source, error)) << error;

  // The manifest as the runtime reads it. The compiler's ABI number and the
  // runtime's may be bumped in separate steps; the program does not care.
  std::string json = attn::target::renderManifest(desc, "sm_80", "x.cubin");
  std::string abiField = "\"abi_version\": ";
  size_t at = json.find(abiField);
  ASSERT_NE(at, std::string::npos);
  size_t end = json.find(',', at);
  json.replace(at + abiField.size(), end - at - abiField.size(), std::to_string(ATTN_ABI_VERSION));
  attnrt::Manifest manifest;
  attnrt::Status st = attnrt::parseManifest(json, &manifest);
  ASSERT_TRUE(st.ok()) << st.toString() << "\n" << json;
  ASSERT_TRUE(manifest.tileClassifier.present());

  std::mt19937_64 rng(seed);
  auto ri = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  // Interesting i32s: small, boundary, huge.
  auto anyI32 = [&]() -> int64_t {
    switch (ri(0, 5)) {
    case 0: return ri(-3, 3);
    case 1: return ri(-100, 1000);
    case 2: return ri(INT32_MIN, INT32_MAX);
    case 3: return ri(0, 1) ? INT32_MIN + ri(0, 3) : INT32_MAX - ri(0, 3);
    default: return ri(0, 4096);
    }
  };

  const std::vector<int32_t> qLens = {5, 200, 64, 1}, kvLens = {300, 777, 64, 1000};
  const int64_t B = static_cast<int64_t>(kvLens.size());
  std::vector<int32_t> tokenOffsets = {0};
  for (int32_t l : kvLens)
    tokenOffsets.push_back(tokenOffsets.back() + l);
  const int64_t tokens = tokenOffsets.back();
  const int64_t hq = v.getNumQHeads(), hkv = v.getNumKvHeads(), group = v.getGroupSize();

  // Params: random values (sometimes left at the default), arrays with runs
  // of equal values so document-like masks see full and empty tiles.
  Values vals;
  attnrt::ParamSet params;
  attnrt::HostArrays arrays;
  std::vector<std::string> names;
  for (const attn::target::ParamSlot &p : desc.params) {
    names.push_back(p.name);
    vals.intArrays.emplace_back();
    vals.floatArrays.emplace_back();
    if (p.domain == attn::ParamDomain::scalar) {
      bool useDefault = p.defaultJson && ri(0, 3) == 0;
      if (p.isFloat) {
        float f = useDefault ? std::strtof(p.defaultJson->c_str(), nullptr)
                             : static_cast<float>(ri(-4000, 4000)) / 8.0f;
        vals.f32s.emplace_back(p.name, f);
        if (!useDefault)
          params.setF32(p.name, f);
      } else {
        int64_t x = useDefault ? std::strtoll(p.defaultJson->c_str(), nullptr, 10) : anyI32();
        vals.i32s.emplace_back(p.name, x);
        if (!useDefault)
          params.setI32(p.name, static_cast<int32_t>(x));
      }
      continue;
    }
    int64_t n = p.domain == attn::ParamDomain::heads      ? hq
                : p.domain == attn::ParamDomain::kv_heads ? hkv
                : p.domain == attn::ParamDomain::batch    ? B
                                                          : tokens;
    if (p.isFloat) {
      auto &a = vals.floatArrays.back();
      for (int64_t i = 0; i < n; ++i)
        a.push_back(static_cast<float>(ri(-800, 800)) / 4.0f);
      arrays.setF32(p.name, a.data(), n);
    } else {
      auto &a = vals.intArrays.back();
      int32_t value = 0;
      int64_t run = ri(1, 40);
      bool runs = ri(0, 1);
      for (int64_t i = 0; i < n; ++i) {
        if (!runs)
          value = static_cast<int32_t>(ri(-2, 3));
        else if (i % run == 0)
          value += static_cast<int32_t>(ri(0, 1));
        a.push_back(p.domain == attn::ParamDomain::tokens || ri(0, 3) ? value
                                                                      : static_cast<int32_t>(anyI32()));
      }
      arrays.setI32(p.name, a.data(), n);
    }
  }
  attnrt::BatchInfo info;
  info.qLens = qLens;
  info.kvLens = kvLens;
  info.kvTokenOffsets = tokenOffsets;
  info.kvIndptr = tokenOffsets;
  info.qIndptr = {0};
  for (int32_t l : qLens)
    info.qIndptr.push_back(info.qIndptr.back() + l);
  info.totalQ = info.qIndptr.back();
  info.totalKvTokens = tokens;
  attnrt::HostClassifier host(manifest);
  st = host.bind(params, arrays, info);
  ASSERT_TRUE(st.ok()) << st.toString();

  // Calls: mostly tiles the kernels make (positions kv_len - q_len + row,
  // keys inside kv_len, point tiles now and then), some wild ones. The
  // batch and lengths always agree, as on the device.
  std::vector<Call> calls;
  for (int n = 0; n < 4000; ++n) {
    int64_t b = ri(0, B - 1), qLen = qLens[b], kvLen = kvLens[b];
    int64_t head = ri(0, hq - 1), kvHead = head / group;
    int64_t q0, q1, k0, k1;
    int64_t kind = ri(0, 9);
    if (kind < 7) {
      int64_t r0 = ri(0, qLen - 1), r1 = ri(0, 3) ? ri(r0, std::min(qLen - 1, r0 + 64)) : r0;
      q0 = kvLen - qLen + r0;
      q1 = kvLen - qLen + r1;
      k0 = ri(0, kvLen - 1);
      k1 = ri(0, 3) ? ri(k0, std::min(kvLen - 1, k0 + 130)) : k0;
    } else if (kind < 9) {
      q0 = ri(-5, kvLen + 5);
      q1 = ri(0, 1) ? q0 : ri(-5, kvLen + 5);
      k0 = ri(-5, kvLen + 5);
      k1 = ri(0, 1) ? k0 : ri(-5, kvLen + 5);
    } else {
      q0 = anyI32();
      q1 = ri(0, 1) ? q0 : anyI32();
      k0 = anyI32();
      k1 = ri(0, 1) ? k0 : anyI32();
      if (ri(0, 1))
        head = ri(-2, hq + 2), kvHead = ri(-2, hkv + 2);
    }
    Call c{{static_cast<int32_t>(q0), static_cast<int32_t>(q1), static_cast<int32_t>(k0),
            static_cast<int32_t>(k1), static_cast<int32_t>(head), static_cast<int32_t>(kvHead),
            static_cast<int32_t>(b), static_cast<int32_t>(qLen), static_cast<int32_t>(kvLen)}};
    calls.push_back(c);
  }

  // The driver: Params filled slot by slot, every call printed.
  std::ostringstream os;
  os.precision(9);
  std::string ns = "attn_gen_" + v.getSymName().str();
  os << "static const int32_t token_offsets[] = {";
  for (size_t i = 0; i < tokenOffsets.size(); ++i)
    os << (i ? "," : "") << tokenOffsets[i];
  os << "};\n";
  std::ostringstream fill;
  for (size_t i = 0; i < desc.params.size(); ++i) {
    const attn::target::ParamSlot &p = desc.params[i];
    if (p.domain == attn::ParamDomain::scalar) {
      if (p.isFloat) {
        float f = 0;
        for (auto &kv : vals.f32s)
          if (kv.first == p.name)
            f = kv.second;
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        fill << "  { uint32_t x = " << bits << "u; std::memcpy(raw + " << p.offset
             << ", &x, 4); }\n";
      } else {
        int64_t x = 0;
        for (auto &kv : vals.i32s)
          if (kv.first == p.name)
            x = kv.second;
        fill << "  { int32_t x = (int32_t)" << x << "LL; std::memcpy(raw + " << p.offset
             << ", &x, 4); }\n";
      }
      continue;
    }
    os << "static const " << (p.isFloat ? "uint32_t" : "int32_t") << " arr_" << i << "[] = {";
    if (p.isFloat) {
      for (size_t j = 0; j < vals.floatArrays[i].size(); ++j) {
        uint32_t bits;
        std::memcpy(&bits, &vals.floatArrays[i][j], 4);
        os << (j ? "," : "") << bits << "u";
      }
    } else {
      for (size_t j = 0; j < vals.intArrays[i].size(); ++j)
        os << (j ? "," : "") << "(int32_t)" << vals.intArrays[i][j] << "LL";
    }
    os << "};\n";
    fill << "  { const void *x = arr_" << i << "; std::memcpy(raw + " << p.offset
         << ", &x, sizeof x); }\n";
  }
  os << "static const int32_t calls[][9] = {\n";
  for (const Call &c : calls) {
    os << "{";
    for (int j = 0; j < 9; ++j)
      os << (j ? "," : "") << "(int32_t)" << c.a[j] << "LL";
    os << "},\n";
  }
  os << "};\n";
  os << "int main() {\n  static " << ns << "::Params prm;\n  char *raw = (char *)&prm;\n"
     << "  { const void *x = token_offsets; std::memcpy(raw, &x, sizeof x); }\n"
     << fill.str() << "  for (const auto &c : calls)\n    std::printf(\"%d\\n\", " << ns
     << "::Variant::classify(prm, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]));\n"
     << "  return 0;\n}\n";

  std::string dir = ::testing::TempDir() + "/clsprog_" + tag;
  std::string out = dir + ".out", cmd;
  ASSERT_TRUE(attn_test::compileAndRunOnHost(dir, source + "\n" + os.str(), cmd))
      << "host build/run failed: " << cmd << "\nsee " << dir << ".log";
  std::ifstream results(out);
  int mismatches = 0;
  std::map<int, int> histogram;
  for (size_t i = 0; i < calls.size(); ++i) {
    int want;
    ASSERT_TRUE(results >> want) << "missing result " << i;
    const int32_t *a = calls[i].a;
    int got = host.classify(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    ++histogram[want];
    if (got != want && ++mismatches <= 10)
      ADD_FAILURE() << tag << " call " << i << " classify(" << a[0] << ", " << a[1] << ", "
                    << a[2] << ", " << a[3] << ", " << a[4] << ", " << a[5] << ", " << a[6]
                    << ", " << a[7] << ", " << a[8] << "): device " << want << ", host " << got;
  }
  EXPECT_EQ(mismatches, 0) << tag;
  // Not a vacuous comparison: the examples with masks see every class.
  std::string seen;
  for (auto &[cls, count] : histogram)
    seen += " " + std::to_string(cls) + ":" + std::to_string(count);
  ::testing::Test::RecordProperty("classes_" + tag, seen);
}

class ClassifierProgramExamples : public ::testing::TestWithParam<const char *> {};

TEST_P(ClassifierProgramExamples, HostProgramMatchesEmittedClassifier) {
  std::string example = std::string(ATTN_SOURCE_DIR) + "/examples/" + GetParam() + ".attn";
  attn_test::LoadedSpec b;
  std::string error;
  ASSERT_TRUE(attn_test::loadSpecFile(example, b, error)) << error;
  for (uint64_t seed : {1, 2, 3})
    runDifferential(b.op, std::string(GetParam()) + "_" + std::to_string(seed), seed);
}

INSTANTIATE_TEST_SUITE_P(Examples, ClassifierProgramExamples,
                         ::testing::Values("vanilla", "causal", "sliding_window",
                                           "gemma2_softcap_window", "alibi", "prefix_lm",
                                           "document_mask", "chunked", "streaming_llm",
                                           "sigmoid", "rotary", "everything"));

TEST(ClassifierProgram, AdversarialMasksMatchEmittedClassifier) {
  for (auto &adv : kAdversarial) {
    std::string path = ::testing::TempDir() + "/" + adv[0] + ".attn";
    {
      std::ofstream f(path);
      f << adv[1] << "\n";
    }
    attn_test::LoadedSpec b;
    std::string error;
    ASSERT_TRUE(attn_test::loadSpecFile(path, b, error)) << adv[0] << ": " << error;
    for (uint64_t seed : {11, 12})
      runDifferential(b.op, std::string(adv[0]) + "_" + std::to_string(seed), seed);
  }
}

TEST(ClassifierProgram, HandWrittenRegionWithEveryKindOfOp) {
  attn_test::LoadedSpec b;
  std::string error;
  ASSERT_TRUE(buildFromIR(kHandVariant, b, error)) << error;
  for (uint64_t seed : {21, 22, 23})
    runDifferential(b.op, "hand_" + std::to_string(seed), seed);
}

TEST(ClassifierProgram, UnencodableOpIsAnErrorAndTheFieldIsOmitted) {
  std::string text = kHandVariant;
  // A transcendental: not bit-reproducible on the host.
  size_t at = text.find("%fs = math.sqrt %fa : f32");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::strlen("%fs = math.sqrt %fa : f32"), "%fs = math.exp %fa : f32");
  attn_test::LoadedSpec b;
  std::string error;
  ASSERT_TRUE(buildFromIR(text, b, error)) << error;
  attn::target::VariantDesc desc;
  ASSERT_TRUE(attn::target::describeVariant(b.op, desc, error)) << error;
  EXPECT_TRUE(desc.classifierProgram.empty());
  EXPECT_NE(desc.classifierProgramError.find("math.exp"), std::string::npos)
      << desc.classifierProgramError;
  std::string json = attn::target::renderManifest(desc, "sm_80", "x.cubin");
  EXPECT_EQ(json.find("tile_classifier"), std::string::npos);
  // The runtime then has no program: every tile partial.
  std::string abiField = "\"abi_version\": ";
  size_t a = json.find(abiField);
  json.replace(a + abiField.size(), json.find(',', a) - a - abiField.size(),
               std::to_string(ATTN_ABI_VERSION));
  attnrt::Manifest m;
  ASSERT_TRUE(attnrt::parseManifest(json, &m).ok());
  attnrt::HostClassifier host(m);
  EXPECT_FALSE(host.exact());
  EXPECT_EQ(host.classify(0, 0, 5, 9, 0, 0, 0, 1, 10), attnrt::kTilePartial);
}

} // namespace
