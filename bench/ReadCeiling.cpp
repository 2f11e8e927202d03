//===- ReadCeiling.cpp - What one launch can read, timed like decode ------===//
#include "ReadCeiling.h"

#include "../test/gpu/GpuRun.h"
#include "attn/Target/NVRTC/NVRTC.h"

#include <cuda.h>

#include <cstdio>
#include <memory>
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

extern "C" __global__ void read_chunked(const uint4 *__restrict__ a, const uint4 *__restrict__ b,
                                        unsigned long long n, unsigned *out, int pdl) {
  pdl_prologue(pdl);
  unsigned acc = 0;
  const unsigned long long lo = n * blockIdx.x / gridDim.x;
  const unsigned long long hi = n * (blockIdx.x + 1) / gridDim.x;
  constexpr int H = U / 2; // half the loads from K, half from V
  for (unsigned long long i = lo + threadIdx.x; i < hi; i += (unsigned long long)blockDim.x * H) {
    uint4 r[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const unsigned long long j = i + (u % H) * (unsigned long long)blockDim.x;
      r[u] = j < hi ? __ldcs((u < H ? a : b) + j) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < U; ++u)
      acc += fold(r[u]);
  }
  if (acc == 0x9e3779b9u)
    out[0] = acc;
}

extern "C" __global__ void empty_kernel(const uint4 *, const uint4 *, unsigned long long,
                                        unsigned *, int pdl) {
  pdl_prologue(pdl);
}
)";

struct Shape {
  const char *kernel;
  int ctasPerSm;
  int threads;
  int smemBytes; // dynamic shared memory per CTA
};

bool launch(CUfunction f, int grid, int threads, int smemBytes, bool pdl, CUstream stream,
            CUdeviceptr a, CUdeviceptr b, unsigned long long n, CUdeviceptr out,
            std::string &error) {
  int pdlFlag = pdl ? 1 : 0;
  void *args[] = {&a, &b, &n, &out, &pdlFlag};
  CUlaunchAttribute attr{};
  attr.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  attr.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig cfg{};
  cfg.gridDimX = grid;
  cfg.gridDimY = cfg.gridDimZ = 1;
  cfg.blockDimX = threads;
  cfg.blockDimY = cfg.blockDimZ = 1;
  cfg.sharedMemBytes = static_cast<unsigned>(smemBytes);
  cfg.hStream = stream;
  cfg.attrs = pdl ? &attr : nullptr;
  cfg.numAttrs = pdl ? 1 : 0;
  error = cudaError(cuLaunchKernelEx(&cfg, f, args, nullptr), "cuLaunchKernelEx");
  return error.empty();
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
  req.options = {"-std=c++17", "-DUNROLL=8"};
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
  DeviceBuffer out;
  if (!out.alloc(16, error))
    return false;

  const Shape shapes[] = {{"read_chunked", 2, 512, 0}, {"read_chunked", 4, 256, 0},
                          {"read_strided", 2, 512, 0}, {"read_strided", 4, 256, 0},
                          {"read_strided", 8, 256, 0}, {"empty_kernel", 2, 128, 0},
                          // The decode's footprint (1 x 16384: 2 CTAs of 128 threads per SM,
                          // 100 KB of shared memory each): what launching it costs alone.
                          {"empty_kernel", 2, 128, 100 * 1024}};
  for (const Shape &s : shapes) {
    CUfunction f = nullptr;
    if ((error = cudaError(cuModuleGetFunction(&f, module, s.kernel), s.kernel)).size() ||
        (error = cudaError(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                              s.smemBytes),
                           "dynamic shared memory"))
            .size())
      return false;
    for (bool pdl : {false, true}) {
      const int grid = sms * s.ctasPerSm;
      CapturedGraph graph;
      auto body = [&]() -> std::string {
        std::string e;
        for (int i = 0; i < sets && e.empty(); ++i)
          launch(f, grid, s.threads, s.smemBytes, pdl, graph.stream(), buffers[2 * i]->ptr(),
                 buffers[2 * i + 1]->ptr(), n, out.ptr(), e);
        return e;
      };
      double ms = 0;
      if (!graph.capture(body, error) ||
          !gputest::timeMedian(reps, graph.stream(), [&] { return graph.replay(); }, ms, error,
                               sets))
        return false;
      std::printf("BENCH {\"case\": \"%s read ceiling\", \"kernel\": \"%s\", \"grid\": %d, "
                  "\"threads\": %d, \"smem\": %d, \"pdl\": %s, \"graph_sets\": %d, "
                  "\"graph_ms\": %.4f, \"graph_gbps\": %.1f}\n",
                  caseName, s.kernel, grid, s.threads, s.smemBytes, pdl ? "true" : "false", sets,
                  ms, kvBytes / (ms * 1e6));
    }
  }
  return true;
}

} // namespace attn::bench
