// probe_common.cuh - What the probes share: error checks, the split read of
// K and V (U 16-byte loads per thread in flight, as ReadCeiling's kernels),
// and decode 1 x 16384's bytes in rotating copies.
#ifndef ATTN_BENCH_PROBE_COMMON_CUH
#define ATTN_BENCH_PROBE_COMMON_CUH

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CK(x)                                                                                  \
  do {                                                                                         \
    cudaError_t e_ = (x);                                                                      \
    if (e_ != cudaSuccess) {                                                                   \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));  \
      std::exit(1);                                                                            \
    }                                                                                          \
  } while (0)

constexpr int U = 8, H = U / 2;

__device__ __forceinline__ unsigned fold(uint4 r) { return r.x ^ r.y ^ r.z ^ r.w; }

// One unit from element i on: this thread's U loads (half from K, half from
// V, blockDim.x apart, none at or past hi), all in flight before any is
// folded. A unit is blockDim.x * H elements of each.
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

// Elements [lo, hi) of K and of V.
__device__ __forceinline__ unsigned read_slice(const uint4 *__restrict__ a,
                                               const uint4 *__restrict__ b,
                                               unsigned long long lo, unsigned long long hi) {
  unsigned acc = 0;
  for (unsigned long long i = lo + threadIdx.x; i < hi; i += (unsigned long long)blockDim.x * H)
    acc += unit_fold(a, b, i, hi);
  return acc;
}

// Decode 1 x 16384's K and V (16384 tokens x 8 heads x 128 x bf16 each),
// in `sets` copies so that back-to-back launches do not find them in L2.
struct KVSets {
  std::vector<uint4 *> k, v;
  unsigned long long n = 0; // 16-byte elements of each buffer
  size_t bytes() const { return size_t(n) * 16 * 2; }
};
inline KVSets decode16384Sets(int sets) {
  KVSets kv;
  kv.n = size_t(16384) * 8 * 128 * 2 / 16;
  for (int s = 0; s < sets; ++s) {
    uint4 *k, *v;
    CK(cudaMalloc(&k, kv.n * 16));
    CK(cudaMalloc(&v, kv.n * 16));
    CK(cudaMemset(k, 1 + s, kv.n * 16));
    CK(cudaMemset(v, 2 + s, kv.n * 16));
    kv.k.push_back(k);
    kv.v.push_back(v);
  }
  return kv;
}

// What the timed probes start from: the SM count, decode 1 x 16384's K and
// V in 4 copies, a word the kernels write only if their loads fold to a
// magic value (so the loads stay live), and a non-blocking stream.
struct ProbeSetup {
  int sms = 0;
  KVSets kv;
  unsigned *sink = nullptr;
  cudaStream_t stream = nullptr;
};
inline ProbeSetup setUpProbe() {
  ProbeSetup p;
  CK(cudaDeviceGetAttribute(&p.sms, cudaDevAttrMultiProcessorCount, 0));
  p.kv = decode16384Sets(4);
  CK(cudaMalloc(&p.sink, 64));
  CK(cudaStreamCreateWithFlags(&p.stream, cudaStreamNonBlocking));
  return p;
}

// Per launch, in us: 8 rounds of 40 back-to-back `launch(i)` on `stream`
// between events; the first round warms up. Sorted (median in the middle).
struct LaunchTimes {
  std::vector<double> us;
  double median() const { return us[us.size() / 2]; }
};
template <class Launch> LaunchTimes timeLaunches(cudaStream_t stream, Launch &&launch) {
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  LaunchTimes t;
  for (int rep = 0; rep < 8; ++rep) {
    CK(cudaEventRecord(e0, stream));
    for (int i = 0; i < 40; ++i)
      launch(i);
    CK(cudaEventRecord(e1, stream));
    CK(cudaEventSynchronize(e1));
    float ms;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    if (rep > 0)
      t.us.push_back(ms * 1e3 / 40);
  }
  std::sort(t.us.begin(), t.us.end());
  CK(cudaEventDestroy(e0));
  CK(cudaEventDestroy(e1));
  return t;
}

#endif
