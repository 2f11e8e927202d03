// l1_after_wait.cu - Does griddepcontrol.wait drop what L1 holds?
//
// A developer probe (nvcc, standalone). A programmatic decode launch reads
// its work item and page-table entries before it waits for the kernel ahead
// (plan() data), and reads the same entries again after the wait to issue
// its first copies. If L1 kept them across the wait, those second reads are
// L1 hits; if the wait invalidates L1, they go to L2. Here one CTA per SM
// loads a word (ld.global.nc, as __ldg) before the wait and times a load of
// the next word of the same line after, in cycles, next to a load of a line
// it never touched (an L2 hit after a warm-up kernel) and the same with no
// wait between. (The same address twice would not do: ptxas may reuse an
// .nc load's value.) On the H100: 55 cycles after the wait as without it
// (L1 hits), 305-380 for L2.
#include "probe_common.cuh"

__device__ __forceinline__ unsigned ldg_timed(const unsigned *p, long long &cycles) {
  unsigned v;
  long long t0, t1;
  asm volatile("mov.u64 %0, %%clock64;" : "=l"(t0) :: "memory");
  asm volatile("ld.global.nc.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  // The second clock read sits behind a branch on the value, so it waits
  // for the load (a read alone would not).
  if (v == 0x12345678u)
    asm volatile("trap;");
  asm volatile("mov.u64 %0, %%clock64;" : "=l"(t1) :: "memory");
  cycles = t1 - t0;
  return v;
}

// mode 0: load, wait, reload; mode 1: load, reload (no wait); both then time
// a load of another line (warm in L2, never in this SM's L1).
__global__ void probe(const unsigned *data, int mode, long long *out, unsigned *sink) {
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
  if (threadIdx.x != 0)
    return;
  const unsigned *mine = data + blockIdx.x * 64;         // one 256-byte line per CTA
  const unsigned *other = data + (gridDim.x + blockIdx.x) * 64;
  long long c0, c1, c2;
  unsigned acc = ldg_timed(mine, c0);
  if (mode == 0)
    asm volatile("griddepcontrol.wait;" ::: "memory");
  acc += ldg_timed(mine + 1, c1); // the same line, another word (an equal address may be reused)
  acc += ldg_timed(other, c2);
  out[blockIdx.x * 3 + 0] = c0;
  out[blockIdx.x * 3 + 1] = c1;
  out[blockIdx.x * 3 + 2] = c2;
  if (acc == 0x9e3779b9u)
    sink[0] = acc;
}

__global__ void warm(const unsigned *data, int n, unsigned *sink) {
  unsigned acc = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    acc += data[i];
  if (acc == 0x9e3779b9u)
    sink[0] = acc;
}

int main() {
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int n = 2 * sms * 64;
  unsigned *data, *sink;
  long long *out;
  CK(cudaMalloc(&data, n * 4));
  CK(cudaMemset(data, 1, n * 4));
  CK(cudaMalloc(&sink, 64));
  CK(cudaMalloc(&out, sms * 3 * sizeof(long long)));
  CK(cudaFuncSetAttribute(probe, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024));
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = dim3(sms);
  cfg.blockDim = dim3(32);
  cfg.dynamicSmemBytes = 200 * 1024; // one CTA per SM
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr.val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = &attr;
  cfg.numAttrs = 1;
  for (int mode : {0, 1, 0, 1}) {
    warm<<<sms, 256>>>(data, n, sink); // every line in L2, and the kernel ahead of the probe
    CK(cudaLaunchKernelEx(&cfg, probe, (const unsigned *)data, mode, out, sink));
    CK(cudaDeviceSynchronize());
    std::vector<long long> h(sms * 3);
    CK(cudaMemcpy(h.data(), out, h.size() * sizeof(long long), cudaMemcpyDeviceToHost));
    std::vector<long long> first, again, other;
    for (int c = 0; c < sms; ++c) {
      first.push_back(h[c * 3]);
      again.push_back(h[c * 3 + 1]);
      other.push_back(h[c * 3 + 2]);
    }
    for (auto *v : {&first, &again, &other})
      std::sort(v->begin(), v->end());
    auto med = [](const std::vector<long long> &v) { return v[v.size() / 2]; };
    std::printf("%s: first load %lld cycles, the same line again %lld (min %lld max %lld), "
                "another line %lld (median over %d SMs)\n",
                mode == 0 ? "load, griddepcontrol.wait, reload" : "load, reload (no wait)",
                med(first), med(again), again.front(), again.back(), med(other), sms);
  }
  return 0;
}
