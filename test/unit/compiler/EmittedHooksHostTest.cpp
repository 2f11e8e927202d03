//===- EmittedHooksHostTest.cpp - Generated hooks vs. the interpreter -----===//
//
// The CUDA emitter translates every hook region (and the tile classifier) to
// C++; the reference evaluator interprets the same regions. This test compiles
// the emitted Variant struct for the *host* (a small prelude stands in for the
// few CUDA intrinsics it uses), runs every hook on random arguments, and
// requires the answers to match the interpreter's: exactly for integers,
// booleans and tile classes, to float rounding for floats. A translation bug
// (an operator, a cast, a predicate, a param slot) shows up here, in CI,
// without a GPU.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Frontend/LoadSpec.h"
#include "attn/Reference/Evaluator.h"
#include "attn/Reference/HookInterpreter.h"
#include "attn/Target/CUDA/Compile.h"

#include "mlir/IR/MLIRContext.h"

#include "HostDifferential.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>


namespace {

using attn::ref::Value;


/// One call of one hook: the kind, the arguments as the region takes them.
struct Call {
  std::string kind; // logits mask weights query key output classify
  std::vector<Value> args;
  int64_t request = 0;
};

/// C++ for the driver: the params, the calls, and a print of each result.
std::string driverSource(attn::VariantOp v, const attn::ref::ParamValues &params,
                         const std::vector<int64_t> &kvLens, const std::vector<Call> &calls) {
  std::string name = v.getSymName().str();
  std::ostringstream os;
  os.precision(17);
  std::string ns = "attn_gen_" + name;
  // Token offsets and every array, as static data.
  os << "static const int32_t token_offsets[] = {0";
  int64_t acc = 0;
  for (int64_t l : kvLens)
    os << "," << (acc += l);
  os << "};\n";
  int slot = 1;
  std::ostringstream fill;
  for (attn::ParamOp p : v.getBody().front().getOps<attn::ParamOp>()) {
    std::string n = p.getSymName().str();
    bool f = p.getType().isF32();
    std::string elem = f ? "float" : "int32_t";
    if (p.getDomain() == attn::ParamDomain::scalar) {
      double value = params.scalars.count(n) ? params.scalars.at(n) : 0.0;
      fill << "  { " << elem << " x = (" << elem << ")" << value
           << "; std::memcpy(raw + " << 8 * slot << ", &x, sizeof x); }\n";
    } else {
      std::vector<double> flat;
      if (p.getDomain() == attn::ParamDomain::tokens) {
        for (const auto &r : params.tokens.at(n))
          flat.insert(flat.end(), r.begin(), r.end());
      } else {
        flat = params.arrays.at(n);
      }
      os << "static const " << elem << " arr_" << slot << "[] = {";
      for (size_t i = 0; i < flat.size(); ++i)
        os << (i ? "," : "") << (f ? flat[i] : std::llround(flat[i]));
      if (flat.empty())
        os << "0";
      os << "};\n";
      fill << "  { const void *x = arr_" << slot << "; std::memcpy(raw + " << 8 * slot
           << ", &x, sizeof x); }\n";
    }
    ++slot;
  }
  os << "int main() {\n  static " << ns << "::Params prm;\n  char *raw = (char *)&prm;\n"
     << "  { const void *x = token_offsets; std::memcpy(raw, &x, sizeof x); }\n"
     << fill.str() << "  using V = " << ns << "::Variant;\n";
  for (const Call &c : calls) {
    std::ostringstream args;
    for (const Value &a : c.args)
      args << ", " << (a.isFloat ? "(float)" : "(int)") << (a.isFloat ? a.f : (double)a.i);
    std::string call = "V::" + c.kind + "(prm" + args.str() + ")";
    if (c.kind == "mask" || c.kind == "classify")
      os << "  std::printf(\"%d\\n\", (int)" << call << ");\n";
    else
      os << "  std::printf(\"%.9g\\n\", (double)" << call << ");\n";
  }
  os << "  return 0;\n}\n";
  return os.str();
}

class EmittedHooks : public ::testing::TestWithParam<const char *> {};

TEST_P(EmittedHooks, MatchTheInterpreter) {
  std::string example = std::string(ATTN_SOURCE_DIR) + "/examples/" + GetParam() + ".attn";
  attn_test::LoadedSpec b;
  std::string error;
  ASSERT_TRUE(attn_test::loadSpecFile(example, b, error)) << error;
  attn::VariantOp v = b.op;

  attn::target::EmitOptions eo;
  eo.entryPoints = false;
  std::string source;
  ASSERT_TRUE(attn::target::emitCUDA(v, eo, source, error)) << error;

  std::vector<int64_t> qLens = {5, 9}, kvLens = {300, 777};
  attn::ref::Problem problem = attn::ref::makeRandomProblem(v, qLens, kvLens, 11);
  attn::ref::ParamShape shape{static_cast<int64_t>(v.getNumQHeads()),
                              static_cast<int64_t>(v.getNumKvHeads()), 2, kvLens};
  attn::ref::RegionInterpreter interp(v, problem.params, shape);
  ASSERT_TRUE(interp.bindParams(error)) << error;

  // Random calls of every hook the variant has, plus the classifier.
  std::mt19937_64 rng(7);
  auto ri = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  auto rf = [&](double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1p-53);
  };
  std::vector<Call> calls;
  int64_t hq = v.getNumQHeads(), group = v.getGroupSize();
  for (int n = 0; n < 400; ++n) {
    int64_t b = ri(0, 1), kvLen = kvLens[b], qLen = qLens[b];
    int64_t qIdx = ri(kvLen - qLen, kvLen - 1), kvIdx = ri(0, kvLen - 1);
    int64_t head = ri(0, hq - 1), kvHead = head / group;
    for (attn::HookOp h : v.getBody().front().getOps<attn::HookOp>()) {
      Call c;
      c.kind = attn::stringifyHookKind(h.getKind()).str();
      c.request = b;
      for (const attn::HookArg &a : attn::getHookSignature(h.getKind())) {
        llvm::StringRef nm = a.name;
        if (nm == "score" || nm == "logit")
          c.args.push_back(Value::ofFloat(static_cast<float>(rf(-4, 4))));
        else if (nm == "q" || nm == "k" || nm == "o")
          c.args.push_back(Value::ofFloat(static_cast<float>(rf(-2, 2))));
        else if (nm == "dim")
          c.args.push_back(Value::ofInt(ri(0, v.getHeadDimQk() - 1)));
        else if (nm == "q_idx")
          c.args.push_back(Value::ofInt(qIdx));
        else if (nm == "kv_idx")
          c.args.push_back(Value::ofInt(kvIdx));
        else if (nm == "head")
          c.args.push_back(Value::ofInt(head));
        else if (nm == "kv_head")
          c.args.push_back(Value::ofInt(kvHead));
        else if (nm == "batch")
          c.args.push_back(Value::ofInt(b));
        else if (nm == "q_len")
          c.args.push_back(Value::ofInt(qLen));
        else
          c.args.push_back(Value::ofInt(kvLen));
      }
      calls.push_back(c);
    }
    if (v.getTileClassifier()) {
      int64_t q0 = ri(kvLen - qLen, kvLen - 1), q1 = ri(q0, kvLen - 1);
      int64_t k0 = ri(0, kvLen - 1), k1 = ri(k0, std::min(kvLen - 1, k0 + 200));
      Call c;
      c.kind = "classify";
      c.request = b;
      for (int64_t x : {q0, q1, k0, k1, head, kvHead, b, qLen, kvLen})
        c.args.push_back(Value::ofInt(x));
      calls.push_back(c);
    }
  }

  // Compile and run the emitted code on the host.
  std::string dir = ::testing::TempDir() + "/emitted_" + GetParam();
  std::string out = dir + ".out", cmd;
  const std::string program = source + "\n" + driverSource(v, problem.params, kvLens, calls);
  ASSERT_TRUE(attn_test::compileAndRunOnHost(dir, program, cmd))
      << "host build/run failed: " << cmd << "\nsee " << dir << ".log";
  std::ifstream results(out);
  for (size_t i = 0; i < calls.size(); ++i) {
    const Call &c = calls[i];
    double got;
    ASSERT_TRUE(results >> got) << "missing result " << i;
    mlir::Region *region = nullptr;
    if (c.kind == "classify")
      region = &v.getTileClassifier().getBody();
    else
      region = &v.getHook(*attn::symbolizeHookKind(c.kind)).getBody();
    Value want;
    ASSERT_TRUE(interp.run(*region, c.args, c.request, want, error)) << error;
    if (!want.isFloat) {
      EXPECT_EQ(static_cast<int64_t>(got), want.i) << c.kind << " call " << i;
    } else if (std::isnan(want.f)) {
      EXPECT_TRUE(std::isnan(got)) << c.kind << " call " << i;
    } else {
      // The hooks run in f32 on the GPU, in double here.
      EXPECT_NEAR(got, want.f, 1e-4 * (1 + std::fabs(want.f))) << c.kind << " call " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, EmittedHooks,
                         ::testing::Values("causal", "sliding_window", "gemma2_softcap_window",
                                           "alibi", "prefix_lm", "document_mask", "chunked",
                                           "streaming_llm", "sigmoid", "rotary", "everything"));

} // namespace
