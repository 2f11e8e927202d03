// pdl_prefetch.cu - Can a programmatic launch fill its predecessor's tail?
//
// A developer probe (nvcc, standalone). Back-to-back split reads of decode's
// 1 x 16384 bytes (64 MiB of K and V, 2 CTAs of 100 KB shared memory per SM,
// each CTA one contiguous slice), launched with programmatic stream
// serialization: each CTA lets the next launch start at once, then waits for
// its predecessor before reading. During the predecessor's last microseconds
// most SMs are idle and the next launch's CTAs sit on them waiting. Here,
// before the wait, they prefetch the first `pf` bytes of their K and V
// slices into L2 (cp.async.bulk.prefetch, in `piece`-byte requests): the L2
// is coherent, so that is safe even if the predecessor wrote those bytes.
// Times per launch, median of 7 x 40 launches, for several pf / piece.
// Build: nvcc -std=c++17 -O2 -arch=sm_90a bench/probes/pdl_prefetch.cu -o pdl_prefetch
#include "probe_common.cuh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>


// trigger: let the next launch start at once (else it starts when this one
// ends, as after a kernel that knows nothing of programmatic launches).
// skip: prefetch from this many bytes into the slice on.
__global__ void split_read(const uint4 *__restrict__ a, const uint4 *__restrict__ b,
                           unsigned long long n, unsigned pf, unsigned piece, int trigger,
                           unsigned skip, unsigned *sink) {
  if (trigger)
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
  const unsigned long long lo = n * blockIdx.x / gridDim.x;
  const unsigned long long hi = n * (blockIdx.x + 1) / gridDim.x;
  if (pf) {
    // Pieces of this slice's first pf bytes of K and of V, spread over threads.
    const unsigned long long base = lo * 16 + skip, end = hi * 16;
    const unsigned pieces = pf / piece;
    for (unsigned p = threadIdx.x; p < 2 * pieces; p += blockDim.x) {
      const unsigned long long off = base + (unsigned long long)(p % pieces) * piece;
      if (off + piece <= end) {
        const char *src = reinterpret_cast<const char *>(p < pieces ? a : b) + off;
        asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(src), "r"(piece)
                     : "memory");
      }
    }
  }
  asm volatile("griddepcontrol.wait;" ::: "memory");
  const unsigned acc = read_slice(a, b, lo, hi);
  if (acc == 0x9e3779b9u)
    sink[0] = acc;
}

int main() {
  const ProbeSetup ps = setUpProbe();
  CK(cudaFuncSetAttribute(split_read, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 * 1024));
  std::printf("256 threads, 100 KB smem, %.1f MB per launch\n", ps.kv.bytes() / 1e6);
  struct Case {
    bool pdl;
    unsigned pf, piece;
    int trigger = 1;
    unsigned skip = 0;
  };
  const Case cases[] = {{false, 0, 256},       {true, 0, 256},       {true, 16384, 256},
                        {true, 32768, 256},    {true, 49152, 256},   {true, 65536, 256},
                        {true, 32768, 256, 1, 32768},                {false, 16384, 256},
                        {false, 32768, 256},   {false, 32768, 256, 1, 32768},
                        {true, 0, 256, 0},     {true, 32768, 256, 0},
                        {true, 32768, 256, 0, 32768},               {true, 0, 256}};
  for (int grid : {256, 2 * ps.sms})
  for (const Case &c : cases) {
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(grid);
    cfg.blockDim = dim3(256);
    cfg.dynamicSmemBytes = 100 * 1024;
    cfg.stream = ps.stream;
    cudaLaunchAttribute attr{};
    attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr.val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = c.pdl ? &attr : nullptr;
    cfg.numAttrs = c.pdl ? 1 : 0;
    const LaunchTimes t = timeLaunches(ps.stream, [&](int i) {
      CK(cudaLaunchKernelEx(&cfg, split_read, (const uint4 *)ps.kv.k[i % 4],
                            (const uint4 *)ps.kv.v[i % 4], ps.kv.n, c.pf, c.piece, c.trigger,
                            c.skip, ps.sink));
    });
    std::printf("grid %d pdl %d trigger %d prefetch %6u B from %5u in %4u B pieces: %.2f us per "
                "launch (min %.2f max %.2f), %.0f GB/s\n",
                grid, c.pdl, c.trigger, c.pf, c.skip, c.piece, t.median(), t.us.front(),
                t.us.back(), ps.kv.bytes() / (t.median() * 1e3));
  }
  return 0;
}
