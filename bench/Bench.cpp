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
// Usage: attn-bench [--examples DIR] [--reps N]
//
//===----------------------------------------------------------------------===//
#include "../test/gpu/Compare.h"
#include "../test/gpu/GpuRun.h"
#include "../test/gpu/HostTensors.h"
#include "../test/gpu/VariantBuilder.h"

#include "attn/Reference/Evaluator.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn_kernels/abi.h"

#include <cmath>
#include <cstdio>
#include <random>

using namespace attn;
using namespace attn::gputest;

namespace {

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

/// The float64 reference of one request's last query row, from the laid-out
/// data (bits back to doubles), for the spot check.
bool spotCheck(VariantOp op, const Workload &w, const LayoutData &d, const Shape &s,
               size_t request, const GpuOutput &gpu, Comparison &cmp, std::string &error) {
  ref::Problem p;
  int64_t kvLen = w.kvLens[request];
  p.qLens = {1};
  p.kvLens = {kvLen};
  int64_t row = d.qIndptr[request + 1] - 1;
  for (int64_t e = 0; e < s.numQHeads * s.dimQK; ++e)
    p.q.push_back(fromBits(d.q[row * s.numQHeads * s.dimQK + e], true));
  auto keyRow = [&](const std::vector<uint16_t> &pool, int64_t j, int64_t dim,
                    int64_t stridePage, int64_t strideRow, std::vector<double> &out) {
    int64_t base;
    if (d.layout == ATTN_KV_PAGED)
      base = d.pageIndices[d.kvIndptr[request] + j / d.pageSize] * stridePage +
             (j % d.pageSize) * strideRow;
    else
      base = (d.kvIndptr[request] + j) * strideRow;
    for (int64_t e = 0; e < s.numKVHeads * dim; ++e)
      out.push_back(fromBits(pool[base + e], true));
  };
  for (int64_t j = 0; j < kvLen; ++j) {
    keyRow(d.k, j, s.dimQK, d.kStridePage, d.kStrideRow, p.k);
    keyRow(d.v, j, s.dimVO, d.vStridePage, d.vStrideRow, p.v);
  }
  ref::Result r;
  if (!ref::evaluate(op, p, r, error))
    return false;
  GpuOutput rowOut;
  rowOut.o.assign(gpu.o.begin() + row * s.numQHeads * s.dimVO,
                  gpu.o.begin() + (row + 1) * s.numQHeads * s.dimVO);
  rowOut.lse.assign(gpu.lse.begin() + row * s.numQHeads,
                    gpu.lse.begin() + (row + 1) * s.numQHeads);
  cmp = compare(rowOut, r, true, true);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string examplesDir = "examples";
  int reps = 30;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--examples" && i + 1 < argc)
      examplesDir = argv[++i];
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
  }
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
    Overrides o;
    o.layout = w.layout;
    o.pageSize = w.pageSize ? w.pageSize : 16;
    o.bf16 = true;
    BuiltVariant built;
    std::string error;
    target::CompiledVariant compiled;
    target::CompileOptions copts;
    copts.archs = {"sm_90a"};
    copts.useCache = false;
    if (!buildVariant(examplesDir + "/causal.attn", o, built, error) ||
        !target::compileVariant(built.op, copts, compiled, error)) {
      std::printf("BENCH {\"case\": \"%s\", \"error\": \"compile: %s\"}\n", w.name, error.c_str());
      ++failures;
      continue;
    }
    const auto &art = compiled.artifacts.front();
    attnrt::Module module;
    st = attnrt::Module::load(art.cubin.data(), art.cubin.size(), art.manifestJson, &module);
    if (!st.ok()) {
      std::printf("BENCH {\"case\": \"%s\", \"error\": \"load: %s\"}\n", w.name, st.toString().c_str());
      ++failures;
      continue;
    }
    VariantOp op = built.op;
    // The attributes are uint64_t; clang rejects the implicit narrowing in braces.
    Shape s{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()), int64_t(op.getHeadDimQk()),
            int64_t(op.getHeadDimVo()), true};
    LayoutData data = randomData(w, s, rng);
    GpuRunOptions ro;
    ro.timedReps = reps;
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
    double ms = out.medianMs;
    if (w.prefill) {
      double pairs = 0;
      for (size_t b = 0; b < w.qLens.size(); ++b)
        pairs += static_cast<double>(w.qLens[b]) * (w.qLens[b] + 1) / 2; // causal, q == kv
      double tflops = 4.0 * s.dimQK * pairs * s.numQHeads / (ms * 1e9);
      std::printf("BENCH {\"case\": \"%s\", \"ms\": %.4f, \"tflops\": %.1f, \"spot_rel_err\": %.2e}\n",
                  w.name, ms, tflops, worstRel);
    } else {
      double bytes = 0;
      for (int64_t l : w.kvLens)
        bytes += 2.0 * l * s.numKVHeads * s.dimQK * 2; // K + V, bf16
      std::printf("BENCH {\"case\": \"%s\", \"ms\": %.4f, \"gbps\": %.1f, \"spot_rel_err\": %.2e}\n",
                  w.name, ms, bytes / (ms * 1e6), worstRel);
    }
  }
  return failures ? 1 : 0;
}
