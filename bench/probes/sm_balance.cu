// sm_balance.cu - Is the finish spread of a split read systematic per SM?
//
// A developer probe (nvcc, standalone): decode's 1 x 16384 case reads 64 MiB
// in equal slices, yet its CTAs finish over ~5 us (bench/RESULTS.md). If the
// slow SMs are the same in every launch, slices sized per SM (from %smid)
// would finish together; if not, only dynamic balancing could help, and
// claiming was measured too slow. This program answers that:
//   1. equal slices, 2 CTAs per SM and 1 CTA per SM: per launch, each CTA's
//      SM, start, end and cycles; how stable blockIdx -> SM is, and how well
//      per-SM durations correlate between launches;
//   2. the SMs of each GPC, from where clusters land;
//   3. 1 CTA per SM with slices chosen by %smid: equal, then weighted by the
//      rates measured in the previous step (twice), timed back to back.
// Build: nvcc -std=c++17 -O2 -arch=sm_90a bench/probes/sm_balance.cu -o sm_balance
#include "probe_common.cuh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <set>
#include <vector>

struct Rec {
  unsigned smid;
  unsigned pad;
  unsigned long long t0, t1; // %globaltimer ns
  unsigned long long cycles; // clock64 end - start
};

__device__ __forceinline__ unsigned smid() {
  unsigned r;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(r));
  return r;
}
__device__ __forceinline__ unsigned long long gtimer() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
// bounds == nullptr: slice by blockIdx (equal); else slice [bounds[2 s],
// bounds[2 s + 1]) for this CTA's SM s (one CTA per SM).
__global__ void timed_read(const uint4 *__restrict__ a, const uint4 *__restrict__ b,
                           unsigned long long n, const unsigned long long *bounds, Rec *rec,
                           unsigned *sink) {
  __shared__ unsigned long long s_t0, s_c0;
  if (threadIdx.x == 0) {
    s_t0 = gtimer();
    s_c0 = clock64();
  }
  const unsigned s = smid();
  unsigned long long lo, hi;
  if (bounds) {
    lo = bounds[2 * s];
    hi = bounds[2 * s + 1];
  } else {
    lo = n * blockIdx.x / gridDim.x;
    hi = n * (blockIdx.x + 1) / gridDim.x;
  }
  const unsigned acc = read_slice(a, b, lo, hi);
  if (acc == 0x9e3779b9u)
    sink[0] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    Rec r;
    r.smid = s;
    r.pad = 0;
    r.t0 = s_t0;
    r.cycles = clock64() - s_c0;
    r.t1 = gtimer();
    rec[blockIdx.x] = r;
  }
}

__global__ void where_am_i(unsigned *out) {
  if (threadIdx.x == 0)
    out[blockIdx.x] = smid();
}

struct Find {
  std::map<unsigned, unsigned> parent;
  unsigned root(unsigned x) {
    if (!parent.count(x))
      parent[x] = x;
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  }
  void join(unsigned x, unsigned y) { parent[root(x)] = root(y); }
};

double pearson(const std::vector<double> &x, const std::vector<double> &y) {
  const double n = double(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy + 1e-30);
}


struct Launch {
  int grid, threads, smem;
};

// `launches` launches (sets rotating), recording every one; returns per
// launch the records.
std::vector<std::vector<Rec>> record(const KVSets &buf, const Launch &l, int launches,
                                     const unsigned long long *dBounds, unsigned *sink) {
  Rec *dRec;
  CK(cudaMalloc(&dRec, sizeof(Rec) * l.grid * launches));
  CK(cudaMemset(dRec, 0, sizeof(Rec) * l.grid * launches));
  for (int i = 0; i < launches; ++i) {
    const int s = i % int(buf.k.size());
    timed_read<<<l.grid, l.threads, l.smem>>>(buf.k[s], buf.v[s], buf.n, dBounds,
                                              dRec + size_t(i) * l.grid, sink);
  }
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  std::vector<Rec> all(size_t(l.grid) * launches);
  CK(cudaMemcpy(all.data(), dRec, sizeof(Rec) * all.size(), cudaMemcpyDeviceToHost));
  CK(cudaFree(dRec));
  std::vector<std::vector<Rec>> out(launches);
  for (int i = 0; i < launches; ++i)
    out[i].assign(all.begin() + size_t(i) * l.grid, all.begin() + size_t(i + 1) * l.grid);
  return out;
}

// Median time per launch of 40 back to back (probe_common.cuh).
double timeSlices(const KVSets &buf, const Launch &l, const unsigned long long *dBounds,
                  unsigned *sink, Rec *dRec) {
  return timeLaunches(cudaStream_t(0), [&](int i) {
           const int s = i % int(buf.k.size());
           timed_read<<<l.grid, l.threads, l.smem>>>(buf.k[s], buf.v[s], buf.n, dBounds, dRec,
                                                     sink);
         })
      .median();
}

// Per launch: end spread; across launches: blockIdx -> SM stability and
// the correlation of per-SM durations (cycles per byte) between launches.
// Returns the mean per-SM rate (bytes per kcycle) over all launches.
std::map<unsigned, double> analyse(const char *name, const std::vector<std::vector<Rec>> &runs,
                                   const std::vector<unsigned long long> &bytesOfCta,
                                   const std::map<unsigned, int> &gpcOf) {
  const int grid = int(runs[0].size());
  int sameSm = 0, total = 0;
  std::vector<double> spreads, ends;
  std::vector<std::map<unsigned, double>> rate(runs.size()); // per launch, per SM
  for (size_t i = 0; i < runs.size(); ++i) {
    unsigned long long origin = ~0ull, first = ~0ull, last = 0;
    for (const Rec &r : runs[i])
      origin = std::min(origin, r.t0);
    std::map<unsigned, std::pair<double, double>> acc; // bytes, cycles
    for (int c = 0; c < grid; ++c) {
      const Rec &r = runs[i][c];
      first = std::min(first, r.t1);
      last = std::max(last, r.t1);
      acc[r.smid].first += double(bytesOfCta.empty() ? 0 : bytesOfCta[c]);
      acc[r.smid].second += double(r.cycles);
      if (i > 0) {
        ++total;
        sameSm += r.smid == runs[0][c].smid;
      }
    }
    spreads.push_back((last - first) / 1e3);
    ends.push_back((last - origin) / 1e3);
    for (auto &[s, bc] : acc)
      rate[i][s] = bc.first / (bc.second / 1e3);
  }
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("%s: %zu launches, grid %d; end spread median %.2f us (min %.2f max %.2f); "
              "last end median %.2f us; blockIdx on launch 0's SM: %.1f%%\n",
              name, runs.size(), grid, med(spreads),
              *std::min_element(spreads.begin(), spreads.end()),
              *std::max_element(spreads.begin(), spreads.end()), med(ends),
              total ? 100.0 * sameSm / total : 100.0);
  // Correlation of per-SM rates between launches i and i+1 (SMs in both).
  std::vector<double> corr;
  for (size_t i = 1; i + 1 < runs.size(); ++i) { // launch 0 warms up
    std::vector<double> x, y;
    for (auto &[s, r] : rate[i])
      if (rate[i + 1].count(s)) {
        x.push_back(r);
        y.push_back(rate[i + 1].at(s));
      }
    corr.push_back(pearson(x, y));
  }
  // Split halves: mean rate per SM over odd launches vs over even ones.
  std::map<unsigned, double> odd, even, all;
  std::map<unsigned, int> nOdd, nEven;
  for (size_t i = 1; i < runs.size(); ++i)
    for (auto &[s, r] : rate[i]) {
      (i % 2 ? odd : even)[s] += r;
      (i % 2 ? nOdd : nEven)[s] += 1;
    }
  std::vector<double> x, y;
  for (auto &[s, r] : odd)
    if (even.count(s)) {
      x.push_back(r / nOdd[s]);
      y.push_back(even[s] / nEven[s]);
      all[s] = (r + even[s]) / (nOdd[s] + nEven[s]);
    }
  std::vector<double> rs;
  for (auto &[s, r] : all)
    rs.push_back(r);
  std::sort(rs.begin(), rs.end());
  std::printf("%s: per-SM rate (bytes/kcycle) corr next launch median %.3f; odd vs even "
              "launch means %.3f; SM means min %.0f p10 %.0f p50 %.0f p90 %.0f max %.0f\n",
              name, med(corr), pearson(x, y), rs.front(), rs[rs.size() / 10], rs[rs.size() / 2],
              rs[rs.size() * 9 / 10], rs.back());
  if (!gpcOf.empty()) {
    std::map<int, std::pair<double, int>> g;
    for (auto &[s, r] : all) {
      auto it = gpcOf.find(s);
      const int gpc = it == gpcOf.end() ? -1 : it->second;
      g[gpc].first += r;
      g[gpc].second += 1;
    }
    std::printf("%s: per-GPC mean rate:", name);
    for (auto &[gpc, v] : g)
      std::printf(" [gpc %d: %d SMs, %.0f]", gpc, v.second, v.first / v.second);
    std::printf("\n");
  }
  return all;
}

int main() {
  int dev = 0, sms = 0;
  CK(cudaSetDevice(dev));
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, dev));
  std::printf("device %s, %d SMs\n", prop.name, sms);

  // 1 x 16384 decode's bytes.
  const KVSets buf = decode16384Sets(4);
  unsigned *sink;
  CK(cudaMalloc(&sink, 64));
  CK(cudaFuncSetAttribute(timed_read, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024));

  // 2. GPCs: clusters of 16 (else 8) CTAs, one per SM, land within a GPC.
  std::map<unsigned, int> gpcOf;
  {
    CK(cudaFuncSetAttribute(where_am_i, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024));
    Find f;
    int clusterUsed = 0;
    for (int cl : {16, 8, 4, 2}) {
      if (cl > 8 &&
          cudaFuncSetAttribute(where_am_i, cudaFuncAttributeNonPortableClusterSizeAllowed, 1) !=
              cudaSuccess) {
        cudaGetLastError();
        continue;
      }
      const int grid = (sms / cl) * cl;
      unsigned *d;
      CK(cudaMalloc(&d, grid * 4));
      bool ok = true;
      for (int rep = 0; rep < 40 && ok; ++rep) {
        cudaLaunchConfig_t cfg{};
        cfg.gridDim = dim3(grid);
        cfg.blockDim = dim3(64);
        cfg.dynamicSmemBytes = 200 * 1024;
        cudaLaunchAttribute attr{};
        attr.id = cudaLaunchAttributeClusterDimension;
        attr.val.clusterDim.x = cl;
        attr.val.clusterDim.y = attr.val.clusterDim.z = 1;
        cfg.attrs = &attr;
        cfg.numAttrs = 1;
        if (cudaLaunchKernelEx(&cfg, where_am_i, d) != cudaSuccess ||
            cudaDeviceSynchronize() != cudaSuccess) {
          cudaGetLastError();
          ok = false;
          break;
        }
        std::vector<unsigned> h(grid);
        CK(cudaMemcpy(h.data(), d, grid * 4, cudaMemcpyDeviceToHost));
        for (int c = 0; c < grid; ++c) {
          f.root(h[c]);
          if (c % cl)
            f.join(h[c], h[c - c % cl]);
        }
      }
      CK(cudaFree(d));
      if (ok) {
        clusterUsed = cl;
        std::printf("GPC probe: clusters of %d launched\n", cl);
      }
    }
    std::map<unsigned, std::vector<unsigned>> groups;
    for (auto &[s, p] : f.parent)
      groups[f.root(s)].push_back(s);
    int id = 0;
    std::printf("GPC probe (%d SMs seen, max cluster %d): %zu groups\n", int(f.parent.size()),
                clusterUsed, groups.size());
    for (auto &[root, members] : groups) {
      std::printf("  group %d (%zu SMs):", id, members.size());
      for (unsigned s : members) {
        std::printf(" %u", s);
        gpcOf[s] = id;
      }
      std::printf("\n");
      ++id;
    }
  }

  // 1. Equal slices.
  const int launches = 41;
  std::map<unsigned, double> rate1;
  for (Launch l : {Launch{2 * sms, 256, 100 * 1024}, Launch{sms, 512, 200 * 1024}}) {
    auto runs = record(buf, l, launches, nullptr, sink);
    std::vector<unsigned long long> bytes(l.grid);
    for (int c = 0; c < l.grid; ++c)
      bytes[c] = (buf.n * (c + 1) / l.grid - buf.n * c / l.grid) * 32;
    char name[64];
    std::snprintf(name, sizeof name, "equal %d CTA/SM", l.grid / sms);
    auto r = analyse(name, runs, bytes, gpcOf);
    if (l.grid == sms)
      rate1 = r;
  }

  // 3. One CTA per SM, slices by %smid: equal, then weighted by rate.
  int maxSmid = 0;
  for (auto &[s, r] : rate1)
    maxSmid = std::max(maxSmid, int(s));
  unsigned long long *dBounds;
  CK(cudaMalloc(&dBounds, sizeof(unsigned long long) * 2 * (maxSmid + 1)));
  Rec *dScratch;
  CK(cudaMalloc(&dScratch, sizeof(Rec) * sms));
  const Launch one{sms, 512, 200 * 1024};
  auto boundsFor = [&](const std::map<unsigned, double> &w) {
    double total = 0;
    for (auto &[s, x] : w)
      total += x;
    std::vector<unsigned long long> b(2 * (maxSmid + 1), 0);
    double cum = 0;
    const unsigned long long unit = 512 * H; // whole units per SM
    const unsigned long long units = (buf.n + unit - 1) / unit;
    for (auto &[s, x] : w) {
      b[2 * s] = std::min(buf.n, (unsigned long long)std::llround(cum / total * units) * unit);
      cum += x;
      b[2 * s + 1] = std::min(buf.n, (unsigned long long)std::llround(cum / total * units) * unit);
    }
    return b;
  };
  std::map<unsigned, double> equalW;
  for (auto &[s, r] : rate1)
    equalW[s] = 1.0;
  if (int(equalW.size()) != sms) {
    std::printf("saw %zu SMs, not %d: skipping the per-SM slices\n", equalW.size(), sms);
    return 0;
  }
  const double tPlain = timeSlices(buf, Launch{2 * sms, 256, 100 * 1024}, nullptr, sink, dScratch);
  const double tPlain1 = timeSlices(buf, one, nullptr, sink, dScratch);
  std::printf("TIME equal by blockIdx: 2 CTA/SM %.2f us, 1 CTA/SM %.2f us\n", tPlain, tPlain1);
  std::map<unsigned, double> w = equalW;
  for (int round = 0; round < 4; ++round) {
    auto b = boundsFor(w);
    CK(cudaMemcpy(dBounds, b.data(), sizeof(unsigned long long) * b.size(),
                  cudaMemcpyHostToDevice));
    const double t = timeSlices(buf, one, dBounds, sink, dScratch);
    auto runs = record(buf, one, launches, dBounds, sink);
    std::vector<unsigned long long> bytes(one.grid);
    for (int c = 0; c < one.grid; ++c) {
      const unsigned s = runs[launches - 1][c].smid;
      bytes[c] = (b[2 * s + 1] - b[2 * s]) * 32;
    }
    // Each launch's records come from the same bounds; bytes per CTA follow
    // its SM, which may differ per launch: recompute per launch.
    std::vector<std::vector<Rec>> fixed = runs;
    char name[64];
    std::snprintf(name, sizeof name, "by smid round %d", round);
    // analyse() takes bytes per blockIdx of launch 0; remap every launch so
    // that index c holds the SM of launch 0's CTA c.
    std::vector<unsigned long long> bytes0(one.grid);
    for (int c = 0; c < one.grid; ++c) {
      const unsigned s = runs[0][c].smid;
      bytes0[c] = (b[2 * s + 1] - b[2 * s]) * 32;
    }
    for (auto &launch : fixed) {
      std::map<unsigned, Rec> bySm;
      for (const Rec &r : launch)
        bySm[r.smid] = r;
      for (int c = 0; c < one.grid; ++c)
        launch[c] = bySm[runs[0][c].smid];
    }
    auto r = analyse(name, fixed, bytes0, gpcOf);
    std::printf("TIME by smid round %d: %.2f us per launch\n", round, t);
    // Next weights: the measured rate per SM (bytes per cycle).
    w = r;
  }
  return 0;
}
