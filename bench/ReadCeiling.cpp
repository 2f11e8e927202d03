//===- ReadCeiling.cpp - What one launch can read, timed like decode ------===//
#include "ReadCeiling.h"

#include "../test/gpu/GpuRun.h"
#include "attn/Target/NVRTC/NVRTC.h"

#include <cuda.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace attn::bench {
namespace {

using gputest::CapturedGraph;
using gputest::cudaError;
using gputest::DeviceBuffer;

// Two access orders: the whole grid sweeping each buffer (every load
// coalesced across the grid), and each CTA reading its own contiguous slice
// of K and of V, as a split-KV decode CTA does. UNROLL 16-byte loads per
// thread are in flight before any is used. `pdl`: trigger the next launch
// at once and wait for the previous one before reading, as a kernel that
// reads what its predecessor wrote must.
const char *kSource = R"(
#define U UNROLL
__device__ __forceinline__ void pdl_prologue(int pdl) {
  if (pdl) {
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    asm volatile("griddepcontrol.wait;" ::: "memory");
  }
}
__device__ __forceinline__ unsigned fold(uint4 r) { return r.x ^ r.y ^ r.z ^ r.w; }

extern "C" __global__ void read_strided(const uint4 *__restrict__ a, const uint4 *__restrict__ b,
                                        unsigned long long n, unsigned *out, int pdl) {
  pdl_prologue(pdl);
  unsigned acc = 0;
  const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
  for (int t = 0; t < 2; ++t) {
    const uint4 *p = t ? b : a;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += stride * U) {
      uint4 r[U];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const unsigned long long j = i + u * stride;
        r[u] = j < n ? __ldcs(p + j) : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int u = 0; u < U; ++u)
        acc += fold(r[u]);
    }
  }
  if (acc == 0x9e3779b9u) // never in practice; keeps the loads alive
    out[0] = acc;
}

// One unit of a slice: this thread's U loads from element i on (half from
// K, half from V, blockDim.x apart, none at or past hi), all in flight
// before any is folded. A unit is blockDim.x * U / 2 elements of each.
constexpr int H = U / 2;
__device__ __forceinline__ unsigned unit_fold(const uint4 *__restrict__ a,
                                              const uint4 *__restrict__ b,
                                              unsigned long long i, unsigned long long hi) {
  uint4 r[U];
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const unsigned long long j = i + (u % H) * (unsigned long long)blockDim.x;
    r[u] = j < hi ? __ldcs((u < H ? a : b) + j) : make_uint4(0, 0, 0, 0);
  }
  unsigned acc = 0;
#pragma unroll
  for (int u = 0; u < U; ++u)
    acc += fold(r[u]);
  return acc;
}

__device__ __forceinline__ unsigned chunked_acc(const uint4 *__restrict__ a,
                                                const uint4 *__restrict__ b,
                                                unsigned long long n) {
  unsigned acc = 0;
  const unsigned long long lo = n * blockIdx.x / gridDim.x;
  const unsigned long long hi = n * (blockIdx.x + 1) / gridDim.x;
  for (unsigned long long i = lo + threadIdx.x; i < hi; i += (unsigned long long)blockDim.x * H)
    acc += unit_fold(a, b, i, hi);
  return acc;
}

extern "C" __global__ void read_chunked(const uint4 *__restrict__ a, const uint4 *__restrict__ b,
                                        unsigned long long n, unsigned *out, int pdl) {
  pdl_prologue(pdl);
  const unsigned acc = chunked_acc(a, b, n);
  if (acc == 0x9e3779b9u)
    out[0] = acc;
}

// ---- The split-KV tail alone: chunked reads, then partial states of 4 rows x
// 128 dims (bf16, 1 KB per CTA, as decode's 4-head group at d = 128) merged
// in groups of `group` consecutive CTAs (a KV head's chunks). Workspace `ws`:
// counters, claim cursors, LSEs [slot][4], partials [slot][4 rows][32 lanes]
// uint2, outputs.
// (Offsets in 32-bit words; WS_GROUPS and WS_SLOTS come from the host.)
#define WS_CURSOR WS_GROUPS
#define WS_LSE (2 * WS_GROUPS)
#define WS_PART (WS_LSE + 4 * WS_SLOTS)
#define WS_OUT (WS_PART + 256 * WS_SLOTS)
__device__ __forceinline__ float bf_lo(unsigned x) { return __uint_as_float(x << 16); }
__device__ __forceinline__ float bf_hi(unsigned x) { return __uint_as_float(x & 0xffff0000u); }
__device__ __forceinline__ unsigned bf_pack(float lo, float hi) {
  return (__float_as_uint(lo) >> 16) | (__float_as_uint(hi) & 0xffff0000u);
}
// A partial derived from the reads (so they stay live): finite, varied.
__device__ __forceinline__ uint2 fake_part(unsigned acc, int k) {
  const float x = (float)((acc + k) & 255) * (1.f / 256.f);
  return make_uint2(bf_pack(x, x + 1.f), bf_pack(x - 1.f, x * 0.5f));
}
// One acq_rel atomic after a barrier, as decode's finish_chunk counts.
__device__ __forceinline__ bool count_last(unsigned *ws, int group, int total) {
  __shared__ int s_last;
  __syncthreads();
  if (threadIdx.x == 0) {
    int before;
    asm volatile("atom.acq_rel.gpu.global.add.s32 %0, [%1], 1;"
                 : "=r"(before) : "l"(ws + group) : "memory");
    s_last = before + 1 == total;
    if (s_last)
      ws[group] = 0;
  }
  __syncthreads();
  return s_last;
}
// Warp w < 4 merges row w of slots first .. first + nslots - 1 (<= 32): as
// decode's merge_row, one round, every slot's loads in flight at once.
__device__ __forceinline__ void merge_l2(unsigned *ws, int group, int first, int nslots) {
  const int w = threadIdx.x / 32, l = threadIdx.x % 32;
  if (w >= 4)
    return;
  const float *lse = (const float *)(ws + WS_LSE);
  const uint2 *part = (const uint2 *)(ws + WS_PART);
  // Slots past the end load nothing and weigh 0 (LSE -inf), as in merge_row.
  const float my = l < nslots ? __ldcg(lse + (first + l) * 4 + w) : -__int_as_float(0x7f800000);
  uint2 v[32];
#pragma unroll
  for (int j = 0; j < 32; ++j)
    v[j] = j < nslots ? __ldcg(part + ((first + j) * 4 + w) * 32 + l) : make_uint2(0u, 0u);
  float M = my;
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    M = fmaxf(M, __shfl_xor_sync(0xffffffffu, M, off));
  const float e = __expf(my - M);
  float sum = e;
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    sum += __shfl_xor_sync(0xffffffffu, sum, off);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
  for (int j = 0; j < 32; ++j) {
    const float wj = __shfl_sync(0xffffffffu, e, j);
    acc[0] += wj * bf_lo(v[j].x);
    acc[1] += wj * bf_hi(v[j].x);
    acc[2] += wj * bf_lo(v[j].y);
    acc[3] += wj * bf_hi(v[j].y);
  }
  const float inv = 1.f / sum;
  ((uint2 *)(ws + WS_OUT))[(group * 4 + w) * 32 + l] =
      make_uint2(bf_pack(acc[0] * inv, acc[1] * inv), bf_pack(acc[2] * inv, acc[3] * inv));
}

// This CTA's partial (derived from `acc`) into its slot, the count, and the
// merge by the group's last CTA, which also resets the group's claim cursor
// (zero for fixed slices: no one claims).
__device__ __forceinline__ void l2_tail(unsigned acc, unsigned *ws, int group) {
  const int slot = blockIdx.x, g = blockIdx.x / group;
  if (threadIdx.x < 128) {
    ((uint2 *)(ws + WS_PART))[slot * 128 + threadIdx.x] = fake_part(acc, threadIdx.x);
    if (threadIdx.x % 32 == 0)
      ((float *)(ws + WS_LSE))[slot * 4 + threadIdx.x / 32] = (float)(acc & 7);
  }
  if (count_last(ws, g, group)) {
    if (threadIdx.x == 0)
      ws[WS_CURSOR + g] = 0;
    merge_l2(ws, g, g * group, group);
  }
}

extern "C" __global__ void read_chunked_l2merge(const uint4 *__restrict__ a,
                                                const uint4 *__restrict__ b, unsigned long long n,
                                                unsigned *ws, int pdl, int group) {
  pdl_prologue(pdl);
  l2_tail(chunked_acc(a, b, n), ws, group);
}

// The same, with the reads claimed instead of fixed: the CTAs of a group
// take 32 KB units (16 KB of K and of V, a decode tile) of the group's slice
// from a cursor one claim ahead, so a CTA that streams faster takes more and
// the group's CTAs finish together. The last CTA resets the cursor with the
// counter (every claim precedes its CTA's count).
__device__ __forceinline__ unsigned claimed_acc(const uint4 *__restrict__ a,
                                                const uint4 *__restrict__ b,
                                                unsigned long long n, unsigned *ws, int group) {
  __shared__ int s_claim[2];
  const int pool = blockIdx.x / group, pools = gridDim.x / group;
  const unsigned long long lo = n * pool / pools, hi = n * (pool + 1) / pools;
  const unsigned long long unit = (unsigned long long)blockDim.x * H;
  const int units = (int)((hi - lo + unit - 1) / unit);
  unsigned *cursor = ws + WS_CURSOR + pool;
  if (threadIdx.x == 0)
    s_claim[0] = atomicAdd(cursor, 1u);
  __syncthreads();
  unsigned acc = 0;
  int cur = s_claim[0];
#pragma unroll 1
  for (int k = 1; cur < units; ++k) {
    int next = 0;
    if (threadIdx.x == 0) // in flight beside the unit's loads
      next = (int)atomicAdd(cursor, 1u);
    acc += unit_fold(a, b, lo + cur * unit + threadIdx.x, hi);
    if (threadIdx.x == 0)
      s_claim[k & 1] = next;
    __syncthreads(); // slot k & 1 is rewritten at k + 2, after everyone read it
    cur = s_claim[k & 1];
  }
  return acc;
}

extern "C" __global__ void read_claimed_l2merge(const uint4 *__restrict__ a,
                                                const uint4 *__restrict__ b, unsigned long long n,
                                                unsigned *ws, int pdl, int group) {
  pdl_prologue(pdl);
  l2_tail(claimed_acc(a, b, n, ws, group), ws, group);
}

// The same tail with thread-block clusters: the CTAs of a cluster put their
// partials in shared memory, rank r merges its 1/C of the dims from all of
// them over distributed shared memory, and only the cluster partials (group
// / C per group) go through L2 as above; a cluster that is the whole group
// writes the output directly.
__device__ __forceinline__ unsigned cluster_rank() {
  unsigned r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
  return r;
}
__device__ __forceinline__ unsigned cluster_size() {
  unsigned r;
  asm volatile("mov.u32 %0, %%cluster_nctarank;" : "=r"(r));
  return r;
}
__device__ __forceinline__ unsigned remote(const void *p, unsigned rank) {
  const unsigned a = (unsigned)__cvta_generic_to_shared(p);
  unsigned r;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(rank));
  return r;
}
extern "C" __global__ void read_chunked_clmerge(const uint4 *__restrict__ a,
                                                const uint4 *__restrict__ b, unsigned long long n,
                                                unsigned *ws, int pdl, int group) {
  __shared__ uint2 s_part[128];
  __shared__ float s_lse[4];
  pdl_prologue(pdl);
  const unsigned acc = chunked_acc(a, b, n);
  const int C = (int)cluster_size(), r = (int)cluster_rank();
  if (threadIdx.x < 128) {
    s_part[threadIdx.x] = fake_part(acc, threadIdx.x);
    if (threadIdx.x % 32 == 0)
      s_lse[threadIdx.x / 32] = (float)(acc & 7);
  }
  asm volatile("barrier.cluster.arrive.release.aligned;\n\t"
               "barrier.cluster.wait.acquire.aligned;" ::: "memory");
  const int per = 128 / C; // uint2 chunks this rank merges
  const int g = blockIdx.x / group, cslot = blockIdx.x / C;
  if ((int)threadIdx.x < per) {
    const int k = r * per + threadIdx.x, row = k / 32;
    float ls[16];
    uint2 vs[16];
#pragma unroll
    for (int s = 0; s < 16; ++s)
      if (s < C) {
        asm volatile("ld.shared::cluster.f32 %0, [%1];" : "=f"(ls[s]) : "r"(remote(s_lse + row, s)));
        asm volatile("ld.shared::cluster.v2.u32 {%0, %1}, [%2];"
                     : "=r"(vs[s].x), "=r"(vs[s].y) : "r"(remote(s_part + k, s)));
      }
    float M = ls[0];
#pragma unroll
    for (int s = 1; s < 16; ++s)
      if (s < C)
        M = fmaxf(M, ls[s]);
    float sum = 0.f, o[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
    for (int s = 0; s < 16; ++s)
      if (s < C) {
        const float e = __expf(ls[s] - M);
        sum += e;
        o[0] += e * bf_lo(vs[s].x);
        o[1] += e * bf_hi(vs[s].x);
        o[2] += e * bf_lo(vs[s].y);
        o[3] += e * bf_hi(vs[s].y);
      }
    const float inv = 1.f / sum;
    const uint2 packed =
        make_uint2(bf_pack(o[0] * inv, o[1] * inv), bf_pack(o[2] * inv, o[3] * inv));
    if (C == group) {
      ((uint2 *)(ws + WS_OUT))[g * 128 + k] = packed;
    } else {
      ((uint2 *)(ws + WS_PART))[cslot * 128 + k] = packed;
      if (k % 32 == 0)
        ((float *)(ws + WS_LSE))[cslot * 4 + row] = M + __logf(sum);
    }
  }
  // No CTA may leave while others read its shared memory.
  asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");
  if (C < group && count_last(ws, g, group))
    merge_l2(ws, g, g * (group / C), group / C);
  asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");
}

extern "C" __global__ void empty_kernel(const uint4 *, const uint4 *, unsigned long long,
                                        unsigned *, int pdl) {
  pdl_prologue(pdl);
}
)";

// The merge kernels' workspace capacity (kSource's WS_*): merge groups (a
// counter, a claim cursor and a 1 KB output each) and partial slots (one
// per CTA or cluster: 4 LSEs and a 1 KB partial).
constexpr int kWsGroups = 256, kWsSlots = 1024;
constexpr size_t kWsWords = 2 * kWsGroups + 4 * kWsSlots + 256 * kWsSlots + 256 * kWsGroups;

struct Shape {
  const char *kernel;
  int ctasPerSm;
  int threads;
  int smemBytes; // dynamic shared memory per CTA
  int grid = 0;    // 0: SMs x ctasPerSm
  int group = 0;   // merge kernels: CTAs per merge group
  int cluster = 0; // > 0: launched in clusters of this many CTAs
  bool withPdl = true;
};

/// The launch configuration of `s` (its attributes go in `attrs`, which
/// must outlive the returned config).
CUlaunchConfig launchConfig(const Shape &s, int grid, bool pdl, CUstream stream,
                            CUlaunchAttribute (&attrs)[2]) {
  unsigned numAttrs = 0;
  if (pdl) {
    attrs[numAttrs] = CUlaunchAttribute{};
    attrs[numAttrs].id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attrs[numAttrs++].value.programmaticStreamSerializationAllowed = 1;
  }
  if (s.cluster > 0) {
    attrs[numAttrs] = CUlaunchAttribute{};
    attrs[numAttrs].id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    attrs[numAttrs].value.clusterDim.x = static_cast<unsigned>(s.cluster);
    attrs[numAttrs].value.clusterDim.y = attrs[numAttrs].value.clusterDim.z = 1;
    ++numAttrs;
  }
  CUlaunchConfig cfg{};
  cfg.gridDimX = grid;
  cfg.gridDimY = cfg.gridDimZ = 1;
  cfg.blockDimX = s.threads;
  cfg.blockDimY = cfg.blockDimZ = 1;
  cfg.sharedMemBytes = static_cast<unsigned>(s.smemBytes);
  cfg.hStream = stream;
  cfg.attrs = numAttrs ? attrs : nullptr;
  cfg.numAttrs = numAttrs;
  return cfg;
}

bool launch(CUfunction f, const Shape &s, int grid, bool pdl, CUstream stream, CUdeviceptr a,
            CUdeviceptr b, unsigned long long n, CUdeviceptr out, std::string &error) {
  int pdlFlag = pdl ? 1 : 0;
  int group = s.group;
  void *args[] = {&a, &b, &n, &out, &pdlFlag, &group}; // the driver takes what f declares
  CUlaunchAttribute attrs[2];
  const CUlaunchConfig cfg = launchConfig(s, grid, pdl, stream, attrs);
  error = cudaError(cuLaunchKernelEx(&cfg, f, args, nullptr), "cuLaunchKernelEx");
  return error.empty();
}

/// How many clusters of `s` can be resident at once (0 when not clustered).
int maxActiveClusters(CUfunction f, const Shape &s, int grid) {
  if (s.cluster <= 0)
    return 0;
  CUlaunchAttribute attrs[2];
  const CUlaunchConfig cfg = launchConfig(s, grid, false, nullptr, attrs);
  int clusters = -1;
  if (cuOccupancyMaxActiveClusters(&clusters, f, &cfg) != CUDA_SUCCESS)
    return -1;
  return clusters;
}

} // namespace

bool runReadCeiling(const char *caseName, double kvBytes, int sets, int reps,
                    std::string &error) {
  CUdevice dev;
  int sms = 0;
  if ((error = cudaError(cuCtxGetDevice(&dev), "cuCtxGetDevice")).size() ||
      (error = cudaError(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev),
                         "SM count")).size())
    return false;

  target::NVRTCRequest req;
  req.source = kSource;
  req.programName = "read_ceiling.cu";
  req.arch = "sm_90a";
  req.options = {"-std=c++17", "-DUNROLL=8", "-DWS_GROUPS=" + std::to_string(kWsGroups),
                 "-DWS_SLOTS=" + std::to_string(kWsSlots)};
  target::NVRTCOutput compiled;
  if (!target::compileWithNVRTC(req, compiled, error))
    return false;
  CUmodule module = nullptr;
  if ((error = cudaError(cuModuleLoadData(&module, compiled.cubin.data()), "cuModuleLoadData"))
          .size())
    return false;
  std::unique_ptr<CUmod_st, CUresult (*)(CUmodule)> keepModule(module, cuModuleUnload);

  // K and V of each set: half the bytes each, in 16-byte units.
  const unsigned long long n = static_cast<unsigned long long>(kvBytes / 2 / 16);
  std::vector<std::unique_ptr<DeviceBuffer>> buffers;
  for (int i = 0; i < 2 * sets; ++i) {
    buffers.push_back(std::make_unique<DeviceBuffer>());
    if (!buffers.back()->alloc(n * 16, error) ||
        (error = cudaError(cuMemsetD32(buffers.back()->ptr(), 0x3f803f80u + i, n * 4),
                           "fill K/V")).size())
      return false;
  }
  // The merge kernels' workspace: counters (which must start at zero),
  // LSEs, partials, outputs.
  DeviceBuffer out;
  if (!out.alloc(kWsWords * 4, error) ||
      (error = cudaError(cuMemsetD32(out.ptr(), 0, kWsWords), "zero workspace")).size())
    return false;

  const Shape shapes[] = {
      {"read_chunked", 2, 512, 0}, {"read_chunked", 4, 256, 0}, {"read_strided", 2, 512, 0},
      {"read_strided", 4, 256, 0}, {"read_strided", 8, 256, 0}, {"empty_kernel", 2, 128, 0},
      // The decode's footprint (1 x 16384: 2 CTAs of 128 threads per SM,
      // 100 KB of shared memory each): what launching it costs alone.
      {"empty_kernel", 2, 128, 100 * 1024},
      // The split-KV tail on its own: 8 KV heads x 32 chunks (decode's
      // 1 x 16384 plan), partials merged through L2 by the last of each 32,
      // or first within clusters of 8 or 16 over distributed shared memory;
      // and 8 x 16 chunks, one SM each, a whole group per cluster of 16.
      // (256 / 512 threads: the merge's 64 registers of loads make 80 per
      // thread, so 2 x 512 would not fit an SM.)
      {"read_chunked", 2, 256, 0, 256, 0, 0, false},
      {"read_chunked_l2merge", 2, 256, 0, 256, 32, 0, false},
      // ... with each group's reads claimed 32 KB at a time instead of fixed.
      {"read_claimed_l2merge", 2, 256, 0, 256, 32, 0, false},
      {"read_chunked_clmerge", 2, 256, 0, 256, 32, 8, false},
      {"read_chunked_clmerge", 2, 256, 0, 256, 32, 16, false},
      {"read_chunked", 1, 512, 0, 128, 0, 0, false},
      {"read_chunked_l2merge", 1, 512, 0, 128, 16, 0, false},
      {"read_chunked_clmerge", 1, 512, 0, 128, 16, 16, false},
      // With decode's 100 KB of shared memory per CTA, so that no SM holds
      // more than 2 CTAs however the clusters are placed.
      {"read_chunked_l2merge", 2, 256, 100 * 1024, 256, 32, 0, true},
      {"read_claimed_l2merge", 2, 256, 100 * 1024, 256, 32, 0, true},
      {"read_chunked_clmerge", 2, 256, 100 * 1024, 256, 32, 8, false},
      {"read_chunked_clmerge", 2, 256, 100 * 1024, 256, 32, 16, false}};
  for (const Shape &s : shapes) {
    CUfunction f = nullptr;
    if ((error = cudaError(cuModuleGetFunction(&f, module, s.kernel), s.kernel)).size() ||
        (error = cudaError(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                              s.smemBytes),
                           "dynamic shared memory"))
            .size())
      return false;
    if (s.cluster > 8 &&
        (error = cudaError(
             cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1),
             "non-portable cluster size"))
            .size())
      return false;
    const int grid = s.grid > 0 ? s.grid : sms * s.ctasPerSm;
    // A merge kernel's grid must be whole groups of whole clusters, within
    // the workspace, and merge at most 32 slots per group (one round).
    const int perCluster = s.cluster > 0 ? s.cluster : 1;
    if (s.group > 0 && (grid % s.group != 0 || s.group % perCluster != 0 ||
                        grid / s.group > kWsGroups || grid > kWsSlots ||
                        s.group / perCluster > 32)) {
      error = std::string("read ceiling: shape of ") + s.kernel + " does not fit its workspace";
      return false;
    }
    const int clusters = maxActiveClusters(f, s, grid);
    for (bool pdl : {false, true}) {
      if (pdl && !s.withPdl)
        continue;
      CapturedGraph graph;
      auto body = [&]() -> std::string {
        std::string e;
        for (int i = 0; i < sets && e.empty(); ++i)
          launch(f, s, grid, pdl, graph.stream(), buffers[2 * i]->ptr(),
                 buffers[2 * i + 1]->ptr(), n, out.ptr(), e);
        return e;
      };
      double ms = 0;
      if (!graph.capture(body, error) ||
          !gputest::timeMedian(reps, graph.stream(), [&] { return graph.replay(); }, ms, error,
                               sets))
        return false;
      std::printf("BENCH {\"case\": \"%s read ceiling\", \"kernel\": \"%s\", \"grid\": %d, "
                  "\"threads\": %d, \"smem\": %d, \"group\": %d, \"cluster\": %d, "
                  "\"max_active_clusters\": %d, \"pdl\": %s, \"graph_sets\": %d, "
                  "\"graph_ms\": %.4f, \"graph_gbps\": %.1f}\n",
                  caseName, s.kernel, grid, s.threads, s.smemBytes, s.group, s.cluster, clusters,
                  pdl ? "true" : "false", sets, ms, kvBytes / (ms * 1e6));
    }
  }
  return true;
}

} // namespace attn::bench
