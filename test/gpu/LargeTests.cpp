//===- LargeTests.cpp - Tensors beyond 2^31 elements on the GPU ----------===//
//
// The kernels' offsets must not wrap at 2^31 elements (or 2^31 / 2^32 bytes).
// With examples/causal.attn (bf16, 32 q heads : 8 kv heads, head dim 128):
//
//  1. KV: 136 requests x 16384 keys x 8 kv heads x 128 dims = 2.28e9
//     elements per K and per V pool (4.6 GB each); requests >= 128 lie
//     beyond 2^31 elements. Ragged, and paged(16) with a randomly permuted
//     page table over the same pools (every request has pages beyond 2^31).
//     Runs: decode (1 query row per request) as planned and split into 4096-key
//     chunks; q_len 3 as planned (decode kernel) and forced prefill.
//  2. Q/O: a prefill batch of 2080 requests x 256 query rows (causal, 256
//     keys each): 532480 rows x 32 heads x 128 = 2.18e9 elements per q and o;
//     requests >= 2048 lie beyond 2^31.
//
// The data is a hash of each element's index in its device buffer (generated
// on the host in chunks, copied with cuMemcpyHtoD), so the float64 reference
// is computed only for the checked requests (the first and the last ones) by
// regenerating exactly their elements. Every output of every run is checked
// for the NaN poison (all rows written); the checked requests against the
// reference (rel err <= 1e-2, LSE). Timings of every phase are printed.
//
// Usage: attn-gpu-large-tests [--examples DIR] [--requests N] [--tokens N]
//          [--q-requests N] [--no-big-q] [--no-big-kv] [--jobs N] [--compile-only]
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
#include "attnrt/Module.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <numeric>
#include <random>
#include <thread>

#ifndef ATTN_EXAMPLES_DIR
#define ATTN_EXAMPLES_DIR "examples"
#endif

using namespace attn;
using namespace attn::gputest;

namespace {

constexpr int64_t kTwo31 = int64_t(1) << 31;
constexpr uint64_t kSeedK = 0x4b4b4b4b, kSeedV = 0x56565656, kSeedQ = 0x51515151,
                   kSeedBigQ = 0x42514251;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// bf16 bits of element `index` of the buffer seeded `seed`: a random sign,
/// magnitude in [2^-8, 1) (exponents 119..126, a random 7-bit mantissa).
uint16_t valueBits(uint64_t index, uint64_t seed) {
  uint64_t h = mix(index * 0x2545f4914f6cdd1dull ^ seed);
  return static_cast<uint16_t>(((h >> 63) << 15) | ((119 + ((h >> 8) & 7)) << 7) | (h & 0x7f));
}

unsigned gThreads = 8;

/// fn(begin, end) over [0, n) on gThreads threads.
template <typename Fn> void parallelFor(int64_t n, Fn fn) {
  unsigned t = std::max<unsigned>(1, std::min<int64_t>(gThreads, n));
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < t; ++i)
    pool.emplace_back([=] { fn(n * i / t, n * (i + 1) / t); });
  for (auto &th : pool)
    th.join();
}

/// Fills `elems` bf16 elements at `dst` with valueBits(i, seed), through two
/// pinned 64M-element chunks (the next chunk is generated while one copies).
bool fillDevice(CUdeviceptr dst, int64_t elems, uint64_t seed, std::string &error) {
  const int64_t chunk = int64_t(1) << 26;
  uint16_t *host[2] = {nullptr, nullptr};
  for (auto &h : host)
    if ((error = cudaError(cuMemAllocHost(reinterpret_cast<void **>(&h), chunk * 2),
                           "cuMemAllocHost")).size())
      return false;
  CUstream stream;
  cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
  CUevent done[2];
  cuEventCreate(&done[0], CU_EVENT_DEFAULT);
  cuEventCreate(&done[1], CU_EVENT_DEFAULT);
  bool used[2] = {false, false};
  int which = 0;
  for (int64_t at = 0; at < elems && error.empty(); at += chunk, which ^= 1) {
    int64_t n = std::min(chunk, elems - at);
    if (used[which])
      cuEventSynchronize(done[which]);
    uint16_t *h = host[which];
    parallelFor(n, [=](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        h[i] = valueBits(static_cast<uint64_t>(at + i), seed);
    });
    error = cudaError(cuMemcpyHtoDAsync(dst + at * 2, h, n * 2, stream), "cuMemcpyHtoDAsync");
    cuEventRecord(done[which], stream);
    used[which] = true;
  }
  CUresult r = cuStreamSynchronize(stream);
  if (error.empty())
    error = cudaError(r, "fill");
  cuEventDestroy(done[0]);
  cuEventDestroy(done[1]);
  cuStreamDestroy(stream);
  cuMemFreeHost(host[0]);
  cuMemFreeHost(host[1]);
  return error.empty();
}

struct Dims {
  int64_t hq, hkv, d;
};

/// A reference problem for `checked` requests: q rows [qRow0(b), + qLen) of a
/// hashed q buffer, keys at physical rows kvRow(b, t) of the hashed pools.
template <typename QRow, typename KVRow>
ref::Problem gatherProblem(const std::vector<int> &checked, int64_t qLen, int64_t kvLen,
                           const Dims &dm, uint64_t qSeed, QRow qRow0, KVRow kvRow) {
  ref::Problem p;
  size_t n = checked.size();
  p.qLens.assign(n, qLen);
  p.kvLens.assign(n, kvLen);
  int64_t qRowElems = dm.hq * dm.d, kvRowElems = dm.hkv * dm.d;
  p.q.resize(n * qLen * qRowElems);
  p.k.resize(n * kvLen * kvRowElems);
  p.v.resize(n * kvLen * kvRowElems);
  for (size_t c = 0; c < n; ++c) {
    for (int64_t i = 0; i < qLen; ++i) {
      int64_t src = (qRow0(checked[c]) + i) * qRowElems;
      double *dst = &p.q[(c * qLen + i) * qRowElems];
      for (int64_t e = 0; e < qRowElems; ++e)
        dst[e] = fromBits(valueBits(static_cast<uint64_t>(src + e), qSeed), true);
    }
    parallelFor(kvLen, [&, c](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        int64_t src = kvRow(checked[c], t) * kvRowElems;
        size_t at = (c * kvLen + t) * kvRowElems;
        for (int64_t e = 0; e < kvRowElems; ++e) {
          p.k[at + e] = fromBits(valueBits(static_cast<uint64_t>(src + e), kSeedK), true);
          p.v[at + e] = fromBits(valueBits(static_cast<uint64_t>(src + e), kSeedV), true);
        }
      }
    });
  }
  return p;
}

struct Tally {
  int passed = 0, failed = 0;
  void result(bool ok, const std::string &label, const std::string &detail) {
    (ok ? passed : failed)++;
    std::printf("%s %s: %s\n", ok ? "PASS" : "FAIL", label.c_str(), detail.c_str());
  }
};

/// Poisons o/lse, runs, downloads o and lse whole (they are small here, or
/// the caller wants them whole), returns false on an error.
bool runOnce(attnrt::Runner &runner, const attnrt::BatchDesc &batch,
             const attnrt::DeviceTensors &t, const attnrt::RunOptions &opts, size_t oElems,
             size_t lseElems, std::vector<uint16_t> &o, std::vector<float> &lse, double &ms,
             double &replayMs, std::string &error) {
  if ((error = cudaError(cuMemsetD8(t.o, 0xFF, oElems * 2), "poison o")).size() ||
      (error = cudaError(cuMemsetD8(t.lse, 0xFF, lseElems * 4), "poison lse")).size() ||
      (error = cudaError(cuCtxSynchronize(), "poison")).size())
    return false;
  attnrt::ParamSet params;
  double t0 = nowSeconds();
  attnrt::Status st = runner.forward(batch, t, params, nullptr, opts);
  if (!st.ok()) {
    error = "attnrt: " + st.toString();
    return false;
  }
  if ((error = cudaError(cuCtxSynchronize(), "kernel execution")).size())
    return false;
  ms = secondsSince(t0) * 1e3;
  // One timed replay of the same plan (events, kernel time only).
  CUevent a, b;
  cuEventCreate(&a, CU_EVENT_DEFAULT);
  cuEventCreate(&b, CU_EVENT_DEFAULT);
  cuEventRecord(a, nullptr);
  st = runner.run(t, params, nullptr);
  cuEventRecord(b, nullptr);
  CUresult r = cuEventSynchronize(b);
  float f = 0;
  cuEventElapsedTime(&f, a, b);
  replayMs = f;
  cuEventDestroy(a);
  cuEventDestroy(b);
  if (!st.ok()) {
    error = "attnrt (replay): " + st.toString();
    return false;
  }
  if ((error = cudaError(r, "replay")).size())
    return false;
  o.resize(oElems);
  lse.resize(lseElems);
  if ((error = cudaError(cuMemcpyDtoH(o.data(), t.o, oElems * 2), "download o")).size() ||
      (error = cudaError(cuMemcpyDtoH(lse.data(), t.lse, lseElems * 4), "download lse")).size())
    return false;
  return true;
}

/// Elements of `o` still holding NaN (the poison, or a NaN result).
int64_t countNaN(const std::vector<uint16_t> &o) {
  std::vector<int64_t> counts(gThreads + 1, 0);
  std::atomic<unsigned> slot{0};
  parallelFor(static_cast<int64_t>(o.size()), [&](int64_t b, int64_t e) {
    int64_t n = 0;
    for (int64_t i = b; i < e; ++i)
      n += (o[i] & 0x7fff) > 0x7f80;
    counts[slot++] = n;
  });
  return std::accumulate(counts.begin(), counts.end(), int64_t(0));
}

/// Compares the rows of `checked` requests (query rows qRow0(b) .. + qLen,
/// or only the last `keepLast` of them) with `ref` (qLen rows per request).
template <typename QRow>
Comparison compareChecked(const std::vector<uint16_t> &o, const std::vector<float> &lse,
                          const ref::Result &ref, const std::vector<int> &checked, int64_t qLen,
                          int64_t keepLast, const Dims &dm, QRow qRow0) {
  GpuOutput g;
  ref::Result r;
  int64_t rowElems = dm.hq * dm.d;
  for (size_t c = 0; c < checked.size(); ++c)
    for (int64_t i = qLen - keepLast; i < qLen; ++i) {
      int64_t gpuRow = qRow0(checked[c]) + (i - (qLen - keepLast));
      int64_t refRow = static_cast<int64_t>(c) * qLen + i;
      g.o.insert(g.o.end(), o.begin() + gpuRow * rowElems, o.begin() + (gpuRow + 1) * rowElems);
      g.lse.insert(g.lse.end(), lse.begin() + gpuRow * dm.hq, lse.begin() + (gpuRow + 1) * dm.hq);
      r.out.insert(r.out.end(), ref.out.begin() + refRow * rowElems,
                   ref.out.begin() + (refRow + 1) * rowElems);
      r.lse.insert(r.lse.end(), ref.lse.begin() + refRow * dm.hq,
                   ref.lse.begin() + (refRow + 1) * dm.hq);
    }
  return compare(g, r, /*bf16=*/true, /*checkLse=*/true);
}

std::string checkedList(const std::vector<int> &checked) {
  std::string s;
  for (int b : checked)
    s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string examplesDir = ATTN_EXAMPLES_DIR;
  int64_t numReq = 136, tokens = 16384, numReqQ = 2080;
  const int64_t bigQLen = 256;
  bool compileOnly = false, bigQ = true, bigKV = true;
  gThreads = std::max(2u, std::thread::hardware_concurrency());
  unsigned jobs = gThreads;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--examples" && i + 1 < argc)
      examplesDir = argv[++i];
    else if (a == "--requests" && i + 1 < argc)
      numReq = std::max(2ll, std::atoll(argv[++i]));
    else if (a == "--tokens" && i + 1 < argc)
      tokens = std::max(16ll, std::atoll(argv[++i]));
    else if (a == "--q-requests" && i + 1 < argc)
      numReqQ = std::max(2ll, std::atoll(argv[++i]));
    else if (a == "--no-big-q")
      bigQ = false;
    else if (a == "--no-big-kv")
      bigKV = false;
    else if (a == "--jobs" && i + 1 < argc)
      jobs = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    else if (a == "--compile-only")
      compileOnly = true;
    else {
      std::fprintf(stderr, "usage: attn-gpu-large-tests [--examples DIR] [--requests N] "
                           "[--tokens N] [--q-requests N] [--no-big-q] [--no-big-kv] "
                           "[--jobs N] [--compile-only]\n");
      return 1;
    }
  }
  std::vector<ConfigRequest> requests(2);
  for (auto &r : requests)
    r.path = examplesDir + "/causal.attn";
  requests[0].overrides.layout = ATTN_KV_RAGGED;
  requests[0].overrides.bf16 = true;
  requests[1].overrides.layout = ATTN_KV_PAGED;
  requests[1].overrides.pageSize = 16;
  requests[1].overrides.bf16 = true;

  double tStart = nowSeconds();
  if (compileOnly) {
    std::vector<CompiledConfig> compiled = compileConfigs(requests, "sm_90a", jobs);
    return reportCompileOnly(compiled) ? 1 : 0;
  }
  std::string arch, deviceName;
  int started = startGpu(arch, deviceName);
  if (started == 1)
    return 0;
  if (started != 0)
    return 2;
  size_t freeMem = 0, totalMem = 0;
  cuMemGetInfo(&freeMem, &totalMem);
  std::printf("device: %s (%s), %.1f of %.1f GB free, %u host threads\n", deviceName.c_str(),
              arch.c_str(), freeMem / 1e9, totalMem / 1e9, gThreads);

  Tally tally;
  {
    double t0 = nowSeconds();
    std::vector<CompiledConfig> compiled = compileConfigs(requests, arch, jobs);
    std::printf("phase compile: %.1f s (2 configurations)\n", secondsSince(t0));
    attnrt::Module modules[2];
    for (int i = 0; i < 2; ++i) {
      if (!compiled[i].error.empty()) {
        tally.result(false, "compile " + compiled[i].label, compiled[i].error);
        std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
        return 1;
      }
      const target::ArchArtifact &art = compiled[i].artifact.artifacts.front();
      attnrt::Status st = attnrt::Module::load(art.cubin.data(), art.cubin.size(),
                                               art.manifestJson, &modules[i]);
      if (!st.ok()) {
        tally.result(false, "load " + compiled[i].label, st.toString());
        std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
        return 1;
      }
    }
    VariantOp op = compiled[0].built.op;
    Dims dm{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()), int64_t(op.getHeadDimQk())};
    if (op.getHeadDimVo() != op.getHeadDimQk() || !op.getDtype().isBF16()) {
      std::printf("FAIL setup: causal.attn is expected to be bf16 with equal head dims\n");
      return 1;
    }
    const int64_t qRowElems = dm.hq * dm.d, kvRowElems = dm.hkv * dm.d;
    const int64_t pageSize = 16;
    int64_t pagesPerReq = (tokens + pageSize - 1) / pageSize;
    int64_t totalTokens = numReq * tokens;
    int64_t numPages = numReq * pagesPerReq + 64;
    int64_t poolRows = std::max(numPages * pageSize, numReqQ * bigQLen);
    if (!bigKV)
      poolRows = numReqQ * bigQLen;
    int64_t poolElems = poolRows * kvRowElems;
    std::string error;

    // The K and V pools, shared by the ragged and the paged runs (and by the
    // big-Q prefill, whose keys are the pools' first rows).
    t0 = nowSeconds();
    DeviceBuffer k, v;
    if (!k.alloc(poolElems * 2, error) || !v.alloc(poolElems * 2, error) ||
        !fillDevice(k.ptr(), poolElems, kSeedK, error) ||
        !fillDevice(v.ptr(), poolElems, kSeedV, error)) {
      tally.result(false, "setup K/V pools", error);
      std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
      return 1;
    }
    double fillS = secondsSince(t0);
    std::printf("phase fill K/V: %.1f s (2 x %lld elements = 2 x %.2f GB, %.1f x 2^31 "
                "elements each, %.1f GB/s)\n",
                fillS, static_cast<long long>(poolElems), poolElems * 2 / 1e9,
                double(poolElems) / kTwo31, 2 * poolElems * 2 / 1e9 / fillS);

    if (bigKV) {
      // Query rows: 3 per request; the decode runs use each request's last row.
      int64_t q3Rows = numReq * 3;
      std::vector<uint16_t> q3(q3Rows * qRowElems), q1(numReq * qRowElems);
      for (int64_t i = 0; i < q3Rows * qRowElems; ++i)
        q3[i] = valueBits(static_cast<uint64_t>(i), kSeedQ);
      for (int64_t b = 0; b < numReq; ++b)
        std::memcpy(&q1[b * qRowElems], &q3[(b * 3 + 2) * qRowElems], qRowElems * 2);
      DeviceBuffer dq3, dq1, dO, dLse;
      if (!dq3.upload(q3.data(), q3.size() * 2, error) ||
          !dq1.upload(q1.data(), q1.size() * 2, error) ||
          !dO.alloc(q3Rows * qRowElems * 2, error) || !dLse.alloc(q3Rows * dm.hq * 4, error)) {
        tally.result(false, "setup q/o", error);
        std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
        return 1;
      }

      // The page table: a random permutation of all pages, so every request
      // has pages anywhere in the pools.
      std::vector<int32_t> perm(numPages);
      std::iota(perm.begin(), perm.end(), 0);
      std::mt19937_64 rng(12345);
      std::shuffle(perm.begin(), perm.end(), rng);
      std::vector<int32_t> pageIndices(perm.begin(), perm.begin() + numReq * pagesPerReq);
      std::vector<int32_t> kvLens(numReq, static_cast<int32_t>(tokens));
      std::vector<int32_t> raggedIndptr(numReq + 1), pagedIndptr(numReq + 1);
      std::vector<int32_t> q1Indptr(numReq + 1), q3Indptr(numReq + 1);
      for (int64_t b = 0; b <= numReq; ++b) {
        raggedIndptr[b] = static_cast<int32_t>(b * tokens);
        pagedIndptr[b] = static_cast<int32_t>(b * pagesPerReq);
        q1Indptr[b] = static_cast<int32_t>(b);
        q3Indptr[b] = static_cast<int32_t>(3 * b);
      }
      // Checked: the first request and the last two (ragged: beyond 2^31
      // elements once numReq * tokens * 1024 > 2^31).
      std::vector<int> checked = {0, static_cast<int>(numReq - 2), static_cast<int>(numReq - 1)};
      auto raggedRow = [&](int b, int64_t t) { return b * tokens + t; };
      auto pagedRow = [&](int b, int64_t t) {
        return int64_t(pageIndices[b * pagesPerReq + t / pageSize]) * pageSize + t % pageSize;
      };
      for (int b : checked) {
        int64_t maxRagged = (raggedRow(b, tokens - 1) + 1) * kvRowElems;
        int64_t maxPaged = 0;
        for (int64_t t = 0; t < tokens; t += pageSize)
          maxPaged = std::max(maxPaged, (pagedRow(b, t) + 1) * kvRowElems);
        std::printf("checked request %d: last K/V element offset %.3f x 2^31 (ragged), "
                    "%.3f x 2^31 (paged)\n",
                    b, double(maxRagged) / kTwo31, double(maxPaged) / kTwo31);
      }
      // References (float64, on worker threads while the GPU runs).
      t0 = nowSeconds();
      auto q3Row0 = [](int b) { return int64_t(b) * 3; };
      auto makeRef = [&, op](auto kvRow) {
        return std::async(std::launch::async, [&, op, kvRow] {
          ref::Problem p = gatherProblem(checked, 3, tokens, dm, kSeedQ, q3Row0, kvRow);
          ref::Result r;
          std::string err;
          bool ok = ref::evaluate(op, p, r, err);
          return std::make_pair(ok ? std::string() : "reference: " + err, std::move(r));
        });
      };
      auto refRagged = makeRef(raggedRow);
      auto refPaged = makeRef(pagedRow);

      struct RunCase {
        const char *name;
        bool q3;
        attnrt::RunOptions opts;
      };
      std::vector<RunCase> runs(4);
      runs[0] = {"decode q_len 1 [planned]", false, {}};
      runs[1] = {"decode q_len 1 [split 4096]", false, {}};
      runs[1].opts.kvChunk = 4096;
      runs[2] = {"q_len 3 [planned]", true, {}};
      runs[3] = {"q_len 3 [prefill]", true, {}};
      runs[3].opts.forceKernel = attnrt::KernelKind::kPrefill;
      runs[3].opts.noSplit = true;

      for (int layout = 0; layout < 2; ++layout) {
        const char *lname = layout ? "paged(16)" : "ragged";
        std::vector<std::pair<std::string, ref::Result>> outcome;
        std::pair<std::string, ref::Result> refResult;
        bool haveRef = false;
        for (const RunCase &rc : runs) {
          attnrt::BatchDesc batch;
          batch.batchSize = static_cast<int32_t>(numReq);
          batch.qIndptr = rc.q3 ? q3Indptr : q1Indptr;
          batch.kvLens = kvLens;
          batch.kvIndptr = layout ? pagedIndptr : raggedIndptr;
          if (layout) {
            batch.pageIndices = pageIndices;
            batch.numPages = static_cast<int32_t>(numPages);
          }
          attnrt::DeviceTensors t;
          t.q = rc.q3 ? dq3.ptr() : dq1.ptr();
          t.k = k.ptr();
          t.v = v.ptr();
          t.o = dO.ptr();
          t.lse = dLse.ptr();
          t.qStrideRow = t.oStrideRow = qRowElems;
          t.qStrideHead = t.oStrideHead = dm.d;
          t.kvStrideRow = t.vStrideRow = kvRowElems;
          t.kvStrideHead = t.vStrideHead = dm.d;
          t.kvStridePage = t.vStridePage = pageSize * kvRowElems;
          int64_t rows = rc.q3 ? q3Rows : numReq;
          attnrt::Runner runner(&modules[layout]);
          std::vector<uint16_t> o;
          std::vector<float> lse;
          double ms = 0, replayMs = 0;
          std::string label = std::string("large KV ") + lname + " " + rc.name;
          if (!runOnce(runner, batch, t, rc.opts, rows * qRowElems, rows * dm.hq, o, lse, ms,
                       replayMs, error)) {
            tally.result(false, label, error);
            if (isDeviceFault(error))
              exitAfterDeviceFault(tally.passed, tally.failed);
            continue;
          }
          const attnrt::LaunchRecord &lr = runner.lastLaunch();
          int64_t nan = countNaN(o);
          if (!haveRef) {
            double w = nowSeconds();
            refResult = (layout ? refPaged : refRagged).get();
            haveRef = true;
            std::printf("reference %s (requests %s, 3 x %lld keys each): ready after %.1f s "
                        "more (%.1f s since started)\n",
                        lname, checkedList(checked).c_str(), static_cast<long long>(tokens),
                        secondsSince(w), secondsSince(t0));
          }
          if (!refResult.first.empty()) {
            tally.result(false, label, refResult.first);
            continue;
          }
          Comparison cmp = rc.q3 ? compareChecked(o, lse, refResult.second, checked, 3, 3, dm,
                                                  [](int b) { return int64_t(b) * 3; })
                                 : compareChecked(o, lse, refResult.second, checked, 3, 1, dm,
                                                  [](int b) { return int64_t(b); });
          char detail[512];
          std::snprintf(detail, sizeof detail,
                        "%s%s, grid %d; first run %.1f ms (plan + launch), replay %.2f ms "
                        "(%.0f GB/s of K/V); NaN outputs %lld of %zu; requests %s: %s",
                        lr.kernel == attnrt::KernelKind::kDecode ? "decode" : "prefill",
                        lr.merged ? " + merge" : "", lr.grid, ms, replayMs,
                        2.0 * totalTokens * kvRowElems * 2 / 1e6 / replayMs,
                        static_cast<long long>(nan), o.size(), checkedList(checked).c_str(),
                        cmp.describe().c_str());
          tally.result(nan == 0 && cmp.pass(1e-2), label, detail);
        }
      }
      std::printf("phase large KV: %.1f s\n", secondsSince(t0));
    }

    if (bigQ) {
      // Prefill: numReqQ requests x 256 query rows, causal over 256 keys each
      // (the pools' first rows, ragged).
      t0 = nowSeconds();
      int64_t rows = numReqQ * bigQLen;
      int64_t qElems = rows * qRowElems;
      DeviceBuffer dq, dO, dLse;
      if (!dq.alloc(qElems * 2, error) || !dO.alloc(qElems * 2, error) ||
          !dLse.alloc(rows * dm.hq * 4, error) || !fillDevice(dq.ptr(), qElems, kSeedBigQ, error)) {
        tally.result(false, "setup big q/o", error);
      } else {
        double fillS = secondsSince(t0);
        std::printf("phase fill big q: %.1f s (%lld elements = %.2f GB, %.2f x 2^31)\n", fillS,
                    static_cast<long long>(qElems), qElems * 2 / 1e9, double(qElems) / kTwo31);
        std::vector<int> checked = {0, static_cast<int>(kTwo31 / (bigQLen * qRowElems)),
                                    static_cast<int>(numReqQ - 1)};
        checked.erase(std::remove_if(checked.begin(), checked.end(),
                                     [&](int b) { return b >= numReqQ; }),
                      checked.end());
        for (int b : checked)
          std::printf("checked request %d: q/o element offsets %.3f .. %.3f x 2^31\n", b,
                      double(int64_t(b) * bigQLen * qRowElems) / kTwo31,
                      double(int64_t(b + 1) * bigQLen * qRowElems) / kTwo31);
        double tr = nowSeconds();
        auto qRow0 = [](int b) { return int64_t(b) * 256; };
        auto kvRow = [](int b, int64_t t) { return int64_t(b) * 256 + t; };
        auto refFuture = std::async(std::launch::async, [&, op] {
          ref::Problem p = gatherProblem(checked, bigQLen, bigQLen, dm, kSeedBigQ, qRow0, kvRow);
          ref::Result r;
          std::string err;
          bool ok = ref::evaluate(op, p, r, err);
          return std::make_pair(ok ? std::string() : "reference: " + err, std::move(r));
        });
        std::vector<int32_t> qIndptr(numReqQ + 1), kvIndptr(numReqQ + 1),
            kvLens(numReqQ, static_cast<int32_t>(bigQLen));
        for (int64_t b = 0; b <= numReqQ; ++b)
          qIndptr[b] = kvIndptr[b] = static_cast<int32_t>(b * bigQLen);
        attnrt::BatchDesc batch;
        batch.batchSize = static_cast<int32_t>(numReqQ);
        batch.qIndptr = qIndptr;
        batch.kvLens = kvLens;
        batch.kvIndptr = kvIndptr;
        attnrt::DeviceTensors t;
        t.q = dq.ptr();
        t.k = k.ptr();
        t.v = v.ptr();
        t.o = dO.ptr();
        t.lse = dLse.ptr();
        t.qStrideRow = t.oStrideRow = qRowElems;
        t.qStrideHead = t.oStrideHead = dm.d;
        t.kvStrideRow = t.vStrideRow = kvRowElems;
        t.kvStrideHead = t.vStrideHead = dm.d;
        attnrt::RunOptions opts;
        opts.forceKernel = attnrt::KernelKind::kPrefill;
        attnrt::Runner runner(&modules[0]);
        std::vector<uint16_t> o;
        std::vector<float> lse;
        double ms = 0, replayMs = 0;
        std::string label = "large Q/O ragged prefill " + std::to_string(numReqQ) + " x 256/256";
        double tRun = nowSeconds();
        if (!runOnce(runner, batch, t, opts, qElems, rows * dm.hq, o, lse, ms, replayMs, error)) {
          tally.result(false, label, error);
          if (isDeviceFault(error))
            exitAfterDeviceFault(tally.passed, tally.failed);
        } else {
          double runS = secondsSince(tRun);
          double tScan = nowSeconds();
          int64_t nan = countNaN(o);
          double scanS = secondsSince(tScan);
          double tw = nowSeconds();
          auto [refErr, refResult] = refFuture.get();
          std::printf("phase big q run + download: %.1f s, NaN scan %.1f s, reference "
                      "(requests %s) ready after %.1f s more (%.1f s since started)\n",
                      runS, scanS, checkedList(checked).c_str(), secondsSince(tw),
                      secondsSince(tr));
          if (!refErr.empty()) {
            tally.result(false, label, refErr);
          } else {
            Comparison cmp = compareChecked(o, lse, refResult, checked, bigQLen, bigQLen, dm, qRow0);
            char detail[512];
            std::snprintf(detail, sizeof detail,
                          "grid %d; first run %.1f ms, replay %.2f ms; NaN outputs %lld of "
                          "%zu; requests %s: %s",
                          runner.lastLaunch().grid, ms, replayMs, static_cast<long long>(nan),
                          o.size(), checkedList(checked).c_str(), cmp.describe().c_str());
            tally.result(nan == 0 && cmp.pass(1e-2), label, detail);
          }
        }
        std::printf("phase large Q/O: %.1f s\n", secondsSince(t0));
      }
    }
  }
  std::printf("total %.1f s\n", secondsSince(tStart));
  std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
  attnrt::releaseDevice(0);
  return tally.failed ? 1 : 0;
}
