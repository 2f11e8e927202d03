//===- SchedulerTests.cpp - The runtime's scheduler on the GPU ------------===//
//
// attn-gpu-sched-tests: what the planner, fixed capacities and merge_states
// promise, each checked against the float64 reference evaluator on fresh
// random inputs with NaN-poisoned outputs:
//  - skewed batches (one long request among short ones), planned (split,
//    balanced) and unsplit, decode and prefill;
//  - deterministic mode: a request's output is bit-identical whatever else
//    is in the batch;
//  - CUDA graphs: run() captured once after the first plan of a runner with
//    fixed capacities, replayed after plans with different lengths;
//  - cascade: a shared prefix and per-request suffixes as two passes merged
//    with attnrt::mergeStates equals the flat computation;
//  - programmatic dependent launch: chains of calls, each reading the output
//    of the launch just before it, plain and in a graph, also as part of its
//    K (which such a launch prefetches into L2 before it waits).
//
//===----------------------------------------------------------------------===//
#include "Compare.h"
#include "EdgeSupport.h"
#include "GpuRun.h"
#include "HostTensors.h"
#include "VariantBuilder.h"

#include "attn/Reference/Evaluator.h"
#include "attn_kernels/abi.h"
#include "attnrt/Launch.h"
#include "attnrt/MergeStates.h"
#include "attnrt/Module.h"

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#ifndef ATTN_EXAMPLES_DIR
#define ATTN_EXAMPLES_DIR "examples"
#endif

using namespace attn;
using namespace attn::gputest;

namespace {

int passed = 0, failed = 0;

void report(bool ok, const std::string &name, const std::string &detail) {
  (ok ? passed : failed)++;
  std::printf("%s %s: %s\n", ok ? "PASS" : "FAIL", name.c_str(), detail.c_str());
  std::fflush(stdout);
}

struct Loaded {
  CompiledConfig config;
  attnrt::Module module;
  Shape shape{};
  bool ok = false;
};

Shape shapeOf(VariantOp op) {
  return Shape{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()),
               int64_t(op.getHeadDimQk()), int64_t(op.getHeadDimVo()), op.getDtype().isBF16()};
}

bool reference(VariantOp op, const ref::Problem &p, ref::Result &r, const std::string &name) {
  std::string err;
  if (!ref::evaluate(op, p, r, err)) {
    report(false, name, "reference: " + err);
    return false;
  }
  return true;
}

// Checks a GPU output against the reference; reports under `name`.
void check(const std::string &name, const Loaded &L, const GpuOutput &out,
           const ref::Result &r) {
  Comparison c = compare(out, r, L.shape.bf16, /*checkLse=*/true);
  report(c.pass(1e-2), name, c.describe());
}

void runChecked(const std::string &name, Loaded &L, const ref::Problem &p,
                const attnrt::RunOptions &ro, std::mt19937_64 &rng, int layout,
                int64_t pageSize) {
  ref::Result r;
  if (!reference(L.config.built.op, p, r, name))
    return;
  LayoutData d = layOut(p, L.shape, layout, pageSize, rng);
  GpuRunOptions go;
  go.run = ro;
  GpuOutput out;
  std::string err;
  if (!runOnGpu(L.module, L.config.built.op, p, d, go, out, err)) {
    report(false, name, err);
    return;
  }
  check(name, L, out, r);
}

// ---- Skewed batches -------------------------------------------------------

void skewedBatches(Loaded &decodeV, Loaded &prefillV, std::mt19937_64 &rng) {
  VariantOp op = decodeV.config.built.op;
  // Decode: one long request among short ones, and log-uniform lengths.
  std::vector<int64_t> kv{6000, 40, 513, 77, 1, 128, 300, 2049};
  std::vector<int64_t> q(kv.size(), 1);
  ref::Problem p = ref::makeRandomProblem(op, q, kv, rng());
  attnrt::RunOptions planned, unsplit;
  unsplit.noSplit = true;
  runChecked("decode skew planned", decodeV, p, planned, rng, ATTN_KV_PAGED, 16);
  runChecked("decode skew unsplit", decodeV, p, unsplit, rng, ATTN_KV_PAGED, 16);
  attnrt::RunOptions tiny; // many small chunks over few CTAs
  tiny.maxGrid = 7;
  tiny.minChunkTiles = 1;
  runChecked("decode skew grid 7", decodeV, p, tiny, rng, ATTN_KV_PAGED, 16);
  std::uniform_real_distribution<double> lu(std::log(16.0), std::log(5000.0));
  std::vector<int64_t> kv2;
  for (int i = 0; i < 19; ++i)
    kv2.push_back(int64_t(std::exp(lu(rng))));
  ref::Problem p2 = ref::makeRandomProblem(op, std::vector<int64_t>(kv2.size(), 1), kv2, rng());
  runChecked("decode log-uniform planned", decodeV, p2, planned, rng, ATTN_KV_PAGED, 16);

  // Prefill with a causal mask: costs come from the host classifier.
  VariantOp pop = prefillV.config.built.op;
  ref::Problem p3 = ref::makeRandomProblem(pop, {300, 5, 17, 1}, {300, 900, 17, 2000}, rng());
  runChecked("prefill skew planned", prefillV, p3, planned, rng, ATTN_KV_RAGGED, 0);
  attnrt::RunOptions few;
  few.maxGrid = 3;
  runChecked("prefill skew grid 3", prefillV, p3, few, rng, ATTN_KV_RAGGED, 0);
}

// ---- Deterministic mode ---------------------------------------------------

// A problem made of requests taken from others: (problem, request) pairs.
ref::Problem compose(const Shape &s, const std::vector<std::pair<const ref::Problem *, int>> &rs) {
  ref::Problem out;
  for (auto [p, b] : rs) {
    int64_t q0 = 0, k0 = 0;
    for (int i = 0; i < b; ++i) {
      q0 += p->qLens[i];
      k0 += p->kvLens[i];
    }
    const int64_t qRow = s.numQHeads * s.dimQK, kRow = s.numKVHeads * s.dimQK,
                  vRow = s.numKVHeads * s.dimVO;
    out.qLens.push_back(p->qLens[b]);
    out.kvLens.push_back(p->kvLens[b]);
    out.q.insert(out.q.end(), p->q.begin() + q0 * qRow, p->q.begin() + (q0 + p->qLens[b]) * qRow);
    out.k.insert(out.k.end(), p->k.begin() + k0 * kRow,
                 p->k.begin() + (k0 + p->kvLens[b]) * kRow);
    out.v.insert(out.v.end(), p->v.begin() + k0 * vRow,
                 p->v.begin() + (k0 + p->kvLens[b]) * vRow);
    out.params = p->params; // scalar params only in these tests
  }
  return out;
}

void deterministicMode(Loaded &L, std::mt19937_64 &rng) {
  VariantOp op = L.config.built.op;
  ref::Problem a = ref::makeRandomProblem(op, {1, 1, 1}, {5000, 100, 3000}, rng());
  ref::Problem other = ref::makeRandomProblem(op, std::vector<int64_t>(12, 1),
                                              {7, 20000, 64, 1025, 3, 900, 4096, 12, 1, 333,
                                               2500, 60},
                                              rng());
  // Request 0 of `a` (5000 keys) alone, first of a small batch, and in the
  // middle of a large skewed one.
  ref::Problem alone = compose(L.shape, {{&a, 0}});
  ref::Problem small = compose(L.shape, {{&a, 0}, {&a, 1}, {&a, 2}});
  std::vector<std::pair<const ref::Problem *, int>> mix;
  for (int i = 0; i < 12; ++i) {
    if (i == 5)
      mix.push_back({&a, 0});
    mix.push_back({&other, i});
  }
  ref::Problem big = compose(L.shape, mix);
  struct Case {
    const char *name;
    const ref::Problem *p;
    int64_t row; // the global query row of request a[0]
  } cases[] = {{"alone", &alone, 0}, {"small batch", &small, 0}, {"large batch", &big, 5}};

  ref::Result r;
  if (!reference(op, alone, r, "deterministic reference"))
    return;
  const size_t rowElems = size_t(L.shape.numQHeads * L.shape.dimVO);
  std::vector<uint16_t> first;
  for (bool det : {true, false}) {
    first.clear();
    bool identical = true;
    std::string detail;
    for (const Case &c : cases) {
      attnrt::RunOptions ro;
      ro.deterministic = det;
      LayoutData d = layOut(*c.p, L.shape, ATTN_KV_PAGED, 16, rng);
      GpuRunOptions go;
      go.run = ro;
      GpuOutput out;
      std::string err;
      if (!runOnGpu(L.module, op, *c.p, d, go, out, err)) {
        report(false, std::string("deterministic ") + c.name, err);
        return;
      }
      std::vector<uint16_t> row(out.o.begin() + c.row * rowElems,
                                out.o.begin() + (c.row + 1) * rowElems);
      if (c.p == &alone) {
        GpuOutput one = out;
        check(std::string(det ? "deterministic" : "default") + " alone vs reference", L, one, r);
      }
      if (first.empty())
        first = row;
      else if (std::memcmp(first.data(), row.data(), row.size() * 2) != 0) {
        identical = false;
        size_t diff = 0;
        for (size_t i = 0; i < row.size(); ++i)
          diff += first[i] != row[i];
        detail += std::string(" ") + c.name + ": " + std::to_string(diff) + " of " +
                  std::to_string(row.size()) + " elements differ;";
      }
    }
    if (det)
      report(identical, "deterministic: request bit-identical in 3 batch compositions",
             identical ? "identical" : detail);
    else
      std::printf("info default mode (not promised): %s\n",
                  identical ? "identical" : detail.c_str());
  }
}

// ---- CUDA graphs with fixed capacities ------------------------------------

struct Fixed {
  DeviceBuffer q, k, v, o, lse;
};

void graphReplay(Loaded &L, std::mt19937_64 &rng) {
  VariantOp op = L.config.built.op;
  const Shape &s = L.shape;
  const int64_t pageSize = 16, maxBatch = 16, maxKv = 6000;
  const int64_t maxPages = maxBatch * ((maxKv + pageSize - 1) / pageSize);
  std::vector<std::vector<int64_t>> batches = {
      {100, 200, 3000, 17, 1, 900, 4096, 33},
      {5000, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12},
      {1, 2, 3},
      {6000, 1000, 2000, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170},
      {64}};
  std::string err;
  Fixed f;
  const size_t qBytes = size_t(maxBatch * s.numQHeads * s.dimQK) * 2;
  const size_t oBytes = size_t(maxBatch * s.numQHeads * s.dimVO) * 2;
  const size_t kBytes = size_t(maxPages * pageSize * s.numKVHeads * s.dimQK) * 2;
  const size_t vBytes = size_t(maxPages * pageSize * s.numKVHeads * s.dimVO) * 2;
  if (!f.q.alloc(qBytes, err) || !f.k.alloc(kBytes, err) || !f.v.alloc(vBytes, err) ||
      !f.o.alloc(oBytes, err) || !f.lse.alloc(size_t(maxBatch * s.numQHeads) * 4, err)) {
    report(false, "graph: allocate", err);
    return;
  }
  attnrt::Runner runner(&L.module);
  attnrt::Capacities caps;
  caps.maxBatch = int32_t(maxBatch);
  caps.maxQRows = maxBatch;
  caps.maxPageIndices = maxPages;
  attnrt::Status st = runner.reserve(caps);
  if (!st.ok()) {
    report(false, "graph: reserve", st.toString());
    return;
  }
  CUstream stream = nullptr;
  cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
  CUgraphExec exec = nullptr;
  attnrt::ParamSet params;
  for (size_t i = 0; i < batches.size(); ++i) {
    const std::string name = "graph replay " + std::to_string(i) + " (" +
                             std::to_string(batches[i].size()) + " requests)";
    std::vector<int64_t> q(batches[i].size(), 1);
    ref::Problem p = ref::makeRandomProblem(op, q, batches[i], rng());
    ref::Result r;
    if (!reference(op, p, r, name))
      continue;
    LayoutData d = layOut(p, s, ATTN_KV_PAGED, pageSize, rng);
    // Same device buffers every time: the graph holds their addresses.
    cuMemcpyHtoD(f.q.ptr(), d.q.data(), d.q.size() * 2);
    cuMemcpyHtoD(f.k.ptr(), d.k.data(), d.k.size() * 2);
    cuMemcpyHtoD(f.v.ptr(), d.v.data(), d.v.size() * 2);
    cuMemsetD8(f.o.ptr(), 0xFF, oBytes);
    cuMemsetD8(f.lse.ptr(), 0xFF, size_t(maxBatch * s.numQHeads) * 4);
    attnrt::BatchDesc b = batchOf(d);
    b.numPages = int32_t(maxPages); // the pool the graph's buffers hold
    const attnrt::DeviceTensors t =
        tensorsOf(d, f.q.ptr(), f.k.ptr(), f.v.ptr(), f.o.ptr(), f.lse.ptr());
    st = runner.plan(b, attnrt::RunOptions(), stream);
    if (!st.ok()) {
      report(false, name, "plan: " + st.toString());
      continue;
    }
    if (!exec) { // capture once, after the first plan
      CUgraph graph = nullptr;
      cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_GLOBAL);
      st = runner.run(t, params, stream);
      CUresult cr = cuStreamEndCapture(stream, &graph);
      if (!st.ok() || cr != CUDA_SUCCESS ||
          cuGraphInstantiate(&exec, graph, 0) != CUDA_SUCCESS) {
        report(false, "graph: capture", st.ok() ? cudaError(cr, "capture") : st.toString());
        return;
      }
      cuGraphDestroy(graph);
    }
    CUresult cr = cuGraphLaunch(exec, stream);
    if (cr == CUDA_SUCCESS)
      cr = cuStreamSynchronize(stream);
    if (cr != CUDA_SUCCESS) {
      report(false, name, cudaError(cr, "graph launch"));
      exitAfterDeviceFault(passed, failed);
    }
    GpuOutput out;
    out.o.resize(size_t(d.totalQ * s.numQHeads * s.dimVO));
    out.lse.resize(size_t(d.totalQ * s.numQHeads));
    cuMemcpyDtoH(out.o.data(), f.o.ptr(), out.o.size() * 2);
    cuMemcpyDtoH(out.lse.data(), f.lse.ptr(), out.lse.size() * 4);
    check(name + (runner.workList().split() ? " [split]" : ""), L, out, r);
  }
  // Beyond the capacities: an error, and the runner still works after it.
  {
    std::vector<int32_t> qi(18), kl(17, 1), ki(18);
    std::vector<int32_t> pages(17, 0);
    for (int i = 0; i <= 17; ++i)
      qi[i] = ki[i] = i;
    attnrt::BatchDesc b;
    b.batchSize = 17;
    b.qIndptr = qi;
    b.kvLens = kl;
    b.kvIndptr = ki;
    b.pageIndices = pages;
    b.numPages = int32_t(maxPages);
    st = runner.plan(b, attnrt::RunOptions(), stream);
    report(!st.ok() && st.message().find("capacity exceeded") != std::string::npos,
           "graph: a batch beyond capacity is an error", st.toString());
  }
  if (exec)
    cuGraphExecDestroy(exec);
  cuStreamDestroy(stream);
}

// ---- Programmatic dependent launch ----------------------------------------

// One call of a chain: a planned runner, its problem and its K/V.
// qInK >= 0: this call's q (the previous call's output) lives inside its own
// K pool, from element qInK on, so the call's K is partly written by the
// kernel ahead of it.
struct ChainStep {
  attnrt::Runner *runner;
  const ref::Problem *p;
  const LayoutData *d;
  CUdeviceptr k, v;
  int64_t qInK = -1;
};

// The problem `p` with the K rows of paged layout `d` (dtype bits, as on
// the GPU) in place of its own.
void kFromPages(const LayoutData &d, const Shape &s, ref::Problem &p) {
  const int64_t row = d.kStrideRow;
  int64_t token = 0;
  for (size_t b = 0; b < p.kvLens.size(); ++b)
    for (int64_t j = 0; j < p.kvLens[b]; ++j, ++token) {
      const PagedSlot slot = pagedSlot(d, b, j);
      const int64_t at = slot.page * d.kStridePage + slot.row * d.kStrideRow;
      for (int64_t e = 0; e < row; ++e)
        p.k[size_t(token * row + e)] = fromBits(d.k[size_t(at + e)], s.bf16);
    }
}

// Runs `steps` back to back on one stream with programmatic launch, each
// call's q being the previous call's output (at[i] is step i's q, at[i + 1]
// its o, all but at[0] NaN-poisoned first): a launch that read q before
// waiting for the kernel ahead of it would read poison or a half-written
// tensor. `graph`: the chain is captured once and replayed twice,
// re-poisoned in between. Each step is checked against the reference on the
// q (and K) the GPU really read (so errors do not compound).
void runChain(const std::string &name, Loaded &L, const std::vector<ChainStep> &steps,
              bool graph) {
  const Shape &s = L.shape;
  const LayoutData &d0 = *steps.front().d;
  const size_t elems = size_t(d0.totalQ * s.numQHeads * s.dimVO);
  const size_t lseElems = size_t(d0.totalQ * s.numQHeads);
  std::vector<DeviceBuffer> bufs(steps.size() + 1), lses(steps.size());
  std::string err;
  for (auto &b : bufs)
    if (!b.alloc(elems * 2, err)) {
      report(false, name, err);
      return;
    }
  for (auto &b : lses)
    if (!b.alloc(lseElems * 4, err)) {
      report(false, name, err);
      return;
    }
  std::vector<CUdeviceptr> at;
  for (size_t i = 0; i < bufs.size(); ++i)
    at.push_back(i < steps.size() && steps[i].qInK >= 0
                     ? steps[i].k + CUdeviceptr(steps[i].qInK * 2)
                     : bufs[i].ptr());
  cuMemcpyHtoD(at[0], d0.q.data(), elems * 2);
  auto poison = [&] {
    for (size_t i = 1; i < at.size(); ++i)
      cuMemsetD8(at[i], 0xFF, elems * 2);
    for (auto &b : lses)
      cuMemsetD8(b.ptr(), 0xFF, lseElems * 4);
    cuCtxSynchronize();
  };
  CUstream stream = nullptr;
  cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
  attnrt::ParamSet params;
  auto launchAll = [&]() -> attnrt::Status {
    for (size_t i = 0; i < steps.size(); ++i) {
      const LayoutData &d = *steps[i].d;
      attnrt::DeviceTensors t =
          tensorsOf(d, at[i], steps[i].k, steps[i].v, at[i + 1], lses[i].ptr());
      ATTNRT_RETURN_IF_ERROR(steps[i].runner->run(t, params, stream));
      if (!steps[i].runner->lastLaunch().programmatic)
        return attnrt::Status(attnrt::StatusCode::kInternal, "launched without the attribute");
    }
    return attnrt::Status::Ok();
  };
  poison();
  attnrt::Status st;
  CUresult cr = CUDA_SUCCESS;
  CUgraphExec exec = nullptr;
  if (!graph) {
    st = launchAll();
  } else {
    CUgraph g = nullptr;
    cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_GLOBAL);
    st = launchAll();
    cr = cuStreamEndCapture(stream, &g);
    if (st.ok() && cr == CUDA_SUCCESS)
      cr = cuGraphInstantiate(&exec, g, 0);
    if (g)
      cuGraphDestroy(g);
    for (int replay = 0; replay < 2 && st.ok() && cr == CUDA_SUCCESS; ++replay) {
      poison();
      cr = cuGraphLaunch(exec, stream);
      if (cr == CUDA_SUCCESS)
        cr = cuStreamSynchronize(stream);
    }
  }
  if (cr == CUDA_SUCCESS)
    cr = cuStreamSynchronize(stream);
  if (exec)
    cuGraphExecDestroy(exec);
  cuStreamDestroy(stream);
  if (!st.ok() || cr != CUDA_SUCCESS) {
    report(false, name, st.ok() ? cudaError(cr, "chain") : st.toString());
    if (cr != CUDA_SUCCESS)
      exitAfterDeviceFault(passed, failed);
    return;
  }
  std::vector<uint16_t> qBits = d0.q;
  for (size_t i = 0; i < steps.size(); ++i) {
    ref::Problem p = *steps[i].p;
    for (size_t e = 0; e < p.q.size(); ++e)
      p.q[e] = fromBits(qBits[e], s.bf16);
    const std::string stepName = name + ", call " + std::to_string(i);
    ref::Result before; // on the K from before the write
    if (steps[i].qInK >= 0) {
      if (!reference(L.config.built.op, p, before, stepName + " (K before the write)"))
        return;
      LayoutData d = *steps[i].d; // K as the call found it: partly the last output
      for (size_t e = 0; e < qBits.size() && size_t(steps[i].qInK) + e < d.k.size(); ++e)
        d.k[size_t(steps[i].qInK) + e] = qBits[e];
      kFromPages(d, s, p);
    }
    ref::Result r;
    if (!reference(L.config.built.op, p, r, stepName))
      return;
    GpuOutput out;
    out.o.resize(elems);
    out.lse.resize(lseElems);
    cuMemcpyDtoH(out.o.data(), at[i + 1], elems * 2);
    cuMemcpyDtoH(out.lse.data(), lses[i].ptr(), lseElems * 4);
    check(stepName, L, out, r);
    if (steps[i].qInK >= 0) {
      const Comparison c = compare(out, before, s.bf16, /*checkLse=*/true);
      report(!c.pass(1e-2), stepName + ": differs from the K before the write", c.describe());
    }
    qBits = out.o;
  }
}

void programmaticLaunch(Loaded &L, std::mt19937_64 &rng) {
  VariantOp op = L.config.built.op;
  const Shape &s = L.shape;
  if (s.dimQK != s.dimVO) {
    report(false, "programmatic launch", "the chain needs head_dim_qk == head_dim_vo");
    return;
  }
  std::uniform_int_distribution<int64_t> len(300, 5000);
  const int batch = 6, calls = 5;
  std::vector<ref::Problem> problems;
  std::vector<LayoutData> layouts;
  for (int c = 0; c < calls; ++c) {
    std::vector<int64_t> kv;
    for (int b = 0; b < batch; ++b)
      kv.push_back(len(rng));
    problems.push_back(ref::makeRandomProblem(op, std::vector<int64_t>(batch, 1), kv, rng()));
    layouts.push_back(layOut(problems.back(), s, ATTN_KV_PAGED, 16, rng));
  }
  std::vector<DeviceBuffer> ks(calls), vs(calls);
  std::string err;
  for (int c = 0; c < calls; ++c)
    if (!ks[c].upload(layouts[c].k.data(), layouts[c].k.size() * 2, err) ||
        !vs[c].upload(layouts[c].v.data(), layouts[c].v.size() * 2, err)) {
      report(false, "programmatic launch: upload", err);
      return;
    }
  auto planned = [&](attnrt::Runner &r, int c, const attnrt::RunOptions &ro,
                     const std::vector<LayoutData> &from) {
    attnrt::Status st = r.setProgrammaticLaunch(true);
    if (st.ok())
      st = r.plan(batchOf(from[c]), ro, nullptr);
    if (!st.ok())
      report(false, "programmatic launch: plan", st.toString());
    return st.ok();
  };

  // One runner, one plan, split keys (the calls share partial states and
  // merge counters: each must wait for the one before to finish with them).
  attnrt::RunOptions split;
  split.kvChunk = 256;
  attnrt::Runner shared(&L.module);
  if (planned(shared, 0, split, layouts)) {
    std::vector<ChainStep> steps(
        calls, ChainStep{&shared, &problems[0], &layouts[0], ks[0].ptr(), vs[0].ptr()});
    runChain("programmatic chain, one split plan", L, steps, false);
    runChain("programmatic chain, one split plan, graph", L, steps, true);
  }
  // A runner and a plan per call: different lengths, pages and K/V.
  std::vector<std::unique_ptr<attnrt::Runner>> runners;
  std::vector<ChainStep> steps;
  for (int c = 0; c < calls; ++c) {
    runners.push_back(std::make_unique<attnrt::Runner>(&L.module));
    if (!planned(*runners.back(), c, attnrt::RunOptions(), layouts))
      return;
    steps.push_back({runners.back().get(), &problems[c], &layouts[c], ks[c].ptr(), vs[c].ptr()});
  }
  runChain("programmatic chain, a plan per call", L, steps, false);
  runChain("programmatic chain, a plan per call, graph", L, steps, true);

  // Each call's K pool holding the previous call's output from the first
  // page of request 0 on: the first key tile of a first item, which a
  // programmatic decode launch prefetches into L2 before it waits (abi.h
  // ATTN_ARGS_PREFETCH_BEFORE_WAIT). The call must see the K the kernel
  // ahead wrote, not the poison there before. Request 0 has one page of keys,
  // all of them written so, so that its output depends on them throughout
  // (runChain checks the output would not match the K before the write).
  // The pools have one output's worth of room past their last page.
  std::vector<ref::Problem> kwProblems;
  std::vector<LayoutData> kwLayouts;
  for (int c = 0; c < calls; ++c) {
    std::vector<int64_t> kv{16};
    for (int b = 1; b < batch; ++b)
      kv.push_back(len(rng));
    kwProblems.push_back(ref::makeRandomProblem(op, std::vector<int64_t>(batch, 1), kv, rng()));
    kwLayouts.push_back(layOut(kwProblems.back(), s, ATTN_KV_PAGED, 16, rng));
  }
  const size_t outElems = size_t(kwLayouts[0].totalQ * s.numQHeads * s.dimVO);
  std::vector<DeviceBuffer> kw(calls), vw(calls);
  std::vector<std::unique_ptr<attnrt::Runner>> kwRunners;
  std::vector<ChainStep> kwSteps;
  for (int c = 0; c < calls; ++c) {
    const LayoutData &d = kwLayouts[c];
    const size_t poolBytes = d.k.size() * 2;
    if (!kw[c].alloc(poolBytes + outElems * 2, err) ||
        cuMemcpyHtoD(kw[c].ptr(), d.k.data(), poolBytes) != CUDA_SUCCESS ||
        !vw[c].upload(d.v.data(), d.v.size() * 2, err)) {
      report(false, "programmatic launch: K pools", err);
      return;
    }
    kwRunners.push_back(std::make_unique<attnrt::Runner>(&L.module));
    if (!planned(*kwRunners.back(), c, attnrt::RunOptions(), kwLayouts))
      return;
    ChainStep step{kwRunners.back().get(), &kwProblems[c], &d, kw[c].ptr(), vw[c].ptr()};
    if (c > 0)
      step.qInK = int64_t(d.pageIndices[size_t(d.kvIndptr[0])]) * d.kStridePage;
    kwSteps.push_back(step);
  }
  runChain("programmatic chain, K written by the call ahead", L, kwSteps, false);
  runChain("programmatic chain, K written by the call ahead, graph", L, kwSteps, true);

  // Kernels that do not wait (as an older manifest says): refused.
  std::string manifest = L.config.artifact.artifacts.front().manifestJson;
  const std::string on = "\"programmatic_launch\": true";
  size_t at = manifest.find(on);
  if (at == std::string::npos) {
    report(false, "programmatic launch: manifest", "no \"programmatic_launch\": true");
    return;
  }
  manifest.replace(at, on.size(), "\"programmatic_launch\": false");
  const target::ArchArtifact &art = L.config.artifact.artifacts.front();
  attnrt::Module old;
  attnrt::Status st = attnrt::Module::load(art.cubin.data(), art.cubin.size(), manifest, &old);
  if (!st.ok()) {
    report(false, "programmatic launch: load", st.toString());
    return;
  }
  attnrt::Runner refused(&old);
  st = refused.setProgrammaticLaunch(true);
  report(!st.ok() && st.message().find("do not wait") != std::string::npos &&
             !refused.programmaticLaunch(),
         "programmatic launch refused for kernels that do not wait", st.toString());
}

// ---- Cascade through mergeStates ------------------------------------------

// Paged pools built by hand: `pages` pages of keys/values given per token.
void cascade(Loaded &L, std::mt19937_64 &rng) {
  VariantOp op = L.config.built.op; // position-independent (no mask, no rope)
  const Shape &s = L.shape;
  const int64_t P = 1008, pageSize = 16; // the shared prefix fills whole pages
  std::vector<int64_t> suffix{1, 40, 300, 17, 129, 1000};
  const int64_t B = int64_t(suffix.size());
  std::vector<int64_t> flatKv;
  for (int64_t sfx : suffix)
    flatKv.push_back(P + sfx);
  // Prefix keys shared: generate the flat problem, then copy request 0's
  // prefix into every request so all of them really share it.
  ref::Problem flat = ref::makeRandomProblem(op, std::vector<int64_t>(B, 1), flatKv, rng());
  const int64_t kRow = s.numKVHeads * s.dimQK, vRow = s.numKVHeads * s.dimVO;
  {
    int64_t off = 0;
    for (int64_t b = 0; b < B; ++b) {
      if (b > 0) {
        std::copy(flat.k.begin(), flat.k.begin() + P * kRow, flat.k.begin() + off * kRow);
        std::copy(flat.v.begin(), flat.v.begin() + P * vRow, flat.v.begin() + off * vRow);
      }
      off += flatKv[b];
    }
  }
  ref::Result r;
  if (!reference(op, flat, r, "cascade reference"))
    return;

  // Pools: prefix pages [0, P/16), then each request's suffix pages.
  std::vector<uint16_t> kPool, vPool;
  auto pushToken = [&](int64_t row) {
    for (int64_t i = 0; i < kRow; ++i)
      kPool.push_back(toBits(flat.k[row * kRow + i], s.bf16));
    for (int64_t i = 0; i < vRow; ++i)
      vPool.push_back(toBits(flat.v[row * vRow + i], s.bf16));
  };
  for (int64_t j = 0; j < P; ++j)
    pushToken(j);
  const int32_t prefixPages = int32_t(P / pageSize);
  std::vector<int32_t> prefixIndptr{0}, prefixPagesIdx, sfxIndptr{0}, sfxPages;
  std::vector<int32_t> qIndptr{0}, prefixLens, sfxLens;
  int64_t flatOff = 0, nextPage = prefixPages;
  for (int64_t b = 0; b < B; ++b) {
    for (int32_t pg = 0; pg < prefixPages; ++pg)
      prefixPagesIdx.push_back(pg);
    prefixIndptr.push_back(int32_t(prefixPagesIdx.size()));
    const int64_t n = (suffix[b] + pageSize - 1) / pageSize;
    for (int64_t j = 0; j < n * pageSize; ++j) {
      if (j < suffix[b])
        pushToken(flatOff + P + j);
      else {
        kPool.insert(kPool.end(), size_t(kRow), 0);
        vPool.insert(vPool.end(), size_t(vRow), 0);
      }
    }
    for (int64_t i = 0; i < n; ++i)
      sfxPages.push_back(int32_t(nextPage++));
    sfxIndptr.push_back(int32_t(sfxPages.size()));
    qIndptr.push_back(int32_t(b + 1));
    prefixLens.push_back(int32_t(P));
    sfxLens.push_back(int32_t(suffix[b]));
    flatOff += flatKv[b];
  }
  std::vector<uint16_t> qBits;
  for (double x : flat.q)
    qBits.push_back(toBits(x, s.bf16));

  std::string err;
  DeviceBuffer q, k, v, o1, o2, l1, l2;
  const size_t oBytes = size_t(B * s.numQHeads * s.dimVO) * 2, lBytes = size_t(B * s.numQHeads) * 4;
  if (!q.upload(qBits.data(), qBits.size() * 2, err) ||
      !k.upload(kPool.data(), kPool.size() * 2, err) ||
      !v.upload(vPool.data(), vPool.size() * 2, err) || !o1.alloc(oBytes, err) ||
      !o2.alloc(oBytes, err) || !l1.alloc(lBytes, err) || !l2.alloc(lBytes, err)) {
    report(false, "cascade: upload", err);
    return;
  }
  cuMemsetD8(o1.ptr(), 0xFF, oBytes);
  cuMemsetD8(o2.ptr(), 0xFF, oBytes);
  const int32_t numPages = int32_t(nextPage);
  auto pass = [&](const std::vector<int32_t> &lens, const std::vector<int32_t> &indptr,
                  const std::vector<int32_t> &pages, CUdeviceptr o, CUdeviceptr lse) {
    attnrt::BatchDesc b;
    b.batchSize = int32_t(B);
    b.qIndptr = qIndptr;
    b.kvLens = lens;
    b.kvIndptr = indptr;
    b.pageIndices = pages;
    b.numPages = numPages;
    attnrt::DeviceTensors t = attnrt::denseTensors(L.module.manifest(), q.ptr(), k.ptr(),
                                                   v.ptr(), o, lse);
    attnrt::Runner runner(&L.module);
    attnrt::Status st = runner.forward(b, t, attnrt::ParamSet(), nullptr);
    if (st.ok() && cuCtxSynchronize() != CUDA_SUCCESS)
      return attnrt::Status(attnrt::StatusCode::kCudaError, "pass failed on the device");
    return st;
  };
  attnrt::Status st = pass(prefixLens, prefixIndptr, prefixPagesIdx, o1.ptr(), l1.ptr());
  if (st.ok())
    st = pass(sfxLens, sfxIndptr, sfxPages, o2.ptr(), l2.ptr());
  if (st.ok()) {
    attnrt::MergeStatesArgs m;
    m.rows = B;
    m.oA = o1.ptr(), m.lseA = l1.ptr(), m.oB = o2.ptr(), m.lseB = l2.ptr();
    m.oOut = o1.ptr(), m.lseOut = l1.ptr(); // in place into the prefix pass
    m.oStrideHead = s.dimVO;
    m.oStrideRow = s.dimVO * s.numQHeads;
    st = attnrt::mergeStates(L.module, m, nullptr);
  }
  if (!st.ok() || cuCtxSynchronize() != CUDA_SUCCESS) {
    report(false, "cascade (prefix + suffix, merge_states) == flat", st.toString());
    return;
  }
  GpuOutput out;
  out.o.resize(oBytes / 2);
  out.lse.resize(lBytes / 4);
  cuMemcpyDtoH(out.o.data(), o1.ptr(), oBytes);
  cuMemcpyDtoH(out.lse.data(), l1.ptr(), lBytes);
  check("cascade (prefix + suffix, merge_states) == flat", L, out, r);

  // merge_states argument checks.
  attnrt::MergeStatesArgs bad;
  bad.rows = 1;
  st = attnrt::mergeStates(L.module, bad, nullptr);
  report(st.code() == attnrt::StatusCode::kInvalidArgument, "merge_states: null tensors",
         st.toString());
}

} // namespace

int main(int argc, char **argv) {
  std::string examples = ATTN_EXAMPLES_DIR;
  bool compileOnly = false;
  uint64_t seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--examples" && i + 1 < argc)
      examples = argv[++i];
    else if (a == "--compile-only")
      compileOnly = true;
    else if (a == "--seed" && i + 1 < argc)
      seed = std::stoull(argv[++i]);
    else {
      std::fprintf(stderr, "usage: attn-gpu-sched-tests [--examples DIR] [--compile-only] "
                           "[--seed N]\n");
      return 2;
    }
  }
  // causal decode (paged 16), causal prefill (ragged), vanilla GQA paged for
  // the cascade (a variant whose result does not depend on positions).
  std::vector<ConfigRequest> reqs(3);
  reqs[0].path = examples + "/causal.attn";
  reqs[0].overrides.layout = ATTN_KV_PAGED;
  reqs[0].overrides.pageSize = 16;
  reqs[1].path = examples + "/causal.attn";
  reqs[1].overrides.layout = ATTN_KV_RAGGED;
  reqs[2].path = examples + "/vanilla.attn";
  reqs[2].overrides.layout = ATTN_KV_PAGED;
  reqs[2].overrides.pageSize = 16;
  reqs[2].overrides.groupSize = 4;
  std::string arch = "sm_90a", deviceName;
  if (!compileOnly) {
    int rc = startGpu(arch, deviceName);
    if (rc == 1)
      return 0; // no GPU: skipped
    if (rc != 0)
      return 1;
    std::printf("device: %s (%s)\n", deviceName.c_str(), arch.c_str());
  }
  std::vector<CompiledConfig> compiled = compileConfigs(reqs, arch, 3);
  if (compileOnly)
    return reportCompileOnly(compiled) == 0 ? 0 : 1;
  std::printf("seed: %llu\n", (unsigned long long)seed);
  std::vector<Loaded> L(compiled.size());
  for (size_t i = 0; i < compiled.size(); ++i) {
    L[i].config = std::move(compiled[i]);
    if (!L[i].config.error.empty()) {
      report(false, "compile " + L[i].config.label, L[i].config.error);
      continue;
    }
    const target::ArchArtifact &art = L[i].config.artifact.artifacts.front();
    attnrt::Status st =
        attnrt::Module::load(art.cubin.data(), art.cubin.size(), art.manifestJson, &L[i].module);
    if (!st.ok()) {
      report(false, "load " + L[i].config.label, st.toString());
      continue;
    }
    L[i].shape = shapeOf(L[i].config.built.op);
    L[i].ok = true;
  }
  std::mt19937_64 rng(seed);
  if (L[0].ok && L[1].ok)
    skewedBatches(L[0], L[1], rng);
  if (L[0].ok)
    deterministicMode(L[0], rng);
  if (L[0].ok)
    graphReplay(L[0], rng);
  if (L[0].ok)
    programmaticLaunch(L[0], rng);
  if (L[2].ok)
    cascade(L[2], rng);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
