// kernel_test.cu - standalone correctness and timing test of the attn_kernels
// templates (prefill, decode, split-KV with the fused merge, merge_states)
// against a float64 CPU reference written here, independent of the kernels.
// ABI v3: work items are assigned to CTAs (CTA c's first item at work[c], the
// rest through cta_work_indptr; built here from the v1 grid-stride order) and
// carry their request's q_indptr / q_len / kv_len / kv_indptr; split (tile,
// kv head) pairs are merge groups merged inside the attention launch,
// merge_counters stay zero between launches.
//
//   nvcc -std=c++17 -O2 -gencode arch=compute_90a,code=sm_90a -I../include \
//        kernel_test.cu -o kernel_test && ./kernel_test [--quick] [--no-timing]
//
// Prints one line per case and a final "SUMMARY: passed N / M" line.
#include "test_variants.h"

#if ATTN_ABI_VERSION != 3
#error "kernel_test.cu is written against ATTN_ABI_VERSION 3 (first item at work[c], request facts in the item)"
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#define CK(x)                                                                                    \
  do {                                                                                           \
    cudaError_t e_ = (x);                                                                        \
    if (e_ != cudaSuccess) {                                                                     \
      std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorString(e_), __FILE__,     \
                   __LINE__, #x);                                                                \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)

using namespace attn_kernels;

// ----------------------------------------------------------------------------
// Kernels instantiated from the templates, as the generated wrappers would.
template <class V, class C>
__global__ void __launch_bounds__(C::kThreads) k_prefill(const AttnArgs a, const tv::Params p) {
  prefill<V, C>(a, p);
}
template <class V, class C>
__global__ void __launch_bounds__(C::kThreads) k_decode(const AttnArgs a, const tv::Params p) {
  decode<V, C>(a, p);
}
template <class V> __global__ void __launch_bounds__(128) k_merge_states(const AttnMergeStatesArgs a) {
  merge_states<V>(a);
}

// ----------------------------------------------------------------------------
// Host helpers.
template <class T> float to_f(T x);
template <> float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }
template <> float to_f(__half x) { return __half2float(x); }
template <class T> T from_f(float x);
template <> __nv_bfloat16 from_f(float x) { return __float2bfloat16(x); }
template <> __half from_f(float x) { return __float2half(x); }

template <class T> struct DevBuf {
  T *p = nullptr;
  size_t n = 0;
  void alloc(size_t count) {
    if (p) CK(cudaFree(p));
    p = nullptr;
    n = count;
    CK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T)));
  }
  void up(const std::vector<T> &h) {
    alloc(h.size());
    if (!h.empty()) CK(cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> down() const {
    std::vector<T> h(n);
    if (n) CK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  void poison() { CK(cudaMemset(p, 0xff, std::max<size_t>(n, 1) * sizeof(T))); }
  void zero() { CK(cudaMemset(p, 0, std::max<size_t>(n, 1) * sizeof(T))); }
  ~DevBuf() { if (p) cudaFree(p); }
};

static std::mt19937_64 rng(12345);

// A batch: per request q_len and kv_len (kv_len >= q_len >= 1).
struct Batch {
  std::vector<int> q_len, kv_len;
};

// Logical inputs in float (already rounded to the dtype), layout-free:
// q[(qrow*HQ + h)*DQK + d], k[(tok*HKV + kvh)*DQK + d], v likewise with DVO.
struct HostData {
  std::vector<int> q_indptr, kv_tok;
  std::vector<float> q, k, v;
  std::vector<int> doc; // per token (tokens domain)
  std::vector<float> slopes;
  int total_q = 0, total_kv = 0;
};

struct RefOut {
  std::vector<double> o;   // [total_q][HQ][DVO]
  std::vector<double> lse; // [total_q][HQ]
};

// ----------------------------------------------------------------------------
// float64 reference (docs/language.md section 1 semantics).
template <class V>
RefOut reference(const Batch &bt, const HostData &hd, const tv::Params &prm_host, int window,
                 int shift, float cap, float bias) {
  constexpr int DQK = V::kHeadDimQK, DVO = V::kHeadDimVO, HQ = V::kNumQHeads,
                HKV = V::kNumKVHeads, G = V::kGroupSize;
  (void)prm_host;
  RefOut r;
  r.o.assign((size_t)hd.total_q * HQ * DVO, 0.0);
  r.lse.assign((size_t)hd.total_q * HQ, -INFINITY);
  const double scale = 1.0 / std::sqrt((double)DQK);
  auto rope = [](std::vector<double> &x, int pos, double theta, int R, bool inter) {
    std::vector<double> y = x;
    for (int i = 0; i < R / 2; ++i) {
      const int a = inter ? 2 * i : i, b = inter ? 2 * i + 1 : i + R / 2;
      const double ang = pos * std::pow(theta, -2.0 * i / R);
      y[a] = x[a] * std::cos(ang) - x[b] * std::sin(ang);
      y[b] = x[a] * std::sin(ang) + x[b] * std::cos(ang);
    }
    x = y;
  };
  auto work = [&](int b, int h) {
    const int kvh = h / G, ql = bt.q_len[b], kl = bt.kv_len[b];
    const int tok0 = hd.kv_tok[b];
    std::vector<std::vector<double>> kk(kl);
    for (int j = 0; j < kl; ++j) {
      kk[j].resize(DQK);
      for (int d = 0; d < DQK; ++d) {
        double x = hd.k[((size_t)(tok0 + j) * HKV + kvh) * DQK + d];
        if (V::kKind == tv::ROPE) x *= 0.5;
        kk[j][d] = x;
      }
      if (V::kKind == tv::ROPE) rope(kk[j], j, 500000.0, 64, true);
    }
    std::vector<double> s(kl), w(kl);
    std::vector<char> keep(kl);
    for (int i = 0; i < ql; ++i) {
      const int qrow = hd.q_indptr[b] + i, qi = kl - ql + i;
      std::vector<double> q(DQK);
      for (int d = 0; d < DQK; ++d) q[d] = hd.q[((size_t)qrow * HQ + h) * DQK + d];
      if (V::kKind == tv::ROPE) rope(q, qi, 10000.0, DQK, false);
      double mx = -INFINITY;
      bool any = false;
      for (int j = 0; j < kl; ++j) {
        bool kp = true;
        switch (V::kKind) {
        case tv::CAUSAL: case tv::SIGMOID: case tv::ROPE: kp = j <= qi; break;
        case tv::SOFTCAP_WIN: kp = j + shift <= qi && qi - j < window; break;
        case tv::DOC: kp = j <= qi && hd.doc[tok0 + j] == hd.doc[tok0 + qi]; break;
        case tv::ALIBI: kp = j <= qi && qi - j < 16 + 24 * (h % 3); break;
        case tv::FULL: kp = true; break;
        }
        keep[j] = kp;
        if (!kp) continue;
        double dot = 0;
        for (int d = 0; d < DQK; ++d) dot += q[d] * kk[j][d];
        double score = dot * scale, logit = score;
        if (V::kKind == tv::SOFTCAP_WIN) logit = cap * std::tanh(score / cap);
        if (V::kKind == tv::ALIBI) logit = score + (double)hd.slopes[h] * (j - qi);
        if (V::kKind == tv::SIGMOID) logit = 1.0 / (1.0 + std::exp(-(score + bias)));
        s[j] = logit;
        any = true;
        mx = std::max(mx, logit);
      }
      double sum = 0;
      for (int j = 0; j < kl; ++j) {
        if (!keep[j]) { w[j] = 0; continue; }
        w[j] = V::kSoftmax ? std::exp(s[j] - mx) : s[j];
        sum += w[j];
      }
      double *o = &r.o[((size_t)qrow * HQ + h) * DVO];
      if (!any || (V::kSoftmax && !(sum > 0))) continue; // o = 0, lse = -inf
      for (int j = 0; j < kl; ++j) {
        if (w[j] == 0) continue;
        const float *vv = &hd.v[((size_t)(tok0 + j) * HKV + kvh) * DVO];
        for (int d = 0; d < DVO; ++d) o[d] += w[j] * vv[d];
      }
      if (V::kSoftmax) {
        for (int d = 0; d < DVO; ++d) o[d] /= sum;
        r.lse[(size_t)qrow * HQ + h] = mx + std::log(sum);
      } else {
        r.lse[(size_t)qrow * HQ + h] = sum > 0 ? std::log(sum) : -INFINITY;
      }
      if (V::kKind == tv::ROPE)
        for (int d = 0; d < DVO; ++d) o[d] = o[d] * (1.0 + 0.01 * d) + 0.001 * h;
    }
  };
  const int nb = (int)bt.q_len.size();
  std::vector<std::thread> th;
  const int nthreads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::pair<int, int>> jobs;
  for (int b = 0; b < nb; ++b)
    for (int h = 0; h < HQ; ++h) jobs.push_back({b, h});
  std::atomic<size_t> next{0};
  for (int t = 0; t < nthreads; ++t)
    th.emplace_back([&] {
      for (size_t i; (i = next++) < jobs.size();) work(jobs[i].first, jobs[i].second);
    });
  for (auto &t : th) t.join();
  return r;
}

// ----------------------------------------------------------------------------
// Work list (what the runtime's planner would build).
// Every split (query tile, kv head) is one merge group g: its chunk items carry
// merge_group = g, its merge items are merges[group_indptr[g] .. group_indptr[g + 1]).
struct WorkList {
  std::vector<AttnWorkItem> items;
  std::vector<AttnMergeItem> merges;
  std::vector<int> group_indptr{0};
  int slots = 0;
  int groups() const { return (int)group_indptr.size() - 1; }
};

// rows_per_item query rows per item; kv split into chunks of `chunk` keys (0: none).
// block_q > 0: items never cross a block_q query block (block-sparse).
static WorkList build_work(const Batch &bt, const std::vector<int> &q_indptr, int hkv, int group,
                           int rows_per_item, int chunk, int block_q) {
  WorkList wl;
  for (int b = 0; b < (int)bt.q_len.size(); ++b)
    for (int kvh = 0; kvh < hkv; ++kvh)
      for (int q0 = 0; q0 < bt.q_len[b];) {
        int q1 = std::min(q0 + rows_per_item, bt.q_len[b]);
        if (block_q > 0) q1 = std::min(q1, (q0 / block_q + 1) * block_q);
        const int rows = q1 - q0, kl = bt.kv_len[b];
        const int n = chunk > 0 ? std::max(1, (kl + chunk - 1) / chunk) : 1;
        if (n == 1) {
          wl.items.push_back({b, kvh, q0, q1, 0, kl, -1, -1, 0, 0, 0, 0});
        } else {
          const int base = wl.slots, mg = wl.groups();
          wl.slots += n * rows * group;
          for (int c = 0; c < n; ++c)
            wl.items.push_back({b, kvh, q0, q1, c * chunk, std::min(kl, (c + 1) * chunk),
                                base + c * rows * group, mg, 0, 0, 0, 0});
          for (int r = 0; r < rows; ++r)
            for (int g = 0; g < group; ++g)
              wl.merges.push_back({q_indptr[b] + q0 + r, kvh * group + g, b,
                                   base + r * group + g, rows * group, n, {0, 0}});
          wl.group_indptr.push_back((int)wl.merges.size());
        }
        q0 = q1;
      }
  return wl;
}

// CTA assignment (ABI v3: CTA c runs work[c], then work[indptr[c] ..
// indptr[c + 1]); an idle CTA's work[c] has request -1). Round-robin
// reproduces the v1 grid-stride order (CTA c ran items c, c + grid, c + 2
// grid, ...); blocked gives CTA c one contiguous run of the list, so one CTA
// runs several chunks of a merge group back to back.
static void assign_ctas(const std::vector<AttnWorkItem> &items, int grid, bool blocked,
                        std::vector<AttnWorkItem> &out, std::vector<int> &indptr) {
  const int n = (int)items.size();
  AttnWorkItem none{};
  none.request = -1;
  out.assign(grid, none);
  indptr.assign(1, grid);
  for (int c = 0; c < grid; ++c) {
    std::vector<AttnWorkItem> mine;
    if (blocked) {
      const int b0 = (int)((int64_t)n * c / grid), b1 = (int)((int64_t)n * (c + 1) / grid);
      mine.assign(items.begin() + b0, items.begin() + b1);
    } else {
      for (int i = c; i < n; i += grid) mine.push_back(items[i]);
    }
    if (!mine.empty()) out[c] = mine[0];
    for (size_t i = 1; i < mine.size(); ++i) out.push_back(mine[i]);
    indptr.push_back((int)out.size());
  }
}

// ----------------------------------------------------------------------------
// Device-side problem for one variant: inputs placed in the variant's layout.
template <class V> struct Problem {
  using DT = typename V::DType;
  static constexpr int DQK = V::kHeadDimQK, DVO = V::kHeadDimVO, HQ = V::kNumQHeads,
                       HKV = V::kNumKVHeads, G = V::kGroupSize;
  Batch bt;
  HostData hd;
  DevBuf<DT> q, k, v, o;
  DevBuf<float> lse, partial_o, partial_lse, slopes;
  DevBuf<int> q_indptr, kv_indptr, kv_pages, kv_lens, tok_off, doc, bsr_row_off, bsr_indptr,
      bsr_idx;
  DevBuf<AttnWorkItem> work;
  DevBuf<AttnMergeItem> merges;
  DevBuf<int> cta_indptr, group_indptr, counters;
  std::vector<AttnWorkItem> work_h; // the list in build order; set_grid lays it out per CTA
  int num_work = 0, num_groups = 0, grid = 0;
  long counters_bad = 0; // merge counters left non-zero by the last launch
  AttnArgs args{};
  tv::Params prm{};
  int64_t o_stride_row = 0;
  int row_pad = 8; // extra elements per KV token row (0 in timing: the real, aligned layout)
  std::vector<int> bsr_row_off_h, bsr_indptr_h, bsr_idx_h;
  std::vector<int> kv_indptr_h; // token offsets, or page offsets when paged

  void setup(const Batch &b, bool fill_random = true) {
    bt = b;
    const int nb = (int)b.q_len.size();
    hd.q_indptr.assign(nb + 1, 0);
    hd.kv_tok.assign(nb + 1, 0);
    for (int i = 0; i < nb; ++i) {
      hd.q_indptr[i + 1] = hd.q_indptr[i] + b.q_len[i];
      hd.kv_tok[i + 1] = hd.kv_tok[i] + b.kv_len[i];
    }
    hd.total_q = hd.q_indptr[nb];
    hd.total_kv = hd.kv_tok[nb];
    // Uniform in [-2, 2) from a per-call random seed hashed with the index
    // (splitmix64): fresh non-zero data each setup, fast enough for the
    // 1 GB timing problems.
    auto rnd = [&](std::vector<float> &x, std::vector<DT> &xd, size_t n) {
      x.resize(n);
      xd.resize(n);
      const uint64_t seed = rng();
      for (size_t i = 0; i < n; ++i) {
        uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const float u = (float)(z >> 40) * (1.f / 16777216.f) * 4.f - 2.f;
        xd[i] = from_f<DT>(fill_random ? u : 0.5f);
        x[i] = to_f(xd[i]);
      }
    };
    std::vector<DT> qd, kd, vd;
    rnd(hd.q, qd, (size_t)hd.total_q * HQ * DQK);
    rnd(hd.k, kd, (size_t)hd.total_kv * HKV * DQK);
    rnd(hd.v, vd, (size_t)hd.total_kv * HKV * DVO);
    q.up(qd);
    // K/V placement. Both use the same strides (AttnArgs has one set), so
    // rows are sized for max(DQK, DVO); rows are padded by 8 elements to make
    // the strides non-trivial.
    const int64_t row = (int64_t)HKV * std::max(DQK, DVO) + row_pad;
    std::vector<int> kvi(nb + 1, 0), pages;
    std::vector<DT> kp, vp;
    int64_t stride_page = 0;
    auto place = [&](int64_t dst_row, size_t tok) {
      for (int h = 0; h < HKV; ++h) {
        for (int d = 0; d < DQK; ++d) kp[dst_row * row + h * std::max(DQK, DVO) + d] = kd[(tok * HKV + h) * DQK + d];
        for (int d = 0; d < DVO; ++d) vp[dst_row * row + h * std::max(DQK, DVO) + d] = vd[(tok * HKV + h) * DVO + d];
      }
    };
    if constexpr (V::kLayout == ATTN_KV_PAGED) {
      const int ps = V::kPageSize;
      int npages = 0;
      for (int i = 0; i < nb; ++i) {
        kvi[i + 1] = kvi[i] + (b.kv_len[i] + ps - 1) / ps;
      }
      npages = kvi[nb] + 3; // a few unused pages
      std::vector<int> perm(npages);
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      pages.assign(perm.begin(), perm.begin() + kvi[nb]);
      stride_page = (int64_t)ps * row;
      kp.assign((size_t)npages * stride_page, from_f<DT>(NAN));
      vp.assign((size_t)npages * stride_page, from_f<DT>(NAN));
      for (int i = 0; i < nb; ++i)
        for (int j = 0; j < b.kv_len[i]; ++j)
          place((int64_t)pages[kvi[i] + j / ps] * ps + j % ps, hd.kv_tok[i] + j);
    } else {
      kvi = hd.kv_tok;
      kp.assign((size_t)(hd.total_kv + 1) * row, from_f<DT>(NAN));
      vp.assign((size_t)(hd.total_kv + 1) * row, from_f<DT>(NAN));
      for (int t = 0; t < hd.total_kv; ++t) place(t, t);
    }
    k.up(kp);
    v.up(vp);
    q_indptr.up(hd.q_indptr);
    kv_indptr.up(kvi);
    kv_indptr_h = kvi;
    kv_pages.up(pages);
    kv_lens.up(b.kv_len);
    tok_off.up(hd.kv_tok);
    // Params: documents of random lengths; per-head slopes.
    hd.doc.resize(hd.total_kv);
    for (int i = 0; i < nb; ++i) {
      int d = 0, left = 0;
      for (int j = 0; j < b.kv_len[i]; ++j) {
        if (left == 0) { ++d; left = 1 + (int)(rng() % 97); }
        hd.doc[hd.kv_tok[i] + j] = d;
        --left;
      }
    }
    doc.up(hd.doc);
    hd.slopes.resize(HQ);
    for (int h = 0; h < HQ; ++h) hd.slopes[h] = std::pow(2.f, -8.f * (h + 1) / HQ);
    slopes.up(hd.slopes);
    // Block-sparse lists: each query block keeps a random subset of key blocks
    // (the diagonal one always), listed in random order.
    if constexpr (V::kLayout == ATTN_KV_BLOCK_SPARSE) {
      bsr_row_off_h.assign(nb, 0);
      bsr_indptr_h.assign(1, 0);
      bsr_idx_h.clear();
      int rowc = 0;
      for (int i = 0; i < nb; ++i) {
        bsr_row_off_h[i] = rowc;
        const int nqb = (b.q_len[i] + V::kBlockQ - 1) / V::kBlockQ;
        const int nkb = (b.kv_len[i] + V::kBlockKV - 1) / V::kBlockKV;
        for (int r = 0; r < nqb; ++r, ++rowc) {
          std::vector<int> ks;
          for (int c = 0; c < nkb; ++c)
            if (rng() % 3 != 0 || c == nkb - 1) ks.push_back(c);
          std::shuffle(ks.begin(), ks.end(), rng);
          bsr_idx_h.insert(bsr_idx_h.end(), ks.begin(), ks.end());
          bsr_indptr_h.push_back((int)bsr_idx_h.size());
        }
      }
      bsr_row_off.up(bsr_row_off_h);
      bsr_indptr.up(bsr_indptr_h);
      bsr_idx.up(bsr_idx_h);
    }
    o_stride_row = (int64_t)HQ * DVO + 16;
    o.alloc((size_t)hd.total_q * o_stride_row);
    lse.alloc((size_t)hd.total_q * HQ);

    args = AttnArgs{};
    args.q = q.p;
    args.q_stride_row = (int64_t)HQ * DQK;
    args.q_stride_head = DQK;
    args.o = o.p;
    args.o_stride_row = o_stride_row;
    args.o_stride_head = DVO;
    args.lse = lse.p;
    args.q_indptr = q_indptr.p;
    args.k = k.p;
    args.v = v.p;
    args.kv_stride_page = stride_page;
    args.kv_stride_row = row;
    args.kv_stride_head = std::max(DQK, DVO);
    // V has strides of its own (abi.h); this harness lays K and V pools out alike.
    args.v_stride_page = stride_page;
    args.v_stride_row = row;
    args.v_stride_head = std::max(DQK, DVO);
    args.kv_indptr = kv_indptr.p;
    args.kv_page_indices = kv_pages.p;
    args.kv_lens = kv_lens.p;
    args.bsr_row_offsets = bsr_row_off.p;
    args.bsr_indptr = bsr_indptr.p;
    args.bsr_indices = bsr_idx.p;
    args.batch_size = nb;
  }

  void set_params(int window, int shift, float cap, float bias) {
    prm.token_offsets = tok_off.p;
    prm.window = window;
    prm.shift = shift;
    prm.cap = cap;
    prm.bias = bias;
    prm.slopes = slopes.p;
    prm.doc = doc.p;
  }

  // The work list and its merge groups; set_grid then assigns items to CTAs.
  void set_work(const WorkList &wl) {
    work_h = wl.items;
    for (AttnWorkItem &it : work_h) { // the request's facts, as the planner copies them
      it.q_row0 = hd.q_indptr[it.request];
      it.q_len = bt.q_len[it.request];
      it.kv_len = bt.kv_len[it.request];
      it.kv_base = kv_indptr_h[it.request];
    }
    num_work = (int)wl.items.size();
    num_groups = wl.groups();
    merges.up(wl.merges);
    group_indptr.up(wl.group_indptr);
    partial_o.alloc((size_t)std::max(wl.slots, 1) * DVO);
    partial_lse.alloc((size_t)std::max(wl.slots, 1));
    partial_o.poison();
    partial_lse.poison();
    // The counters are zeroed once, when allocated: the kernels leave them zero
    // (launch checks), so a larger list only grows them.
    if (counters.p == nullptr || counters.n < (size_t)num_groups) {
      counters.alloc((size_t)std::max(num_groups, 1));
      counters.zero();
    }
    args.partial_o = partial_o.p;
    args.partial_lse = partial_lse.p;
    args.merge = merges.p;
    args.merge_group_indptr = group_indptr.p;
    args.merge_counters = counters.p;
    args.work = nullptr;
    args.cta_work_indptr = nullptr;
    grid = 0;
  }

  // Lays the current list out over `g` CTAs (the launch's grid must be g).
  void set_grid(int g, bool blocked) {
    std::vector<AttnWorkItem> laid;
    std::vector<int> indptr;
    assign_ctas(work_h, g, blocked, laid, indptr);
    work.up(laid);
    cta_indptr.up(indptr);
    args.work = work.p;
    args.cta_work_indptr = cta_indptr.p;
    grid = g;
  }

  // Non-zero merge counters after a launch (they must be back to 0); re-zeroes
  // them so one failure does not spill into the next case.
  long check_counters() {
    if (num_groups == 0) return 0;
    std::vector<int> h(num_groups);
    CK(cudaMemcpy(h.data(), counters.p, num_groups * sizeof(int), cudaMemcpyDeviceToHost));
    const long bad = (long)std::count_if(h.begin(), h.end(), [](int c) { return c != 0; });
    if (bad) counters.zero();
    return bad;
  }
};

// Reference for block-sparse: FULL/CAUSAL semantics restricted to listed blocks.
template <class V> RefOut reference_bsr(Problem<V> &pb) {
  constexpr int DQK = V::kHeadDimQK, DVO = V::kHeadDimVO, HQ = V::kNumQHeads,
                HKV = V::kNumKVHeads, G = V::kGroupSize;
  RefOut r;
  const HostData &hd = pb.hd;
  r.o.assign((size_t)hd.total_q * HQ * DVO, 0.0);
  r.lse.assign((size_t)hd.total_q * HQ, -INFINITY);
  const double scale = 1.0 / std::sqrt((double)DQK);
  for (int b = 0; b < (int)pb.bt.q_len.size(); ++b) {
    const int ql = pb.bt.q_len[b], kl = pb.bt.kv_len[b], tok0 = hd.kv_tok[b];
    for (int i = 0; i < ql; ++i) {
      const int brow = pb.bsr_row_off_h[b] + i / V::kBlockQ, qi = kl - ql + i;
      std::vector<char> listed(kl, 0);
      for (int e = pb.bsr_indptr_h[brow]; e < pb.bsr_indptr_h[brow + 1]; ++e)
        for (int j = pb.bsr_idx_h[e] * V::kBlockKV; j < std::min(kl, (pb.bsr_idx_h[e] + 1) * V::kBlockKV); ++j)
          listed[j] = 1;
      for (int h = 0; h < HQ; ++h) {
        const int kvh = h / G, qrow = hd.q_indptr[b] + i;
        std::vector<double> s(kl, -INFINITY);
        double mx = -INFINITY;
        for (int j = 0; j < kl; ++j) {
          if (!listed[j] || (V::kKind == tv::CAUSAL && j > qi)) continue;
          double dot = 0;
          for (int d = 0; d < DQK; ++d)
            dot += (double)hd.q[((size_t)qrow * HQ + h) * DQK + d] * hd.k[((size_t)(tok0 + j) * HKV + kvh) * DQK + d];
          s[j] = dot * scale;
          mx = std::max(mx, s[j]);
        }
        if (mx == -INFINITY) continue;
        double sum = 0;
        double *o = &r.o[((size_t)qrow * HQ + h) * DVO];
        for (int j = 0; j < kl; ++j) {
          if (s[j] == -INFINITY) continue;
          const double w = std::exp(s[j] - mx);
          sum += w;
          for (int d = 0; d < DVO; ++d) o[d] += w * hd.v[((size_t)(tok0 + j) * HKV + kvh) * DVO + d];
        }
        for (int d = 0; d < DVO; ++d) o[d] /= sum;
        r.lse[(size_t)qrow * HQ + h] = mx + std::log(sum);
      }
    }
  }
  return r;
}

// ----------------------------------------------------------------------------
struct Stats {
  int pass = 0, fail = 0;
  double worst_rel = 0, worst_lse = 0;
} g_stats;

template <class V>
bool compare(const char *name, Problem<V> &pb, const RefOut &ref) {
  using DT = typename V::DType;
  constexpr int DVO = V::kHeadDimVO, HQ = V::kNumQHeads;
  std::vector<DT> o = pb.o.down();
  std::vector<float> lse = pb.lse.down();
  double num = 0, den = 0, lse_err = 0;
  long nan = 0, lse_bad = 0;
  for (int r = 0; r < pb.hd.total_q; ++r)
    for (int h = 0; h < HQ; ++h) {
      for (int d = 0; d < DVO; ++d) {
        const float x = to_f(o[(size_t)r * pb.o_stride_row + h * DVO + d]);
        const double y = ref.o[((size_t)r * HQ + h) * DVO + d];
        if (!std::isfinite(x)) { ++nan; continue; }
        num += (x - y) * (x - y);
        den += y * y;
      }
      const double yl = ref.lse[(size_t)r * HQ + h];
      const float xl = lse[(size_t)r * HQ + h];
      if (std::isinf(yl)) {
        if (!(std::isinf(xl) && xl < 0)) ++lse_bad;
      } else if (!std::isfinite(xl)) {
        ++lse_bad;
      } else {
        lse_err = std::max(lse_err, std::fabs(xl - yl));
      }
    }
  const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  const bool ok = nan == 0 && lse_bad == 0 && rel <= 1e-2 && lse_err <= 2e-2 && pb.counters_bad == 0;
  std::printf("%-4s %-58s rel=%.2e lse_abs=%.2e nan=%ld lse_bad=%ld", ok ? "ok" : "FAIL", name,
              rel, lse_err, nan, lse_bad);
  if (pb.counters_bad) std::printf(" merge_counters_nonzero=%ld", pb.counters_bad);
  std::printf("\n");
  (ok ? g_stats.pass : g_stats.fail)++;
  g_stats.worst_rel = std::max(g_stats.worst_rel, rel);
  g_stats.worst_lse = std::max(g_stats.worst_lse, lse_err);
  return ok;
}

static int g_sms = 0;

template <class K> int grid_for(K kernel, int threads, int smem, int work) {
  CK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  int occ = 0;
  CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, kernel, threads, smem));
  return std::max(1, std::min(work, std::max(occ, 1) * g_sms));
}

// Runs one kernel kind over the problem's current work list (split-KV merges
// are fused: one launch). The grid is the v1 one (min(items, occupancy x SMs)),
// capped at max_grid when > 0; items are laid out round-robin or blocked.
template <class V, class C, bool kDecode>
void launch(Problem<V> &pb, int max_grid = 0, bool blocked = false) {
  void (*kern)(const AttnArgs, const tv::Params);
  int smem;
  if constexpr (kDecode) {
    kern = k_decode<V, C>;
    smem = decode_smem_bytes<V, C>();
  } else {
    kern = k_prefill<V, C>;
    smem = prefill_smem_bytes<V, C>();
  }
  pb.o.poison();
  pb.lse.poison();
  pb.partial_o.poison(); // a merge must only read slots this launch wrote
  pb.partial_lse.poison();
  if (pb.num_work > 0) {
    int grid = grid_for(kern, C::kThreads, smem, pb.num_work);
    if (max_grid > 0) grid = std::min(grid, max_grid);
    pb.set_grid(grid, blocked);
    kern<<<grid, C::kThreads, smem>>>(pb.args, pb.prm);
    CK(cudaGetLastError());
  }
  CK(cudaDeviceSynchronize());
  pb.counters_bad = pb.check_counters();
}

// Full test of one variant instantiation: batches x {prefill, decode} x {whole, split}.
template <class V, class PC, class DC>
void test_variant(const char *vname, const std::vector<Batch> &batches, int window = 37,
                  int shift = 2, float cap = 5.f, float bias = -1.f) {
  constexpr int G = V::kGroupSize;
  for (size_t bi = 0; bi < batches.size(); ++bi) {
    Problem<V> pb;
    pb.setup(batches[bi]);
    pb.set_params(window, shift, cap, bias);
    RefOut ref;
    if constexpr (V::kLayout == ATTN_KV_BLOCK_SPARSE)
      ref = reference_bsr<V>(pb);
    else
      ref = reference<V>(pb.bt, pb.hd, pb.prm, window, shift, cap, bias);
    const int bq = V::kLayout == ATTN_KV_BLOCK_SPARSE ? V::kBlockQ : 0;
    const int max_q = *std::max_element(batches[bi].q_len.begin(), batches[bi].q_len.end());
    for (int split = 0; split < 2; ++split) {
      const int chunk = split ? 96 : 0;
      char name[200];
      // prefill
      {
        WorkList wl = build_work(pb.bt, pb.hd.q_indptr, V::kNumKVHeads, G, PC::kBlockM / G, chunk, bq);
        std::shuffle(wl.items.begin(), wl.items.end(), rng);
        pb.set_work(wl);
        launch<V, PC, false>(pb);
        std::snprintf(name, sizeof name, "%s b%zu prefill<%d,%d,%d,%d>%s", vname, bi, PC::kBlockM,
                      PC::kBlockN, PC::kNumWarps, PC::kStages, split ? " split96+merge" : "");
        compare<V>(name, pb, ref);
      }
      // decode (items of at most DC::kBlockM / G query rows)
      if (max_q <= 600) {
        WorkList wl = build_work(pb.bt, pb.hd.q_indptr, V::kNumKVHeads, G, DC::kBlockM / G, chunk, bq);
        pb.set_work(wl);
        // Odd batches also take the L2 prefetch a programmatic launch makes
        // before its wait (abi.h; here the wait returns at once): only a
        // hint, so nothing may change.
        const bool prefetch = bi % 2 == 1;
        pb.args.flags = prefetch ? ATTN_ARGS_PREFETCH_BEFORE_WAIT : 0;
        launch<V, DC, true>(pb);
        std::snprintf(name, sizeof name, "%s b%zu decode<%d,%d,%d,%d>%s%s", vname, bi,
                      DC::kBlockM, DC::kBlockN, DC::kNumWarps, DC::kStages,
                      split ? " split96+merge" : "", prefetch ? " prefetch" : "");
        compare<V>(name, pb, ref);
        // Few CTAs, each running a contiguous run of the (unshuffled) list: one
        // CTA finishes several chunks of a group, and the group's last chunk
        // (the one that merges) is often not the CTA's last item.
        if (split) {
          launch<V, DC, true>(pb, 5, true);
          std::snprintf(name, sizeof name,
                        "%s b%zu decode<%d,%d,%d,%d> split96+merge grid5 blocked%s", vname, bi,
                        DC::kBlockM, DC::kBlockN, DC::kNumWarps, DC::kStages,
                        prefetch ? " prefetch" : "");
          compare<V>(name, pb, ref);
        }
        pb.args.flags = 0;
      }
    }
  }
}

// ----------------------------------------------------------------------------
// merge_states: two random states (o in the dtype, lse float) of `rows` rows,
// merged on the GPU vs a float64 host merge. Row kinds cycle through: both
// finite, a = -inf, b = -inf, both -inf, equal lse, one dominating by 30.
// Zero-weight (lse = -inf) states hold NaN in o: the kernel must not read
// them. o rows are padded (strides as in Problem); the padding must stay
// untouched. Case 1 writes a separate out (grid as attnrt::mergeStates sizes
// it), case 2 merges in place into a (o_out = o_a, lse_out = lse_a) with a
// 3-CTA grid so the grid-stride loop wraps.
template <class V> void test_merge_states(const char *vname, int rows) {
  using DT = typename V::DType;
  constexpr int DVO = V::kHeadDimVO, HQ = V::kNumQHeads;
  const int64_t srow = (int64_t)HQ * DVO + 16, shead = DVO;
  const size_t n = (size_t)rows * srow, nrh = (size_t)rows * HQ;
  std::uniform_real_distribution<float> U(-2.f, 2.f), L(-6.f, 6.f);
  std::vector<float> la(nrh), lb(nrh);
  for (size_t rh = 0; rh < nrh; ++rh) {
    float a = L(rng), b = L(rng);
    switch (rh % 6) {
    case 1: a = -INFINITY; break;
    case 2: b = -INFINITY; break;
    case 3: a = b = -INFINITY; break;
    case 4: b = a; break;
    case 5: b = a - 30.f; break;
    default: break;
    }
    la[rh] = a;
    lb[rh] = b;
  }
  std::vector<DT> oa(n), ob(n);
  for (size_t i = 0; i < n; ++i) {
    oa[i] = from_f<DT>(U(rng));
    ob[i] = from_f<DT>(U(rng));
  }
  for (size_t rh = 0; rh < nrh; ++rh)
    for (int d = 0; d < DVO; ++d) {
      const size_t i = (rh / HQ) * srow + (rh % HQ) * shead + d;
      if (la[rh] == -INFINITY) oa[i] = from_f<DT>(NAN);
      if (lb[rh] == -INFINITY) ob[i] = from_f<DT>(NAN);
    }
  // float64 reference.
  std::vector<double> ro(nrh * DVO, 0.0), rl(nrh, -INFINITY);
  for (size_t rh = 0; rh < nrh; ++rh) {
    const double M = std::max(la[rh], lb[rh]);
    if (M == -INFINITY) continue;
    const double wa = std::exp((double)la[rh] - M), wb = std::exp((double)lb[rh] - M);
    const size_t base = (rh / HQ) * srow + (rh % HQ) * shead;
    for (int d = 0; d < DVO; ++d) {
      double x = 0;
      if (wa > 0) x += wa * to_f(oa[base + d]);
      if (wb > 0) x += wb * to_f(ob[base + d]);
      ro[rh * DVO + d] = x / (wa + wb);
    }
    rl[rh] = M + std::log(wa + wb);
  }
  auto bits = [](DT x) {
    uint16_t u;
    std::memcpy(&u, &x, 2);
    return u;
  };
  DevBuf<DT> d_oa, d_ob, d_out;
  DevBuf<float> d_la, d_lb, d_lout;
  d_ob.up(ob);
  d_lb.up(lb);
  for (int inplace = 0; inplace < 2; ++inplace) {
    d_oa.up(oa);
    d_la.up(la);
    AttnMergeStatesArgs a{};
    a.o_a = d_oa.p;
    a.lse_a = d_la.p;
    a.o_b = d_ob.p;
    a.lse_b = d_lb.p;
    a.o_stride_row = srow;
    a.o_stride_head = shead;
    a.rows = rows;
    int grid;
    if (inplace) {
      a.o_out = d_oa.p;
      a.lse_out = d_la.p;
      grid = 3;
    } else {
      d_out.alloc(n);
      d_out.poison();
      d_lout.alloc(nrh);
      d_lout.poison();
      a.o_out = d_out.p;
      a.lse_out = d_lout.p;
      int occ = 0;
      CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, k_merge_states<V>, 128, 0));
      grid = (int)std::max<int64_t>(1, std::min<int64_t>(((int64_t)nrh + 3) / 4,
                                                          (int64_t)g_sms * std::max(occ, 1)));
    }
    k_merge_states<V><<<grid, 128>>>(a);
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    const std::vector<DT> o = inplace ? d_oa.down() : d_out.down();
    const std::vector<float> l = inplace ? d_la.down() : d_lout.down();
    double num = 0, den = 0, lse_err = 0;
    long nan = 0, lse_bad = 0, pad_bad = 0, empty_bad = 0;
    for (size_t rh = 0; rh < nrh; ++rh) {
      const size_t base = (rh / HQ) * srow + (rh % HQ) * shead;
      for (int d = 0; d < DVO; ++d) {
        const float x = to_f(o[base + d]);
        const double y = ro[rh * DVO + d];
        if (!std::isfinite(x)) { ++nan; continue; }
        if (rl[rh] == -INFINITY && x != 0.f) ++empty_bad; // both empty: o = 0 exactly
        num += (x - y) * (x - y);
        den += y * y;
      }
      if (rl[rh] == -INFINITY) {
        if (!(std::isinf(l[rh]) && l[rh] < 0)) ++lse_bad;
      } else if (!std::isfinite(l[rh])) {
        ++lse_bad;
      } else {
        lse_err = std::max(lse_err, std::fabs(l[rh] - rl[rh]));
      }
    }
    // Padding (the 16 elements after each row's heads) is never written.
    for (int r = 0; r < rows; ++r)
      for (int64_t i = (int64_t)HQ * DVO; i < srow; ++i) {
        const size_t at = (size_t)r * srow + i;
        if (bits(o[at]) != (inplace ? bits(oa[at]) : (uint16_t)0xffff)) ++pad_bad;
      }
    const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
    const bool ok = nan == 0 && lse_bad == 0 && pad_bad == 0 && empty_bad == 0 && rel <= 1e-2 &&
                    lse_err <= 1e-4;
    char name[200];
    std::snprintf(name, sizeof name, "merge_states %s rows%d %s grid%d", vname, rows,
                  inplace ? "in-place" : "out", grid);
    std::printf("%-4s %-58s rel=%.2e lse_abs=%.2e nan=%ld lse_bad=%ld pad_bad=%ld empty_bad=%ld\n",
                ok ? "ok" : "FAIL", name, rel, lse_err, nan, lse_bad, pad_bad, empty_bad);
    (ok ? g_stats.pass : g_stats.fail)++;
    g_stats.worst_rel = std::max(g_stats.worst_rel, rel);
    g_stats.worst_lse = std::max(g_stats.worst_lse, lse_err);
  }
}

// ----------------------------------------------------------------------------
// Instantiations.
using BF = __nv_bfloat16;
using HF = __half;
// The recommended configs (README.md), plus alternates so every code path
// (16- and 32-row warps, Q in registers or smem, 2- and 4-warp decode
// combines) is covered.
using P128 = Config<128, 64, 4, 2>;  // d <= 128 prefill: 4 warps x 32 rows
using P128b = Config<128, 64, 8, 2>; // alternate: 8 warps x 16 rows, Q in registers
using P256 = Config<64, 64, 4, 2>;   // d = 256, 192:128 prefill
using D128 = Config<16, 32, 2, 3>;   // decode
using D128b = Config<16, 64, 4, 3>;  // alternate decode: 4 warps
using D256 = Config<16, 32, 2, 3>;   // decode d = 256 / 192

template <class DT, int DQK, int DVO, int HQ, int HKV, int L, int PS, int BQ = 0, int BKV = 0>
using S = tv::Shape<DT, DQK, DVO, HQ, HKV, L, PS, BQ, BKV>;

static std::vector<Batch> batches_main() {
  return {
      Batch{{1, 17, 127, 577}, {1, 40, 127, 600}},  // prefill/append mix, odd lengths
      Batch{{1, 1, 1, 1, 1}, {1, 17, 127, 577, 1000}}, // decode
      Batch{{3, 2, 4}, {3, 300, 129}},               // speculative-decode-like
  };
}
static std::vector<Batch> batches_small() {
  return {Batch{{1, 17, 127}, {1, 40, 300}}, Batch{{1, 2, 1}, {17, 577, 1}}};
}

static void run_correctness(bool quick) {
  auto M = quick ? batches_small() : batches_main();
  auto Sm = batches_small();
  test_merge_states<tv::Causal<S<BF, 128, 128, 32, 8, ATTN_KV_PAGED, 16>>>("bf16 d128 h32", 37);
  test_merge_states<tv::Causal<S<HF, 96, 96, 32, 8, ATTN_KV_PAGED, 5>>>("f16 d96 h32", 29);
  test_merge_states<tv::Causal<S<BF, 256, 256, 16, 2, ATTN_KV_PAGED, 5>>>("bf16 d256 h16", 300);
  test_variant<tv::Causal<S<BF, 128, 128, 32, 8, ATTN_KV_PAGED, 16>>, P128, D128>("causal bf16 d128 g4 paged16", M);
  test_variant<tv::Causal<S<HF, 128, 128, 32, 8, ATTN_KV_RAGGED, 0>>, P128b, D128b>("causal f16 d128 g4 ragged", M);
  test_variant<tv::Causal<S<BF, 64, 64, 8, 8, ATTN_KV_CONTIGUOUS, 0>>, P128, D128>("causal bf16 d64 g1 contig", Sm);
  test_variant<tv::Causal<S<BF, 256, 256, 16, 2, ATTN_KV_PAGED, 5>>, P256, D256>("causal bf16 d256 g8 paged5", Sm);
  test_variant<tv::Causal<S<HF, 192, 128, 16, 4, ATTN_KV_PAGED, 1>>, P256, D256>("causal f16 d192:128 g4 paged1", Sm);
  // The Gemma-2 example's shape (d 256, 16:8 heads, paged 16, soft-cap + window): the case
  // whose prefill spilled 4 bytes before the loop-invariant fix (README.md notes).
  test_variant<tv::SoftcapWindow<S<BF, 256, 256, 16, 8, ATTN_KV_PAGED, 16>>, P256, D256>("softcap+window bf16 d256 g2 paged16", Sm);
  test_variant<tv::SoftcapWindow<S<BF, 128, 128, 32, 4, ATTN_KV_RAGGED, 0>>, P128, D128>("softcap+window bf16 d128 g8 ragged", M);
  test_variant<tv::Sigmoid<S<HF, 64, 64, 16, 4, ATTN_KV_CONTIGUOUS, 0>>, P128, D128>("sigmoid(none) f16 d64 g4 contig", Sm);
  test_variant<tv::DocMask<S<BF, 128, 128, 32, 8, ATTN_KV_RAGGED, 0>>, P128b, D128b>("docmask bf16 d128 g4 ragged", Sm);
  test_variant<tv::Rope<S<BF, 128, 128, 32, 8, ATTN_KV_PAGED, 16>>, P128, D128b>("rope+out bf16 d128 g4 paged16", M);
  test_variant<tv::Alibi<S<HF, 96, 96, 32, 8, ATTN_KV_PAGED, 5>>, P128b, D128>("alibi+headwin f16 d96 g4 paged5", Sm);
  test_variant<tv::Full<S<BF, 128, 128, 32, 8, ATTN_KV_BLOCK_SPARSE, 0, 64, 32>>, P128, D128>("bsr(64x32) bf16 d128 g4", Sm);
  test_variant<tv::Causal<S<HF, 64, 64, 8, 8, ATTN_KV_BLOCK_SPARSE, 0, 128, 128>>, P128, D128>("bsr(128x128)+causal f16 d64 g1", Sm);
}

// ----------------------------------------------------------------------------
// Timing.
template <class F> float median_ms(F f, int reps) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) f();
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    CK(cudaEventRecord(a));
    f();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms;
    CK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  CK(cudaGetLastError());
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <class V, class C> void time_prefill(const char *label) {
  constexpr int G = V::kGroupSize, D = V::kHeadDimQK;
  Problem<V> pb;
  Batch bt{{4096, 4096, 4096, 4096}, {4096, 4096, 4096, 4096}};
  pb.row_pad = 0;
  pb.setup(bt);
  pb.set_params(0, 0, 0, 0);
  WorkList wl = build_work(pb.bt, pb.hd.q_indptr, V::kNumKVHeads, G, C::kBlockM / G, 0, 0);
  // Longest items first (causal: the last query rows see the most keys).
  std::stable_sort(wl.items.begin(), wl.items.end(),
                   [](const AttnWorkItem &a, const AttnWorkItem &b) { return a.q_end > b.q_end; });
  pb.set_work(wl);
  auto kern = k_prefill<V, C>;
  const int smem = prefill_smem_bytes<V, C>();
  const int grid = grid_for(kern, C::kThreads, smem, pb.num_work);
  pb.set_grid(grid, false); // round-robin: the v1 grid-stride order
  const float ms = median_ms([&] { kern<<<grid, C::kThreads, smem>>>(pb.args, pb.prm); }, 10);
  const double pairs = 4.0 * 4096.0 * 4097.0 / 2.0;
  const double tflops = 4.0 * D * pairs * V::kNumQHeads / (ms * 1e-3) / 1e12;
  std::printf("TIMING prefill %s cfg<%d,%d,%d,%d> grid=%d smem=%d: %.3f ms, %.1f TFLOP/s\n", label,
              C::kBlockM, C::kBlockN, C::kNumWarps, C::kStages, grid, smem, ms, tflops);
  // Spot check the output against the reference on a few rows.
  std::vector<typename V::DType> o = pb.o.down();
  long bad = 0;
  for (size_t i = 0; i < o.size(); i += 977)
    if (!std::isfinite(to_f(o[i]))) ++bad;
  if (bad) std::printf("TIMING prefill: %ld non-finite outputs sampled!\n", bad);
}

template <class V, class C> void time_decode(Problem<V> &pb, const char *label, int chunk) {
  constexpr int G = V::kGroupSize;
  WorkList wl = build_work(pb.bt, pb.hd.q_indptr, V::kNumKVHeads, G, C::kBlockM / G, chunk, 0);
  pb.set_work(wl);
  auto kern = k_decode<V, C>;
  const int smem = decode_smem_bytes<V, C>();
  const int grid = grid_for(kern, C::kThreads, smem, pb.num_work);
  pb.set_grid(grid, false); // round-robin: the v1 grid-stride order
  // One launch per rep: split-KV merges are fused into the decode kernel.
  const float ms = median_ms([&] { kern<<<grid, C::kThreads, smem>>>(pb.args, pb.prm); }, 20);
  CK(cudaDeviceSynchronize());
  if (const long bad = pb.check_counters())
    std::printf("TIMING decode: %ld merge counters left non-zero!\n", bad);
  const int nreq = (int)pb.bt.kv_len.size();
  const double bytes = (double)nreq * pb.bt.kv_len[0] * V::kNumKVHeads *
                       (V::kHeadDimQK + V::kHeadDimVO) * 2;
  const double gbs = bytes / (ms * 1e-3) / 1e9;
  std::printf("TIMING decode %s cfg<%d,%d,%d,%d> split=%d items=%d grid=%d smem=%d: %.1f us, "
              "%.0f GB/s (%.1f%% of 3000)\n",
              label, C::kBlockM, C::kBlockN, C::kNumWarps, C::kStages, chunk, pb.num_work, grid,
              smem, ms * 1e3, gbs, gbs / 30.0);
}

static void run_timing() {
  using CausalC = tv::Causal<S<BF, 128, 128, 32, 8, ATTN_KV_CONTIGUOUS, 0>>;
  const char *lp = "causal bf16 4x4096 32:8 d128";
  time_prefill<CausalC, Config<128, 64, 4, 2>>(lp);
  time_prefill<CausalC, Config<128, 32, 4, 3>>(lp);
  time_prefill<CausalC, Config<128, 64, 8, 2>>(lp);
  time_prefill<CausalC, Config<128, 32, 4, 2>>(lp);
  time_prefill<CausalC, Config<128, 64, 4, 2>>(lp); // again: run-to-run spread
  using CausalH = tv::Causal<S<HF, 128, 128, 32, 8, ATTN_KV_CONTIGUOUS, 0>>;
  time_prefill<CausalH, Config<128, 64, 4, 2>>("causal f16 4x4096 32:8 d128");
  using DecV = tv::Causal<S<BF, 128, 128, 32, 8, ATTN_KV_PAGED, 16>>;
  Problem<DecV> pb;
  pb.row_pad = 0;
  pb.setup(Batch{std::vector<int>(64, 1), std::vector<int>(64, 4096)});
  pb.set_params(0, 0, 0, 0);
  const char *l = "bf16 64x4096 paged16 32:8 d128";
  time_decode<DecV, Config<16, 32, 2, 3>>(pb, l, 0);
  time_decode<DecV, Config<16, 64, 4, 3>>(pb, l, 0);
  time_decode<DecV, Config<16, 32, 2, 3>>(pb, l, 0); // again: run-to-run spread
  time_decode<DecV, Config<16, 32, 2, 3>>(pb, l, 2048);
  Problem<DecV> pb1;
  pb1.row_pad = 0;
  pb1.setup(Batch{{1}, {16384}});
  pb1.set_params(0, 0, 0, 0);
  time_decode<DecV, Config<16, 32, 2, 3>>(pb1, "bf16 1x16384 paged16 32:8 d128", 512);
  time_decode<DecV, Config<16, 32, 2, 3>>(pb1, "bf16 1x16384 paged16 32:8 d128", 1024);
}

int main(int argc, char **argv) {
  bool quick = false, timing = true, correctness = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--no-timing")) timing = false;
    if (!std::strcmp(argv[i], "--timing-only")) correctness = false;
  }
  int dev_count = 0;
  if (cudaGetDeviceCount(&dev_count) != cudaSuccess || dev_count == 0) {
    std::printf("SKIP: no CUDA device\n");
    return 0;
  }
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  g_sms = prop.multiProcessorCount;
  std::printf("device: %s, %d SMs, sm_%d%d\n", prop.name, g_sms, prop.major, prop.minor);
  if (correctness) run_correctness(quick);
  if (timing) run_timing();
  std::printf("SUMMARY: passed %d / %d correctness cases, worst rel err %.2e, worst lse abs err "
              "%.2e\n",
              g_stats.pass, g_stats.pass + g_stats.fail, g_stats.worst_rel, g_stats.worst_lse);
  return g_stats.fail ? 1 : 0;
}
