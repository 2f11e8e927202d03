//===- Bench.cpp - attnc's kernels on the yardstick workloads -------------===//
//
// Times the kernels attnc generates on the workloads of DESIGN.md section 6
// (so far: causal prefill 4 x 4096 and decode 64 x 4096 paged, head dim 128,
// 32 q / 8 kv heads, bf16), through the real path: .attn -> NVRTC -> cubin ->
// attnrt. Inputs are random bf16; each run is spot-checked against the
// float64 reference on the last query row of the first and last request (the
// rows that see every key). Prints one 'BENCH {json}' line per row; the torch
// anchors (bench/torch_anchors.py) run in the same device call.
//
// Then the skewed decode batches of the runtime issue (64 requests, paged(16)):
// skew1 = one of 32768 keys + 63 of 512; skew2 = log-uniform in [256, 32768]
// (seed 42; the lengths are written to --skew-lengths for the anchors). Each
// through the default plan, noSplit, a sweep of RunOptions::ctasPerSM x
// minChunkTiles, and the default plan replayed from a CUDA graph (reserve()d
// runner); GB/s over K + V of every token + Q + O.
//
// Usage: attn-bench [--examples DIR] [--reps N] [--skew-lengths FILE] [--no-skew]
//
//===----------------------------------------------------------------------===//
#include "../test/gpu/Compare.h"
#include "../test/gpu/GpuRun.h"
#include "../test/gpu/HostTensors.h"
#include "../test/gpu/VariantBuilder.h"
#include "ReadCeiling.h"

#include "attn/Dialect/Attn/IR/KernelConfig.h"
#include "attn/Reference/Evaluator.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn_kernels/abi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>

using namespace attn;
using namespace attn::gputest;

namespace {

// --decode-config M,N,W,S: compile the decode kernel with this config instead
// of the one attn-select-kernels picks (tuning runs).
std::optional<KernelConfig> gDecodeConfig;
std::string gDecodeConfigText = "selected";
bool gTrace = false; // --trace
bool gTraceClock = false; // --trace-clock: clock64 per CTA instead of %globaltimer
std::vector<std::string> gDefines; // --define NAME[=VALUE]: kernel experiments
bool gKvHnd = false;               // --kv-hnd: paged K/V head-major inside pages

void applyDecodeConfig(VariantOp op) {
  if (gDecodeConfig)
    setKernelConfig(op, "decode", *gDecodeConfig);
}

/// causal.attn built with `o`'s layout and dtype (and --decode-config),
/// compiled for sm_90a without the cache (with the trace points when
/// `trace`) and loaded. On failure `stage` names the step: "compile" or "load".
bool loadCausal(const std::string &examplesDir, const Overrides &o, bool trace,
                BuiltVariant &built, attnrt::Module &module, const char *&stage,
                std::string &error) {
  target::CompiledVariant compiled;
  target::CompileOptions copts;
  copts.archs = {"sm_90a"};
  copts.useCache = false;
  copts.defines = gDefines;
  if (trace)
    copts.defines.push_back("ATTN_TRACE");
  if (trace && gTraceClock)
    copts.defines.push_back("ATTN_TRACE_CLOCK");
  stage = "compile";
  if (!buildVariant(examplesDir + "/causal.attn", o, built, error))
    return false;
  applyDecodeConfig(built.op);
  if (!target::compileVariant(built.op, copts, compiled, error))
    return false;
  stage = "load";
  const auto &art = compiled.artifacts.front();
  attnrt::Status st =
      attnrt::Module::load(art.cubin.data(), art.cubin.size(), art.manifestJson, &module);
  error = st.ok() ? std::string() : st.toString();
  return st.ok();
}

/// The head counts and dims of a bf16 variant.
Shape shapeOf(VariantOp op) {
  // The attributes are uint64_t; clang rejects the implicit narrowing in braces.
  return Shape{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()),
               int64_t(op.getHeadDimQk()), int64_t(op.getHeadDimVo()), true};
}

struct Workload {
  const char *name;
  int layout;
  int64_t pageSize;
  std::vector<int64_t> qLens, kvLens;
  bool prefill; ///< report TFLOP/s (causal pairs) rather than GB/s
};

/// Random bf16 inputs laid out for `layout`, built directly as bits (a
/// double-precision Problem of this size would take gigabytes).
LayoutData randomData(const Workload &w, const Shape &s, std::mt19937_64 &rng) {
  // Reuse layOut on a Problem whose tensors are generated lazily would be
  // cleaner; at these sizes we generate the bits ourselves.
  ref::Problem p;
  p.qLens = w.qLens;
  p.kvLens = w.kvLens;
  int64_t totalQ = 0, totalKV = 0;
  for (size_t b = 0; b < w.qLens.size(); ++b) {
    totalQ += w.qLens[b];
    totalKV += w.kvLens[b];
  }
  std::uniform_int_distribution<int> mant(0, 127);
  auto fill = [&](std::vector<double> &t, int64_t n) {
    t.resize(static_cast<size_t>(n));
    for (double &x : t) {
      // A bf16 value in [-1, 1): sign, exponent 2^-1..2^-8, 7 mantissa bits.
      int e = 1 + static_cast<int>(rng() % 8);
      x = std::ldexp(1.0 + mant(rng) / 128.0, -e) * ((rng() & 1) ? 1 : -1);
    }
  };
  fill(p.q, totalQ * s.numQHeads * s.dimQK);
  fill(p.k, totalKV * s.numKVHeads * s.dimQK);
  fill(p.v, totalKV * s.numKVHeads * s.dimVO);
  return layOut(p, s, w.layout, w.pageSize, rng);
}

/// --kv-hnd: re-lays paged K/V head-major inside each page ([pages, heads,
/// page_size, dim], FlashInfer's HND) instead of token-major (NHD): one KV
/// head's keys of a page are then one contiguous run. Same values.
void toHeadMajorPages(LayoutData &d, const Shape &s) {
  auto relay = [&](std::vector<uint16_t> &pool, int64_t dim, int64_t &strideRow,
                   int64_t &strideHead) {
    std::vector<uint16_t> out(pool.size());
    const int64_t ps = d.pageSize, H = s.numKVHeads;
    for (int64_t pg = 0; pg < d.numPages; ++pg)
      for (int64_t t = 0; t < ps; ++t)
        for (int64_t h = 0; h < H; ++h)
          std::copy_n(pool.begin() + ((pg * ps + t) * H + h) * dim, dim,
                      out.begin() + ((pg * H + h) * ps + t) * dim);
    pool.swap(out);
    strideRow = dim;
    strideHead = ps * dim;
  };
  relay(d.k, s.dimQK, d.kStrideRow, d.kStrideHead);
  relay(d.v, s.dimVO, d.vStrideRow, d.vStrideHead);
}

/// The float64 reference of one request's last query row, from the laid-out
/// data (bits back to doubles), for the spot check.
bool referenceRow(VariantOp op, const Workload &w, const LayoutData &d, const Shape &s,
                  size_t request, ref::Result &r, std::string &error) {
  ref::Problem p;
  int64_t kvLen = w.kvLens[request];
  p.qLens = {1};
  p.kvLens = {kvLen};
  int64_t row = d.qIndptr[request + 1] - 1;
  for (int64_t e = 0; e < s.numQHeads * s.dimQK; ++e)
    p.q.push_back(fromBits(d.q[row * s.numQHeads * s.dimQK + e], true));
  auto keyRow = [&](const std::vector<uint16_t> &pool, int64_t j, int64_t dim,
                    int64_t stridePage, int64_t strideRow, int64_t strideHead,
                    std::vector<double> &out) {
    int64_t base;
    if (d.layout == ATTN_KV_PAGED) {
      const PagedSlot slot = pagedSlot(d, request, j);
      base = slot.page * stridePage + slot.row * strideRow;
    } else
      base = (d.kvIndptr[request] + j) * strideRow;
    for (int64_t h = 0; h < s.numKVHeads; ++h)
      for (int64_t e = 0; e < dim; ++e)
        out.push_back(fromBits(pool[base + h * strideHead + e], true));
  };
  for (int64_t j = 0; j < kvLen; ++j) {
    keyRow(d.k, j, s.dimQK, d.kStridePage, d.kStrideRow, d.kStrideHead, p.k);
    keyRow(d.v, j, s.dimVO, d.vStridePage, d.vStrideRow, d.vStrideHead, p.v);
  }
  return ref::evaluate(op, p, r, error);
}

/// The GPU's output for that row against its reference.
Comparison compareRow(const LayoutData &d, const Shape &s, size_t request, const GpuOutput &gpu,
                      const ref::Result &r) {
  int64_t row = d.qIndptr[request + 1] - 1;
  GpuOutput rowOut;
  rowOut.o.assign(gpu.o.begin() + row * s.numQHeads * s.dimVO,
                  gpu.o.begin() + (row + 1) * s.numQHeads * s.dimVO);
  rowOut.lse.assign(gpu.lse.begin() + row * s.numQHeads,
                    gpu.lse.begin() + (row + 1) * s.numQHeads);
  return compare(rowOut, r, true, true);
}

bool spotCheck(VariantOp op, const Workload &w, const LayoutData &d, const Shape &s,
               size_t request, const GpuOutput &gpu, Comparison &cmp, std::string &error) {
  ref::Result r;
  if (!referenceRow(op, w, d, s, request, r, error))
    return false;
  cmp = compareRow(d, s, request, gpu, r);
  return true;
}

//===----------------------------------------------------------------------===//
// Skewed decode (the runtime issue): one batch of decode requests of very
// different lengths, through the default plan, noSplit, a sweep of the
// planner knobs and a CUDA graph of the default plan.
//===----------------------------------------------------------------------===//

/// skew2's lengths: log-uniform in [256, 32768], std::mt19937_64 seed 42,
/// len = llround(exp(uniform(ln 256, ln 32768))). bench/torch_anchors.py reads
/// them from the JSON file written below (or regenerates them identically).
std::vector<int64_t> skew2Lengths() {
  std::mt19937_64 g(42);
  std::uniform_real_distribution<double> u(std::log(256.0), std::log(32768.0));
  std::vector<int64_t> lens;
  for (int i = 0; i < 64; ++i)
    lens.push_back(std::llround(std::exp(u(g))));
  return lens;
}

/// Random bf16 bits of the distribution randomData() draws (sign, exponent
/// 2^-1..2^-8, 7 mantissa bits), five values per 64-bit draw: the skewed
/// cases hold ~10^9 elements, too many for the double-precision Problem.
struct Bf16Bits {
  std::mt19937_64 &rng;
  uint64_t word = 0;
  int left = 0;
  uint16_t next() {
    if (!left) {
      word = rng();
      left = 5;
    }
    uint32_t x = static_cast<uint32_t>(word & 0x7ff);
    word >>= 11;
    --left;
    uint32_t e = 1 + ((x >> 1) & 7);
    return static_cast<uint16_t>(((x & 1) << 15) | ((127 - e) << 7) | ((x >> 4) & 127));
  }
};

/// The paged layout layOut() builds (permuted pages, 3 spare pages, unused
/// rows NaN), filled directly with bits.
LayoutData pagedRandomData(const std::vector<int64_t> &kvLens, const Shape &s, int64_t pageSize,
                           std::mt19937_64 &rng) {
  LayoutData d = layoutHeader(std::vector<int64_t>(kvLens.size(), 1), kvLens, s, ATTN_KV_PAGED,
                              pageSize);
  Bf16Bits bits{rng};
  d.q.resize(static_cast<size_t>(d.totalQ * d.qStrideRow));
  for (uint16_t &x : d.q)
    x = bits.next();
  layOutPages(d, rng, [&](size_t, int64_t, int64_t rows, int64_t page) {
    for (int64_t e = 0; e < rows * d.kStrideRow; ++e)
      d.k[page * d.kStridePage + e] = bits.next();
    for (int64_t e = 0; e < rows * d.vStrideRow; ++e)
      d.v[page * d.vStridePage + e] = bits.next();
  });
  return d;
}

struct SkewSetting {
  const char *plan; // "default", "no_split", "sweep"
  attnrt::RunOptions opts;
  bool graph = false;
};

/// The device side of one skewed case: tensors uploaded once, one runner per
/// setting (plan, warm-up run, timed runs), the output spot-checked against
/// references computed once.
struct SkewBench {
  const attnrt::Module &module;
  VariantOp op;
  const Workload &w;
  const LayoutData &d;
  const Shape &s;
  int reps;
  std::vector<size_t> checked = {};     // requests spot-checked
  std::vector<ref::Result> refs = {};   // their references
  DeviceBuffer q = {}, k = {}, v = {}, o = {}, lse = {};
  attnrt::BatchDesc batch = {};
  attnrt::DeviceTensors t = {};
  attnrt::ParamSet params = {}; // causal.attn has none
  int64_t kvTokens = 0;
  double bytes = 0;

  bool setUp(std::string &error) {
    for (int64_t l : w.kvLens)
      kvTokens += l;
    // Bytes really needed: K and V of every token for its kv heads, Q read,
    // O written (the LSE's 4 bytes per row and head are left out).
    bytes = 2.0 * kvTokens * s.numKVHeads * (s.dimQK + s.dimVO) +
            2.0 * d.totalQ * s.numQHeads * (s.dimQK + s.dimVO);
    for (size_t req : checked) {
      refs.emplace_back();
      if (!referenceRow(op, w, d, s, req, refs.back(), error))
        return false;
    }
    if (!q.upload(d.q.data(), d.q.size() * 2, error) ||
        !k.upload(d.k.data(), d.k.size() * 2, error) ||
        !v.upload(d.v.data(), d.v.size() * 2, error) ||
        !o.alloc(size_t(d.totalQ * s.numQHeads * s.dimVO) * 2, error) ||
        !lse.alloc(size_t(d.totalQ * s.numQHeads) * 4, error))
      return false;
    batch = batchOf(d);
    t = tensorsOf(d, q.ptr(), k.ptr(), v.ptr(), o.ptr(), lse.ptr());
    return true;
  }

  bool poison(std::string &error) {
    if ((error = cudaError(cuMemsetD8(o.ptr(), 0xFF, o.bytes()), "poison o")).size() ||
        (error = cudaError(cuMemsetD8(lse.ptr(), 0xFF, lse.bytes()), "poison lse")).size())
      return false;
    error = cudaError(cuCtxSynchronize(), "poison");
    return error.empty();
  }

  /// Times one setting and spot-checks its output; prints its BENCH line.
  /// Returns false on failure (printed).
  bool run(const SkewSetting &set) {
    std::string error;
    double ms = 0, worstRel = 0;
    bool pass = true;
    int grid = 0;
    size_t items = 0;
    bool split = false;
    auto st2err = [](const attnrt::Status &st) {
      return st.ok() ? std::string() : "attnrt: " + st.toString();
    };
    bool ok = [&]() -> bool {
      if (!poison(error))
        return false;
      attnrt::Runner runner(&module);
      if (!set.graph) {
        // What an engine does: forward() (plan + run), then run() again.
        if ((error = st2err(runner.forward(batch, t, params, nullptr, set.opts))).size() ||
            (error = cudaError(cuCtxSynchronize(), "kernel execution")).size())
          return false;
        if (!timeMedian(reps, nullptr, [&] { return st2err(runner.run(t, params, nullptr)); },
                        ms, error))
          return false;
      } else {
        // Fixed capacities, the plan uploaded, run() captured once on a
        // non-default stream, then the graph replayed.
        CapturedGraph graph;
        attnrt::Capacities caps;
        caps.maxBatch = batch.batchSize;
        caps.maxQRows = d.totalQ;
        caps.maxPageIndices = static_cast<int64_t>(d.pageIndices.size());
        if (!graph.createStream(error) || (error = st2err(runner.reserve(caps))).size() ||
            (error = st2err(runner.plan(batch, set.opts, graph.stream()))).size() ||
            (error = cudaError(cuStreamSynchronize(graph.stream()), "plan uploads")).size() ||
            !graph.capture([&] { return st2err(runner.run(t, params, graph.stream())); },
                           error) ||
            !timeMedian(reps, graph.stream(), [&] { return graph.replay(); }, ms, error))
          return false;
      }
      grid = runner.lastLaunch().grid;
      items = runner.workList().items.size();
      split = runner.workList().split();
      GpuOutput out;
      out.o.resize(o.bytes() / 2);
      out.lse.resize(lse.bytes() / 4);
      if ((error = cudaError(cuCtxSynchronize(), "runs")).size() ||
          (error = cudaError(cuMemcpyDtoH(out.o.data(), o.ptr(), o.bytes()), "download o"))
              .size() ||
          (error = cudaError(cuMemcpyDtoH(out.lse.data(), lse.ptr(), lse.bytes()),
                             "download lse")).size())
        return false;
      for (size_t i = 0; i < checked.size(); ++i) {
        Comparison cmp = compareRow(d, s, checked[i], out, refs[i]);
        worstRel = std::max(worstRel, cmp.relErr);
        if (!cmp.pass(1e-2)) {
          std::printf("spot check FAILED on %s (%s) request %zu: %s\n", w.name, set.plan,
                      checked[i], cmp.describe().c_str());
          pass = false;
        }
      }
      return true;
    }();
    std::printf("BENCH {\"case\": \"%s\", \"plan\": \"%s\", \"graph\": %s, "
                "\"no_split\": %s, \"granularity\": %d, \"decode_config\": \"%s\", ",
                w.name, set.plan, set.graph ? "true" : "false",
                set.opts.noSplit ? "true" : "false", set.opts.splitGranularity,
                gDecodeConfigText.c_str());
    if (!ok) {
      for (char &c : error)
        if (c == '"' || c == '\\')
          c = '\'';
      std::printf("\"error\": \"%s\"}\n", error.c_str());
      return false;
    }
    std::printf("\"grid\": %d, \"work_items\": %zu, \"split\": %s, \"kv_tokens\": %lld, "
                "\"ms\": %.4f, \"gbps\": %.1f, \"spot_rel_err\": %.2e}\n",
                grid, items, split ? "true" : "false", static_cast<long long>(kvTokens), ms,
                bytes / (ms * 1e6), worstRel);
    return pass;
  }
};

/// --trace: the per-CTA timeline (trace.cuh) of the module's last launch,
/// in microseconds from the first CTA's start: when CTAs started, when their
/// first key tile landed, when their math ended and when they exited (the
/// gap is the merge for the CTA that merged its group).
void printTrace(const attnrt::Module &module, const char *name) {
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
  if (cuModuleGetGlobal(&ptr, &bytes, module.handle(), "attn_trace") != CUDA_SUCCESS) {
    std::printf("TRACE %s: the module has no attn_trace\n", name);
    return;
  }
  std::vector<unsigned long long> t(bytes / sizeof(unsigned long long));
  if (cuCtxSynchronize() != CUDA_SUCCESS || cuMemcpyDtoH(t.data(), ptr, bytes) != CUDA_SUCCESS)
    return;
  constexpr int kPoints = 14; // trace.cuh's kTracePoints
  unsigned long long origin = ~0ull;
  std::vector<size_t> ctas;
  for (size_t c = 0; c * kPoints < t.size(); ++c)
    if (t[c * kPoints] != 0) {
      ctas.push_back(c);
      origin = std::min(origin, t[c * kPoints]);
    }
  if (ctas.empty())
    return;
  // --trace-clock: clock64 cycles (in thousands) from the CTA's own first
  // item's arrival (point 5: after the wait of a programmatic launch), so
  // the earlier points (its start) drop out.
  // The buffer is not cleared between launches: a point the traced launch
  // did not reach in CTA c (the merge points, in CTAs that did not merge)
  // still holds an earlier launch's value, possibly from another SM's clock.
  // A point counts only between the CTA's own start and exit (points 0 and
  // 3, which every CTA writes in every launch). That drops most stale
  // values, not all: the traced launch is the last programmatic one, whose
  // CTAs start while the launch before it still runs, so that launch's
  // merge points can fall inside a CTA's window (clear the buffer before a
  // dedicated launch to be exact).
  auto current = [&](size_t c, int p) {
    const unsigned long long v = t[c * kPoints + p];
    return v != 0 && v >= t[c * kPoints] && v <= t[c * kPoints + 3];
  };
  auto us = [&](size_t c, int p) {
    const unsigned long long item = current(c, 5) ? t[c * kPoints + 5] : 0;
    const double from = gTraceClock ? double(item ? item : t[c * kPoints]) : double(origin);
    return current(c, p) ? (double(t[c * kPoints + p]) - from) / 1e3 : -1.0;
  };
  auto summary = [&](const char *what, int p) {
    std::vector<double> v;
    for (size_t c : ctas)
      if (us(c, p) >= 0)
        v.push_back(us(c, p));
    if (v.empty())
      return;
    std::sort(v.begin(), v.end());
    auto at = [&](double f) { return v[std::min(v.size() - 1, size_t(f * (v.size() - 1) + 0.5))]; };
    std::printf("TRACE %s %-12s n %4zu  min %6.2f  p10 %6.2f  p50 %6.2f  p90 %6.2f  max %6.2f %s\n",
                name, what, v.size(), v.front(), at(0.1), at(0.5), at(0.9), v.back(),
                gTraceClock ? "kcycles" : "us");
  };
  summary("start", 0);
  summary("item", 5);
  summary("q_issued", 11);
  summary("tile_chosen", 12);
  summary("kv_issued", 6);
  summary("q_landed", 13);
  summary("first_tile", 1);
  summary("math_done", 2);
  summary("merge_start", 4);
  summary("merge_lse", 8);
  summary("merge_b1", 9);
  summary("merge_b2", 10);
  summary("merge_done", 7);
  summary("exit", 3);
  // The CTAs that merged: exit well after their math.
  int merged = 0;
  double worstMerge = 0;
  for (size_t c : ctas) {
    double gap = us(c, 3) - us(c, 2);
    if (gap > 0.5) {
      ++merged;
      worstMerge = std::max(worstMerge, gap);
    }
  }
  std::printf("TRACE %s CTAs whose exit came > 0.5 us after their math: %d (longest gap %.2f us)\n",
              name, merged, worstMerge);
}

/// Both skewed cases: one compile of the decode variant, then per case the
/// default plan, noSplit, the sweep of ctasPerSM x minChunkTiles and the
/// default plan from a CUDA graph. Returns the number of failures.
int runSkewed(const std::string &examplesDir, const std::string &lengthsPath, int reps,
              std::mt19937_64 &rng) {
  std::vector<int64_t> skew1(64, 512);
  skew1[0] = 32768;
  std::vector<int64_t> skew2 = skew2Lengths();
  int64_t sum2 = 0;
  for (int64_t l : skew2)
    sum2 += l;
  std::printf("skew2 lengths (seed 42): sum %lld, max %lld\n", static_cast<long long>(sum2),
              static_cast<long long>(*std::max_element(skew2.begin(), skew2.end())));
  if (FILE *f = std::fopen(lengthsPath.c_str(), "w")) {
    std::fprintf(f, "{\"case\": \"decode skew2\", \"seed\": 42, \"sum\": %lld, \"lengths\": [",
                 static_cast<long long>(sum2));
    for (size_t i = 0; i < skew2.size(); ++i)
      std::fprintf(f, "%s%lld", i ? ", " : "", static_cast<long long>(skew2[i]));
    std::fprintf(f, "]}\n");
    std::fclose(f);
    std::printf("skew2 lengths written to %s\n", lengthsPath.c_str());
  } else {
    std::printf("note: could not write %s (torch_anchors.py regenerates the lengths)\n",
                lengthsPath.c_str());
  }

  std::vector<Workload> cases = {
      {"decode skew1", ATTN_KV_PAGED, 16, std::vector<int64_t>(64, 1), skew1, false},
      {"decode skew2", ATTN_KV_PAGED, 16, std::vector<int64_t>(64, 1), skew2, false},
  };
  Overrides ov;
  ov.layout = ATTN_KV_PAGED;
  ov.pageSize = 16;
  ov.bf16 = true;
  BuiltVariant built;
  attnrt::Module module;
  const char *stage = "";
  std::string error;
  if (!loadCausal(examplesDir, ov, /*trace=*/false, built, module, stage, error)) {
    std::printf("BENCH {\"case\": \"decode skew\", \"error\": \"%s: %s\"}\n", stage,
                error.c_str());
    return 1;
  }
  VariantOp op = built.op;
  Shape s = shapeOf(op);

  std::vector<SkewSetting> settings;
  settings.push_back({"default", {}, false});
  {
    SkewSetting ns{"no_split", {}, false};
    ns.opts.noSplit = true;
    settings.push_back(ns);
  }
  // Run 5 (H200): fewer CTAs per SM lost 15-60 %, minChunkTiles changed
  // nothing; what is left to learn is the chunk granularity.
  for (int gran : {2, 4, 8}) {
    SkewSetting sw{"sweep", {}, false};
    sw.opts.splitGranularity = gran;
    settings.push_back(sw);
  }
  settings.push_back({"default", {}, true});

  int failures = 0;
  for (const Workload &w : cases) {
    LayoutData data = pagedRandomData(w.kvLens, s, w.pageSize, rng);
    SkewBench b{module, op, w, data, s, reps};
    // The first and last requests and the longest one (the last query row of
    // each: the only row of a decode request).
    size_t longest = size_t(std::max_element(w.kvLens.begin(), w.kvLens.end()) - w.kvLens.begin());
    b.checked = {0, w.kvLens.size() - 1};
    if (longest != 0 && longest != w.kvLens.size() - 1)
      b.checked.push_back(longest);
    if (!b.setUp(error)) {
      std::printf("BENCH {\"case\": \"%s\", \"error\": \"setup: %s\"}\n", w.name, error.c_str());
      ++failures;
      continue;
    }
    for (const SkewSetting &set : settings)
      if (!b.run(set))
        ++failures;
  }
  return failures;
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string examplesDir = "examples";
  int reps = 30;
  // Where skew2's lengths go for torch_anchors.py (its default is the same).
  const char *outDir = std::getenv("OUT");
  std::string lengthsPath = std::string(outDir && *outDir ? outDir : "/tmp/attn-out") +
                            "/skew2_lengths.json";
  bool skewed = true;
  std::string only; // run only the cases whose name contains this
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--examples" && i + 1 < argc)
      examplesDir = argv[++i];
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--skew-lengths" && i + 1 < argc)
      lengthsPath = argv[++i];
    else if (a == "--no-skew")
      skewed = false;
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--trace")
      gTrace = true;
    else if (a == "--trace-clock")
      gTrace = gTraceClock = true;
    else if (a == "--kv-hnd")
      gKvHnd = true;
    else if (a == "--define" && i + 1 < argc)
      gDefines.push_back(argv[++i]);
    else if (a == "--decode-config" && i + 1 < argc) {
      KernelConfig c;
      if (std::sscanf(argv[++i], "%ld,%ld,%ld,%ld", &c.blockM, &c.blockN, &c.numWarps,
                      &c.stages) != 4) {
        std::printf("--decode-config wants M,N,W,S\n");
        return 2;
      }
      gDecodeConfig = c;
      gDecodeConfigText = argv[i];
    } else {
      std::printf("usage: attn-bench [--examples DIR] [--reps N] [--skew-lengths FILE] "
                  "[--no-skew] [--only TEXT]\n"
                  "  --skew-lengths  where to write skew2's request lengths (default "
                  "$OUT/skew2_lengths.json,\n"
                  "                  /tmp/attn-out/skew2_lengths.json without $OUT)\n"
                  "  --no-skew       skip the skewed-decode cases\n"
                  "  --only TEXT     only the cases whose name contains TEXT ('skew': the skewed ones)\n"
                  "  --trace         kernels built with -DATTN_TRACE: print each non-skewed case's\n"
                  "                  per-CTA timeline (trace.cuh) of its last launch\n"
                  "  --trace-clock   the same with each CTA's clock64, in thousands of cycles from\n"
                  "                  its first work item (exact; %%globaltimer ticks in 256 ns steps)\n"
                  "  --decode-config M,N,W,S  decode kernel config (tuning)\n"
                  "  --define NAME[=VALUE]    compile the kernels with -DNAME[=VALUE] (experiments)\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  std::printf("decode config: %s\n", gDecodeConfigText.c_str());
  for (const std::string &d : gDefines)
    std::printf("define: %s\n", d.c_str());
  if (cuInit(0) != CUDA_SUCCESS) {
    std::printf("attn-bench: no GPU\n");
    return 0;
  }
  CUcontext ctx = nullptr;
  attnrt::Status st = attnrt::initDevice(0, &ctx);
  if (!st.ok()) {
    std::printf("attn-bench: %s\n", st.toString().c_str());
    return 2;
  }
  std::vector<Workload> workloads = {
      {"prefill causal 4x4096", ATTN_KV_RAGGED, 0, {4096, 4096, 4096, 4096},
       {4096, 4096, 4096, 4096}, true},
      {"decode 64x4096 paged(16)", ATTN_KV_PAGED, 16, std::vector<int64_t>(64, 1),
       std::vector<int64_t>(64, 4096), false},
      {"decode 1x16384 paged(16)", ATTN_KV_PAGED, 16, {1}, {16384}, false},
  };
  std::mt19937_64 rng(2026);
  int failures = 0;
  for (const Workload &w : workloads) {
    if (!only.empty() && std::string(w.name).find(only) == std::string::npos)
      continue;
    Overrides o;
    o.layout = w.layout;
    o.pageSize = w.pageSize ? w.pageSize : 16;
    o.bf16 = true;
    BuiltVariant built;
    attnrt::Module module;
    const char *stage = "";
    std::string error;
    if (!loadCausal(examplesDir, o, gTrace, built, module, stage, error)) {
      std::printf("BENCH {\"case\": \"%s\", \"error\": \"%s: %s\"}\n", w.name, stage,
                  error.c_str());
      ++failures;
      continue;
    }
    VariantOp op = built.op;
    Shape s = shapeOf(op);
    LayoutData data = randomData(w, s, rng);
    if (gKvHnd && w.layout == ATTN_KV_PAGED)
      toHeadMajorPages(data, s);
    GpuRunOptions ro;
    ro.timedReps = reps;
    double kvBytes = 0;
    for (int64_t l : w.kvLens)
      kvBytes += 2.0 * l * s.numKVHeads * s.dimQK * 2; // K + V, bf16
    // Decode is also timed as the torch anchors time it: a graph over enough
    // K/V copies (400 MB) that no call finds its KV in L2.
    if (!w.prefill) {
      ro.graphSets = static_cast<int>(std::min(96.0, std::max(1.0, std::ceil(400e6 / kvBytes))));
      ro.timeProgrammatic = true; // an engine option; the anchors have no such launch
    }
    GpuOutput out;
    if (!runOnGpu(module, op, ref::Problem{w.qLens, w.kvLens, {}, {}, {}, {}, {}, {}, {}},
                  data, ro, out, error)) {
      std::printf("BENCH {\"case\": \"%s\", \"error\": \"run: %s\"}\n", w.name, error.c_str());
      ++failures;
      continue;
    }
    double worstRel = 0;
    for (size_t req : {size_t(0), w.qLens.size() - 1}) {
      Comparison cmp;
      if (!spotCheck(op, w, data, s, req, out, cmp, error)) {
        std::printf("spot check error: %s\n", error.c_str());
        ++failures;
        continue;
      }
      worstRel = std::max(worstRel, cmp.relErr);
      if (!cmp.pass(1e-2)) {
        std::printf("spot check FAILED on %s request %zu: %s\n", w.name, req,
                    cmp.describe().c_str());
        ++failures;
      }
    }
    if (gTrace)
      printTrace(module, w.name);
    double ms = out.medianMs;
    if (w.prefill) {
      double pairs = 0;
      for (size_t b = 0; b < w.qLens.size(); ++b)
        pairs += static_cast<double>(w.qLens[b]) * (w.qLens[b] + 1) / 2; // causal, q == kv
      double tflops = 4.0 * s.dimQK * pairs * s.numQHeads / (ms * 1e9);
      std::printf("BENCH {\"case\": \"%s\", \"ms\": %.4f, \"tflops\": %.1f, \"spot_rel_err\": %.2e}\n",
                  w.name, ms, tflops, worstRel);
    } else {
      std::printf("BENCH {\"case\": \"%s\", \"ms\": %.4f, \"gbps\": %.1f, \"graph_sets\": %d, "
                  "\"graph_ms\": %.4f, \"graph_gbps\": %.1f, \"graph_pdl_ms\": %.4f, "
                  "\"graph_pdl_gbps\": %.1f, \"spot_rel_err\": %.2e}\n",
                  w.name, ms, kvBytes / (ms * 1e6), ro.graphSets, out.graphMs,
                  kvBytes / (out.graphMs * 1e6), out.graphPdlMs,
                  kvBytes / (out.graphPdlMs * 1e6), worstRel);
      // The same bytes read by a trivial kernel, timed the same way: the
      // most any single launch per call could reach at this size.
      if (!attn::bench::runReadCeiling(w.name, kvBytes, ro.graphSets, reps, error)) {
        std::printf("BENCH {\"case\": \"%s\", \"error\": \"read ceiling: %s\"}\n", w.name,
                    error.c_str());
        ++failures;
      }
    }
  }
  if (skewed && (only.empty() || only.find("skew") != std::string::npos))
    failures += runSkewed(examplesDir, lengthsPath, reps, rng);
  return failures ? 1 : 0;
}
