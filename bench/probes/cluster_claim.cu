// cluster_claim.cu - Balancing a split read within thread-block clusters.
//
// A developer probe (nvcc, standalone). sm_balance.cu found that the finish
// spread of decode's 1 x 16384 split read (~4.6 us) is mostly random per
// launch and mostly between SMs of the same GPC (per-GPC mean rates agree
// within 2 %). Claiming work through global atomics was measured too slow
// under the saturated stream (~6 us a claim). A cluster's CTAs share a GPC,
// and atomics on distributed shared memory do not go through L2: here the C
// CTAs of a cluster read a pool of C slices in 32 KB units (16 KB of K and
// of V), each taking its next unit from a cursor in rank 0's shared memory,
// one claim ahead. Compared with fixed slices, with and without a
// programmatic launch (then with 32 KB of the first units prefetched into L2
// before the wait, as pdl_prefetch.cu measured best).
// Build: nvcc -std=c++17 -O2 -arch=sm_90a bench/probes/cluster_claim.cu -o cluster_claim
#include "probe_common.cuh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>


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
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\n\t"
               "barrier.cluster.wait.acquire.aligned;" ::: "memory");
}

// mode 0: fixed slices by blockIdx; 1: claimed within the cluster.
__global__ void split_read(const uint4 *__restrict__ a, const uint4 *__restrict__ b,
                           unsigned long long n, int mode, unsigned pf, unsigned *sink) {
  __shared__ unsigned s_cursor;
  __shared__ int s_claim[2];
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
  const int C = mode ? (int)cluster_size() : 1;
  const int pool = blockIdx.x / C, pools = gridDim.x / C, rank = mode ? (int)cluster_rank() : 0;
  const unsigned long long lo = n * pool / pools, hi = n * (pool + 1) / pools;
  const unsigned long long unit = (unsigned long long)blockDim.x * H;
  const int units = (int)((hi - lo + unit - 1) / unit);
  if (mode) {
    if (threadIdx.x == 0)
      s_cursor = 0;
    cluster_sync(); // rank 0's cursor is set before anyone claims
  }
  if (pf) {
    // The first pf bytes this CTA would read with no claims: its fixed
    // slice's start (fixed), or units rank, rank + C, ... (claimed).
    for (unsigned p = threadIdx.x; p < 2 * pf / 256; p += blockDim.x) {
      const unsigned q = p % (pf / 256);
      unsigned long long off;
      if (mode)
        off = (lo + (rank + (q * 256) / (unit * 16) * C) * unit) * 16 + (q * 256) % (unit * 16);
      else
        off = (n * blockIdx.x / gridDim.x) * 16 + q * 256;
      if (off + 256 <= hi * 16) {
        const char *src = reinterpret_cast<const char *>(p < pf / 256 ? a : b) + off;
        asm volatile("cp.async.bulk.prefetch.L2.global [%0], 256;" ::"l"(src) : "memory");
      }
    }
  }
  asm volatile("griddepcontrol.wait;" ::: "memory");
  unsigned acc = 0;
  if (!mode) {
    acc = read_slice(a, b, n * blockIdx.x / gridDim.x, n * (blockIdx.x + 1) / gridDim.x);
  } else {
    // Rank 0's cursor, in the cluster's shared window.
    unsigned remote;
    asm volatile("mapa.shared::cluster.u32 %0, %1, 0;"
                 : "=r"(remote) : "r"((unsigned)__cvta_generic_to_shared(&s_cursor)));
    int cur = rank;
#pragma unroll 1
    for (int k = 1; cur < units; ++k) {
      int next = 0;
      if (threadIdx.x == 0) {
        unsigned got;
        asm volatile("atom.shared::cluster.add.u32 %0, [%1], 1;"
                     : "=r"(got)
                     : "r"(remote)
                     : "memory");
        next = C + (int)got;
      }
      acc += unit_fold(a, b, lo + cur * unit + threadIdx.x, hi);
      if (threadIdx.x == 0)
        s_claim[k & 1] = next;
      __syncthreads();
      cur = s_claim[k & 1];
    }
    cluster_sync(); // no CTA leaves while others may still claim from rank 0
  }
  if (acc == 0x9e3779b9u)
    sink[0] = acc;
}

int main() {
  const ProbeSetup ps = setUpProbe();
  CK(cudaFuncSetAttribute(split_read, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 * 1024));
  CK(cudaFuncSetAttribute(split_read, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
  std::printf("256 threads, 100 KB smem, %.1f MB per launch\n", ps.kv.bytes() / 1e6);
  for (int grid : {2 * ps.sms, 256}) {
    for (int cl : {0, 2, 4, 8}) {
      if (cl && grid % cl)
        continue;
      for (int pdl : {0, 1}) {
        cudaLaunchConfig_t cfg{};
        cfg.gridDim = dim3(grid);
        cfg.blockDim = dim3(256);
        cfg.dynamicSmemBytes = 100 * 1024;
        cfg.stream = ps.stream;
        cudaLaunchAttribute attrs[2]{};
        int na = 0;
        if (pdl) {
          attrs[na].id = cudaLaunchAttributeProgrammaticStreamSerialization;
          attrs[na++].val.programmaticStreamSerializationAllowed = 1;
        }
        if (cl) {
          attrs[na].id = cudaLaunchAttributeClusterDimension;
          attrs[na].val.clusterDim.x = cl;
          attrs[na].val.clusterDim.y = attrs[na].val.clusterDim.z = 1;
          ++na;
        }
        cfg.attrs = attrs;
        cfg.numAttrs = na;
        int active = 0;
        if (cl) {
          cudaLaunchConfig_t q = cfg;
          q.numAttrs = na;
          if (cudaOccupancyMaxActiveClusters(&active, split_read, &q) != cudaSuccess) {
            cudaGetLastError();
            active = -1;
          }
          if (active >= 0 && active * cl < grid) {
            std::printf("grid %d cluster %d: only %d clusters fit at once; skipped\n", grid, cl,
                        active);
            continue;
          }
        }
        const LaunchTimes t = timeLaunches(ps.stream, [&](int i) {
          CK(cudaLaunchKernelEx(&cfg, split_read, (const uint4 *)ps.kv.k[i % 4],
                                (const uint4 *)ps.kv.v[i % 4], ps.kv.n, cl ? 1 : 0,
                                pdl ? 32768u : 0u, ps.sink));
        });
        std::printf("grid %d cluster %d (%s) pdl %d: %.2f us per launch (min %.2f max %.2f), "
                    "%.0f GB/s\n",
                    grid, cl, cl ? "claimed" : "fixed", pdl, t.median(), t.us.front(),
                    t.us.back(), ps.kv.bytes() / (t.median() * 1e3));
      }
    }
  }
  return 0;
}
