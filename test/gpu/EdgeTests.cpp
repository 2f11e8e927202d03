//===- EdgeTests.cpp - Edge cases of the kernels against the reference ---===//
//
// The GPU side of the reliability issue: for each case below, both dtypes,
// ragged and paged(16) KV, the prefill and the decode kernel (forced through
// RunOptions::forceKernel) and unsplit / split (noSplit, kvChunk), with fresh
// random inputs (seed printed; --seed repeats a run) and outputs poisoned with
// NaN before the run, the GPU must match the float64 reference evaluator:
//
//   empty_rows       mask drops every key of some rows: o exactly 0, LSE -inf
//   inf_logits       logits of -inf (skipped keys, whole rows -inf) and +inf
//                    (the reference's row is NaN: exp(inf - inf))
//   scale_large      scale = 1e4, q/k in [-1, 1]; ..._bigqk: q/k x 256
//   scale_small      scale = 1e-6, likewise
//   none_overflow    normalize = none, weights exp(score + shift[head]) with
//                    shifts 0..100: outputs beyond the dtype's range must be
//                    the reference's infinity, never NaN (V made positive)
//   nan_inputs       a NaN in one key of request 3 and in one query row of
//                    request 5: NaN exactly in the (row, head)s that read it
//   long             one request with 131072 keys: q_len 4 (prefill and
//                    decode kernels) and the 1-row decode of its last row
//
// Elements are compared by class (NaN, +inf, -inf, finite) and the finite
// ones by ||gpu - ref|| / ||ref|| <= 1e-2; LSEs likewise (EdgeSupport.h).
//
// --sanitize-subset runs a minimal matrix for compute-sanitizer instead
// (scripts/sanitize-gpu.sh): one spec (soft-cap + window + causal, GQA 4) on
// contiguous, ragged, paged(5), block_sparse(64,64) (bf16) and paged(16)
// (f16); the prefill kernel on a small prefill batch and the decode kernel on
// a small decode batch, each unsplit and split into 64-key chunks (so the
// merge path runs): 5 configurations x 4 launches, each checked as above.
// With --sanitize-subset, --filter selects configurations by "dtype/layout"
// (e.g. "bf16/ragged", "paged").
//
// Usage: attn-gpu-edge-tests [--specs DIR] [--filter SUBSTR] [--seed N]
//          [--jobs N] [--compile-only] [--sanitize-subset] [--no-long] [--self-check]
//
// --self-check needs no GPU: it checks that each case's reference really has
// the edge it is meant to (empty rows, NaN rows, infinities) and that a
// perfect output passes the comparison.
//
//===----------------------------------------------------------------------===//
#include "EdgeSupport.h"
#include "GpuRun.h"
#include "HostTensors.h"
#include "VariantBuilder.h"

#include "attn/Reference/Evaluator.h"
#include "attn_kernels/abi.h"
#include "attnrt/Module.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <thread>

#ifndef ATTN_GPU_SPECS_DIR
#define ATTN_GPU_SPECS_DIR "test/gpu/specs"
#endif

using namespace attn;
using namespace attn::gputest;

namespace {

struct ShapeSet {
  const char *name;
  std::vector<int64_t> qLens, kvLens;
  bool decode; ///< every q_len x group fits the decode kernel (q_len <= 4 at group 4)
  int kvChunk; ///< forced split size for the [split] runs
  bool prefillToo = true; ///< with decode: also run the prefill kernel on it
};

/// Mutates a fresh random problem before the reference and the GPU see it.
using Prepare = std::function<void(ref::Problem &, VariantOp, bool bf16)>;

struct Case {
  std::string name;
  std::string spec; ///< file in the specs folder
  std::vector<ShapeSet> shapes;
  Prepare prepare;
  StrictOptions check;
};

const ShapeSet kPrefill{"prefill 1/3,17/17,5/200,33/577", {1, 17, 5, 33}, {3, 17, 200, 577},
                        false, 64};
const ShapeSet kDecode{"decode 1/1,2/5,3/70,1/300,4/577", {1, 2, 3, 1, 4}, {1, 5, 70, 300, 577},
                       true, 64};
// Seven requests, so that request 3 and request 5 exist (0-based).
const ShapeSet kNanPrefill{"prefill 1/1,17/577,5/100,17/577,1/17,9/300,3/1000",
                           {1, 17, 5, 17, 1, 9, 3}, {1, 577, 100, 577, 17, 300, 1000}, false, 64};
const ShapeSet kNanDecode{"decode 1/1,2/70,3/100,4/577,1/17,3/300,1/1000",
                          {1, 2, 3, 4, 1, 3, 1}, {1, 70, 100, 577, 17, 300, 1000}, true, 64};

// The sanitizer subset: few work items, every kernel once unsplit and once split.
const ShapeSet kSanPrefill{"prefill 1/3,17/17,40/150", {1, 17, 40}, {3, 17, 150}, false, 64};
const ShapeSet kSanDecode{"decode 1/1,3/70,1/133", {1, 3, 1}, {1, 70, 133}, true, 64, false};

/// x * 2^k stays exactly representable (no overflow here: |x| <= 1, k = 8).
void scaleExact(std::vector<double> &v, double factor) {
  for (double &x : v)
    x *= factor;
}

double roundTo(double x, bool bf16) { return bf16 ? ref::roundToBF16(x) : ref::roundToF16(x); }

/// Indices of element (row, head, dim) of q / k in the problem's flat arrays.
int64_t rowStart(const std::vector<int64_t> &lens, size_t b) {
  int64_t s = 0;
  for (size_t i = 0; i < b; ++i)
    s += lens[i];
  return s;
}

std::vector<Case> buildCases() {
  std::vector<Case> cases;
  cases.push_back({"empty_rows", "empty_rows.attn", {kPrefill, kDecode}, nullptr, {}});
  cases.push_back({"inf_logits", "inf_logits.attn", {kPrefill, kDecode}, nullptr, {}});
  auto big = [](ref::Problem &p, VariantOp, bool) {
    scaleExact(p.q, 256.0);
    scaleExact(p.k, 256.0);
  };
  cases.push_back({"scale_large", "scale_large.attn", {kPrefill, kDecode}, nullptr, {}});
  cases.push_back({"scale_large_bigqk", "scale_large.attn", {kPrefill, kDecode}, big, {}});
  cases.push_back({"scale_small", "scale_small.attn", {kPrefill, kDecode}, nullptr, {}});
  cases.push_back({"scale_small_bigqk", "scale_small.attn", {kPrefill, kDecode}, big, {}});
  {
    Case c{"none_overflow", "none_overflow.attn", {kPrefill, kDecode}, nullptr, {}};
    c.prepare = [](ref::Problem &p, VariantOp op, bool bf16) {
      // Positive V in [0.25, 0.75]: sums of huge weights overflow to +inf
      // instead of inf - inf; never 0 (inf * 0 would be NaN).
      for (double &x : p.v)
        x = roundTo(std::fabs(x) * 0.5 + 0.25, bf16);
      static const double shifts[] = {0, 11, 20, 40, 84, 86, 88, 100};
      std::vector<double> &s = p.params.arrays["shift"];
      s.assign(static_cast<size_t>(op.getNumQHeads()), 0.0);
      for (size_t h = 0; h < s.size(); ++h)
        s[h] = shifts[h % 8];
    };
    // log(FLT_MAX) = 88.72: beyond that a float sum of the weights is +inf,
    // and a single f32 weight may be too (exp(score + 88) for score > 0.72),
    // which makes the output +inf where the float64 reference's weight x v
    // still fits (H100 run: ref 2.65e38, gpu inf, 2 of 24 launches).
    c.check.lseInfAbove = 88.0;
    // Weights of e^88 x v summed in fp32 (the reference sums in float64):
    // outputs above 0.9 x FLT_MAX may overflow on the GPU (run 5: a
    // reference of 3.18e38 = 0.94 x FLT_MAX came out +inf in 7 elements).
    c.check.nearMax = 0.9;
    cases.push_back(c);
  }
  {
    Case c{"nan_inputs", "causal_small.attn", {kNanPrefill, kNanDecode}, nullptr, {}};
    c.prepare = [](ref::Problem &p, VariantOp op, bool) {
      int64_t hq = op.getNumQHeads(), hkv = op.getNumKvHeads(), dqk = op.getHeadDimQk();
      // Key kv_len - 3 of request 3, kv head 1, dim 7: read by the rows of
      // request 3 at q_idx >= that key, in the query heads of kv head 1.
      int64_t key = rowStart(p.kvLens, 3) + p.kvLens[3] - 3;
      p.k[static_cast<size_t>((key * hkv + (1 % hkv)) * dqk + 7)] = std::nan("");
      // Query row q_len / 2 of request 5, head hq - 2, dim 11.
      int64_t row = rowStart(p.qLens, 5) + p.qLens[5] / 2;
      p.q[static_cast<size_t>((row * hq + (hq - 2)) * dqk + 11)] = std::nan("");
    };
    cases.push_back(c);
  }
  return cases;
}

struct Tally {
  int passed = 0, failed = 0;
  double worstRel = 0, worstLse = 0;
};

struct Results {
  int passed = 0, failed = 0;
  std::map<std::string, Tally> perCase;

  void result(const std::string &caseName, const std::string &label, bool ok,
              const std::string &detail, double rel, double lse) {
    Tally &t = perCase[caseName];
    if (ok) {
      ++passed;
      ++t.passed;
      t.worstRel = std::max(t.worstRel, rel);
      t.worstLse = std::max(t.worstLse, lse);
      std::printf("PASS %s: %s\n", label.c_str(), detail.c_str());
    } else {
      ++failed;
      ++t.failed;
      std::printf("FAIL %s: %s\n", label.c_str(), detail.c_str());
    }
  }
};

const char *kernelName(attnrt::KernelKind k) {
  return k == attnrt::KernelKind::kDecode ? "decode" : "prefill";
}

struct RunSpec {
  attnrt::KernelKind kernel;
  int kvChunk; ///< 0: noSplit
};

std::vector<RunSpec> runsFor(const ShapeSet &s) {
  std::vector<RunSpec> r;
  if (!s.decode || s.prefillToo)
    r = {{attnrt::KernelKind::kPrefill, 0}, {attnrt::KernelKind::kPrefill, s.kvChunk}};
  if (s.decode) {
    r.push_back({attnrt::KernelKind::kDecode, 0});
    r.push_back({attnrt::KernelKind::kDecode, s.kvChunk});
  }
  return r;
}

/// Runs `layout` of `p` once per RunSpec and checks each against `ref`.
void runAndCheck(Results &R, const std::string &caseName, const std::string &prefix,
                 const attnrt::Module &module, VariantOp op, const ref::Problem &p,
                 const LayoutData &data, const ref::Result &ref, const std::vector<RunSpec> &runs,
                 const StrictOptions &check) {
  bool bf16 = op.getDtype().isBF16();
  for (const RunSpec &rs : runs) {
    GpuRunOptions ro;
    ro.run.forceKernel = rs.kernel;
    if (rs.kvChunk > 0)
      ro.run.kvChunk = rs.kvChunk;
    else
      ro.run.noSplit = true;
    std::string label = prefix + " [" + kernelName(rs.kernel) + ", " +
                        (rs.kvChunk ? "split " + std::to_string(rs.kvChunk) : "unsplit") + "]";
    GpuOutput out;
    std::string err;
    if (!runOnGpu(module, op, p, data, ro, out, err)) {
      R.result(caseName, label, false, err, 0, 0);
      if (isDeviceFault(err))
        exitAfterDeviceFault(R.passed, R.failed);
      continue;
    }
    StrictComparison cmp =
        compareStrict(out, ref, bf16, op.getNumQHeads(), op.getHeadDimVo(), check);
    R.result(caseName, label, cmp.pass(check), cmp.describe(), cmp.relErr, cmp.lseErr);
  }
}

struct Config {
  std::string spec;
  Overrides overrides;
};

std::vector<Config> configsFor(const std::vector<std::string> &specs) {
  std::vector<Config> m;
  for (const std::string &s : specs)
    for (bool bf16 : {true, false})
      for (int layout : {ATTN_KV_RAGGED, ATTN_KV_PAGED}) {
        Overrides o;
        o.layout = layout;
        o.pageSize = 16;
        o.bf16 = bf16;
        m.push_back({s, o});
      }
  return m;
}

std::vector<Config> sanitizeConfigs() {
  std::vector<Config> m;
  auto add = [&](int layout, int64_t page, bool bf16) {
    Overrides o;
    o.layout = layout;
    o.pageSize = page;
    o.bf16 = bf16;
    m.push_back({"sanitize.attn", o});
  };
  add(ATTN_KV_CONTIGUOUS, 0, true);
  add(ATTN_KV_RAGGED, 0, true);
  add(ATTN_KV_PAGED, 5, true);
  add(ATTN_KV_BLOCK_SPARSE, 0, true);
  add(ATTN_KV_PAGED, 16, false);
  return m;
}

struct Loaded {
  attnrt::Module module;
  bool ok = false;
};

/// The long case's problem and float64 reference, shared by the ragged and
/// the paged configuration of one dtype (same seed, same values).
struct LongData {
  ref::Problem p;
  ref::Result full;
  bool ok = false;
  std::string error;
};

/// The long case: one request with 131072 keys.
void runLong(Results &R, const CompiledConfig &c, const attnrt::Module &module, LongData &ld,
             std::mt19937_64 &rng) {
  VariantOp op = c.built.op;
  bool bf16 = op.getDtype().isBF16();
  Shape shape{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()),
              int64_t(op.getHeadDimQk()), int64_t(op.getHeadDimVo()), bf16};
  const ref::Problem &p = ld.p;
  const ref::Result &full = ld.full;
  if (!ld.ok) {
    R.result("long", "long " + c.label, false, "reference: " + ld.error, 0, 0);
    return;
  }
  double t0 = nowSeconds();
  LayoutData data = layOut(p, shape, op.getKvLayout() == KVLayout::paged ? ATTN_KV_PAGED
                                                                          : ATTN_KV_RAGGED,
                           op.getPageSize() ? int64_t(*op.getPageSize()) : 0, rng);
  std::printf("long %s: layout %.1f s\n", c.label.c_str(), secondsSince(t0));
  StrictOptions check;
  std::vector<RunSpec> runs = {{attnrt::KernelKind::kPrefill, 0},
                               {attnrt::KernelKind::kPrefill, 8192},
                               {attnrt::KernelKind::kDecode, 0},
                               {attnrt::KernelKind::kDecode, 8192}};
  runAndCheck(R, "long", "long " + c.label + " q 4 / kv 131072", module, op, p, data, full, runs,
              check);

  // The 1-row decode of the last query row (same q_idx = kv - 1).
  int64_t hq = shape.numQHeads, dqk = shape.dimQK, dvo = shape.dimVO;
  ref::Problem p1; // runOnGpu reads only the params of the problem
  p1.params = p.params;
  LayoutData d1 = data;
  d1.q.assign(data.q.end() - hq * dqk, data.q.end());
  d1.qIndptr = {0, 1};
  d1.totalQ = 1;
  ref::Result r1;
  r1.out.assign(full.out.end() - hq * dvo, full.out.end());
  r1.lse.assign(full.lse.end() - hq, full.lse.end());
  std::vector<RunSpec> runs1 = {{attnrt::KernelKind::kDecode, 0},
                                {attnrt::KernelKind::kDecode, 8192},
                                {attnrt::KernelKind::kPrefill, 0}};
  runAndCheck(R, "long", "long " + c.label + " q 1 / kv 131072", module, op, p1, d1, r1, runs1,
              check);
  // Automatic planning (split as the runtime decides).
  GpuRunOptions ro;
  GpuOutput out;
  std::string err;
  if (!runOnGpu(module, op, p1, d1, ro, out, err)) {
    R.result("long", "long " + c.label + " q 1 [auto]", false, err, 0, 0);
    if (isDeviceFault(err))
      exitAfterDeviceFault(R.passed, R.failed);
    return;
  }
  StrictComparison cmp = compareStrict(out, r1, bf16, hq, dvo, check);
  R.result("long", "long " + c.label + " q 1 / kv 131072 [auto]", cmp.pass(check),
           cmp.describe(), cmp.relErr, cmp.lseErr);
}

/// --self-check (no GPU): every case's reference, rounded to the dtype as a
/// perfect kernel would write it, must pass compareStrict; prints how many
/// empty / NaN rows and infinite outputs each case really produces, so a
/// spec that no longer exercises its edge is noticed.
int selfCheck(const std::vector<Case> &cases, const std::vector<Config> &configs,
              std::vector<CompiledConfig> &built, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int passed = 0, failed = 0;
  for (const Case &cs : cases)
    for (size_t i = 0; i < configs.size(); ++i) {
      if (configs[i].spec != cs.spec || !built[i].error.empty() || !built[i].built.op)
        continue;
      VariantOp op = built[i].built.op;
      bool bf16 = op.getDtype().isBF16();
      for (const ShapeSet &ss : cs.shapes) {
        ref::Problem p = ref::makeRandomProblem(op, ss.qLens, ss.kvLens, rng());
        if (cs.prepare)
          cs.prepare(p, op, bf16);
        ref::Result ref;
        std::string err;
        std::string label = cs.name + " " + built[i].label + " " + ss.name;
        if (!ref::evaluate(op, p, ref, err)) {
          std::printf("FAIL %s: reference: %s\n", label.c_str(), err.c_str());
          ++failed;
          continue;
        }
        GpuOutput fake;
        int64_t infOut = 0;
        for (double x : ref.out) {
          fake.o.push_back(toBits(roundTo(x, bf16), bf16));
          infOut += std::isinf(roundTo(x, bf16));
        }
        for (double x : ref.lse)
          fake.lse.push_back(static_cast<float>(x));
        StrictComparison cmp =
            compareStrict(fake, ref, bf16, op.getNumQHeads(), op.getHeadDimVo(), cs.check);
        bool ok = cmp.pass(cs.check);
        (ok ? passed : failed)++;
        std::printf("%s %s: %s; infinite outputs %lld\n", ok ? "PASS" : "FAIL", label.c_str(),
                    cmp.describe().c_str(), static_cast<long long>(infOut));
      }
    }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: attn-gpu-edge-tests [--specs DIR] [--filter S] [--seed N] [--jobs N] "
               "[--compile-only] [--sanitize-subset] [--no-long] [--self-check]\n");
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string specsDir = ATTN_GPU_SPECS_DIR, filter;
  bool compileOnly = false, sanitize = false, noLong = false, selfCheckOnly = false;
  unsigned jobs = std::max(2u, std::thread::hardware_concurrency());
  uint64_t seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--specs" && i + 1 < argc)
      specsDir = argv[++i];
    else if (a == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (a == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--jobs" && i + 1 < argc)
      jobs = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    else if (a == "--compile-only")
      compileOnly = true;
    else if (a == "--sanitize-subset")
      sanitize = true;
    else if (a == "--no-long")
      noLong = true;
    else if (a == "--self-check")
      selfCheckOnly = true;
    else {
      usage();
      return 1;
    }
  }

  // The cases (and which specs they need) after --filter.
  std::vector<Case> cases;
  if (sanitize) {
    cases.push_back({"sanitize", "sanitize.attn", {kSanPrefill, kSanDecode}, nullptr, {}});
  } else {
    for (Case &c : buildCases())
      if (filter.empty() || c.name.find(filter) != std::string::npos)
        cases.push_back(std::move(c));
  }
  bool wantLong = !sanitize && !noLong &&
                  (filter.empty() || std::string("long").find(filter) != std::string::npos);
  std::vector<std::string> specs;
  for (const Case &c : cases)
    if (std::find(specs.begin(), specs.end(), c.spec) == specs.end())
      specs.push_back(c.spec);
  if (wantLong && std::find(specs.begin(), specs.end(), "causal_small.attn") == specs.end())
    specs.push_back("causal_small.attn");
  std::vector<Config> configs = sanitize ? sanitizeConfigs() : configsFor(specs);
  if (sanitize && !filter.empty()) {
    // --filter picks sanitizer configurations by "dtype/layout", e.g. "bf16/ragged".
    auto name = [](const Config &c) {
      const Overrides &o = c.overrides;
      std::string layout = *o.layout == ATTN_KV_PAGED    ? "paged(" + std::to_string(o.pageSize) + ")"
                           : *o.layout == ATTN_KV_RAGGED ? "ragged"
                           : *o.layout == ATTN_KV_BLOCK_SPARSE ? "block_sparse"
                                                               : "contiguous";
      return std::string(o.bf16.value_or(true) ? "bf16/" : "f16/") + layout;
    };
    configs.erase(std::remove_if(configs.begin(), configs.end(),
                                 [&](const Config &c) {
                                   return name(c).find(filter) == std::string::npos;
                                 }),
                  configs.end());
  }
  std::vector<ConfigRequest> requests;
  for (const Config &c : configs)
    requests.push_back({specsDir + "/" + c.spec, c.overrides});

  if (selfCheckOnly) {
    // Builds the variants (no NVRTC) and checks the cases' references.
    std::vector<CompiledConfig> built(requests.size());
    for (size_t i = 0; i < requests.size(); ++i)
      if (!buildVariant(requests[i].path, requests[i].overrides, built[i].built, built[i].error))
        std::printf("FAIL build %s: %s\n", requests[i].path.c_str(), built[i].error.c_str());
      else
        built[i].label = configs[i].spec + " " + configLabel(built[i].built.op);
    return selfCheck(cases, configs, built, seed);
  }
  if (compileOnly) {
    double t0 = nowSeconds();
    std::vector<CompiledConfig> compiled = compileConfigs(requests, "sm_90a", jobs);
    std::printf("compiled %zu configurations in %.1f s\n", compiled.size(), secondsSince(t0));
    return reportCompileOnly(compiled) ? 1 : 0;
  }

  std::string arch, deviceName;
  int started = startGpu(arch, deviceName);
  if (started == 1)
    return 0;
  if (started != 0)
    return 2;
  std::printf("device: %s (%s)\n", deviceName.c_str(), arch.c_str());
  std::printf("seed: %llu\n", static_cast<unsigned long long>(seed));

  double tStart = nowSeconds();
  std::vector<CompiledConfig> compiled = compileConfigs(requests, arch, jobs);
  std::printf("compiled %zu configurations in %.1f s (%u threads)\n", compiled.size(),
              secondsSince(tStart), jobs);

  Results R;
  std::mt19937_64 rng(seed);
  {
    std::vector<std::unique_ptr<Loaded>> modules(compiled.size());
    for (size_t i = 0; i < compiled.size(); ++i) {
      const CompiledConfig &c = compiled[i];
      modules[i] = std::make_unique<Loaded>();
      if (!c.error.empty()) {
        R.result("compile", "compile " + c.label, false, c.error, 0, 0);
        continue;
      }
      const target::ArchArtifact &art = c.artifact.artifacts.front();
      if (art.spillBytes)
        std::printf("warning: %s spills %u bytes\n", c.label.c_str(), art.spillBytes);
      attnrt::Status st = attnrt::Module::load(art.cubin.data(), art.cubin.size(),
                                               art.manifestJson, &modules[i]->module);
      if (!st.ok()) {
        R.result("compile", "load " + c.label, false, st.toString(), 0, 0);
        continue;
      }
      modules[i]->ok = true;
    }

    std::map<bool, std::shared_future<std::shared_ptr<LongData>>> longData;
    if (wantLong) {
      // One problem + reference per dtype, computed on worker threads while
      // the GPU runs the configurations before it.
      for (size_t i = 0; i < compiled.size(); ++i) {
        if (!modules[i]->ok || configs[i].spec != "causal_small.attn")
          continue;
        VariantOp op = compiled[i].built.op;
        bool bf16 = op.getDtype().isBF16();
        if (longData.count(bf16))
          continue;
        uint64_t s = rng();
        longData[bf16] = std::async(std::launch::async, [op, s, bf16]() mutable {
                           auto ld = std::make_shared<LongData>();
                           double t0 = nowSeconds();
                           ld->p = ref::makeRandomProblem(op, {4}, {131072}, s);
                           double tGen = secondsSince(t0);
                           t0 = nowSeconds();
                           ld->ok = ref::evaluate(op, ld->p, ld->full, ld->error);
                           std::printf("long %s: data %.1f s, reference (4 rows x %lld heads x "
                                       "131072 keys, float64) %.1f s\n",
                                       bf16 ? "bf16" : "f16", tGen,
                                       static_cast<long long>(op.getNumQHeads()),
                                       secondsSince(t0));
                           return ld;
                         }).share();
      }
    }
    double tCases = nowSeconds();
    for (const Case &cs : cases)
      for (size_t i = 0; i < compiled.size(); ++i) {
        if (!modules[i]->ok || configs[i].spec != cs.spec)
          continue;
        const CompiledConfig &c = compiled[i];
        VariantOp op = c.built.op;
        bool bf16 = op.getDtype().isBF16();
        Shape shape{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()),
                    int64_t(op.getHeadDimQk()), int64_t(op.getHeadDimVo()), bf16};
        int layout = *configs[i].overrides.layout;
        for (const ShapeSet &ss : cs.shapes) {
          ref::Problem p = ref::makeRandomProblem(op, ss.qLens, ss.kvLens, rng());
          if (cs.prepare)
            cs.prepare(p, op, bf16);
          ref::Result ref;
          std::string refErr;
          std::string prefix = cs.name + " " + c.label + " " + ss.name;
          if (!ref::evaluate(op, p, ref, refErr)) {
            R.result(cs.name, prefix, false, "reference: " + refErr, 0, 0);
            continue;
          }
          LayoutData data = layOut(p, shape, layout, configs[i].overrides.pageSize, rng);
          runAndCheck(R, cs.name, prefix, modules[i]->module, op, p, data, ref, runsFor(ss),
                      cs.check);
        }
      }
    std::printf("cases ran in %.1f s\n", secondsSince(tCases));

    if (wantLong) {
      double tLong = nowSeconds();
      for (size_t i = 0; i < compiled.size(); ++i)
        if (modules[i]->ok && configs[i].spec == "causal_small.attn") {
          bool bf16 = compiled[i].built.op.getDtype().isBF16();
          runLong(R, compiled[i], modules[i]->module, *longData[bf16].get(), rng);
        }
      std::printf("long cases ran in %.1f s\n", secondsSince(tLong));
    }
  } // modules unloaded here, before the context is released

  std::printf("\n%-22s %7s %7s %12s %12s\n", "case", "passed", "failed", "worst rel", "worst lse");
  for (const auto &[name, t] : R.perCase)
    std::printf("%-22s %7d %7d %12.2e %12.2e\n", name.c_str(), t.passed, t.failed, t.worstRel,
                t.worstLse);
  std::printf("total %.1f s\n", secondsSince(tStart));
  std::printf("%d passed, %d failed\n", R.passed, R.failed);
  attnrt::releaseDevice(0);
  return R.failed ? 1 : 0;
}
