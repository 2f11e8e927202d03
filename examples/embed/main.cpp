//===- main.cpp - A small serving engine embedding attnc ------------------===//
//
// What an inference engine does with attnc, end to end:
//  - loads the kernels from a header attnc emitted (cubins + manifest, no
//    compiler at run time), through the C API's C++ wrapper (attn.hpp);
//  - keeps a paged KV cache (a pool of 16-token pages, a free list, a page
//    table per sequence) and appends each new token's K/V to it;
//  - runs batched decode every step through one runner with fixed
//    capacities, whose launch was captured once in a CUDA graph and is
//    replayed after each step's plan (sequences grow, finish and join, so
//    lengths and batch size change every step);
//  - checks a few sequences against a CPU computation at the end.
// The K/V/Q values are random: a real engine would compute them with its
// model; the attention part is the same.
//
//===----------------------------------------------------------------------===//
#include "attn.hpp"
#include "embed_decode.h" // emitted by attnc from decode.attn

#include <cuda.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr int kPageSize = 16, kKvHeads = 8, kQHeads = 32, kDim = 128;
constexpr int kRow = kKvHeads * kDim; // one token's K (or V) in the pool

uint16_t toBf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u += 0x7fffu + ((u >> 16) & 1u); // round to nearest even
  return uint16_t(u >> 16);
}
float fromBf16(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

#define CU_CHECK(call)                                                                 \
  do {                                                                                 \
    CUresult r_ = (call);                                                              \
    if (r_ != CUDA_SUCCESS) {                                                          \
      const char *n_ = nullptr;                                                        \
      cuGetErrorName(r_, &n_);                                                         \
      std::fprintf(stderr, "embed: %s failed: %s\n", #call, n_ ? n_ : "?");          \
      std::exit(1);                                                                    \
    }                                                                                  \
  } while (0)

// The paged KV cache: pools [pages][16][kv heads][dim] for K and V.
class PagedKvCache {
public:
  explicit PagedKvCache(int numPages) : numPages_(numPages) {
    const size_t bytes = size_t(numPages) * kPageSize * kRow * 2;
    CU_CHECK(cuMemAlloc(&k_, bytes));
    CU_CHECK(cuMemAlloc(&v_, bytes));
    for (int p = numPages - 1; p >= 0; --p)
      free_.push_back(p);
  }
  ~PagedKvCache() {
    cuMemFree(k_);
    cuMemFree(v_);
  }
  struct Sequence {
    std::vector<int32_t> pages;
    int32_t len = 0;
    std::vector<uint16_t> hostK, hostV; // kept only to check the result
  };
  // Appends one token's K and V rows ([kv heads][dim] bf16 each).
  bool append(Sequence &s, const uint16_t *k, const uint16_t *v) {
    if (s.len % kPageSize == 0) {
      if (free_.empty())
        return false;
      s.pages.push_back(free_.back());
      free_.pop_back();
    }
    const size_t slot = size_t(s.pages.back()) * kPageSize + size_t(s.len % kPageSize);
    CU_CHECK(cuMemcpyHtoD(k_ + slot * kRow * 2, k, kRow * 2));
    CU_CHECK(cuMemcpyHtoD(v_ + slot * kRow * 2, v, kRow * 2));
    s.hostK.insert(s.hostK.end(), k, k + kRow);
    s.hostV.insert(s.hostV.end(), v, v + kRow);
    ++s.len;
    return true;
  }
  void release(Sequence &s) {
    free_.insert(free_.end(), s.pages.begin(), s.pages.end());
    s = Sequence();
  }
  CUdeviceptr k() const { return k_; }
  CUdeviceptr v() const { return v_; }
  int numPages() const { return numPages_; }

private:
  int numPages_;
  CUdeviceptr k_ = 0, v_ = 0;
  std::vector<int32_t> free_;
};

// Softmax attention of one query row (all heads) over a sequence's keys.
double checkRow(const PagedKvCache::Sequence &s, const uint16_t *q, const uint16_t *o) {
  double err = 0, norm = 0;
  const double scale = 1.0 / std::sqrt(double(kDim));
  for (int h = 0; h < kQHeads; ++h) {
    const int kvh = h / (kQHeads / kKvHeads);
    std::vector<double> w(size_t(s.len));
    double m = -INFINITY;
    for (int j = 0; j < s.len; ++j) {
      double dot = 0;
      for (int d = 0; d < kDim; ++d)
        dot += double(fromBf16(q[h * kDim + d])) *
               fromBf16(s.hostK[size_t(j) * kRow + kvh * kDim + d]);
      w[j] = dot * scale;
      m = std::max(m, w[j]);
    }
    double sum = 0;
    for (double &x : w)
      sum += (x = std::exp(x - m));
    for (int d = 0; d < kDim; ++d) {
      double ref = 0;
      for (int j = 0; j < s.len; ++j)
        ref += w[j] * fromBf16(s.hostV[size_t(j) * kRow + kvh * kDim + d]);
      ref /= sum;
      const double got = fromBf16(o[h * kDim + d]);
      err += (got - ref) * (got - ref);
      norm += ref * ref;
    }
  }
  return std::sqrt(err / std::max(norm, 1e-30));
}

} // namespace

int main() {
  if (attn_init_device(0) != ATTN_OK) {
    std::printf("embed: no GPU (%s)\n", attn_last_error());
    return 0;
  }
  attn::Module module;
  if (attn::Error e = module.loadForCurrentDevice(attn_embed_decode::kArtifacts); !e.ok()) {
    std::fprintf(stderr, "embed: load: %s\n", e.toString().c_str());
    return 1;
  }
  constexpr int kMaxBatch = 32, kSteps = 48;
  PagedKvCache cache(kMaxBatch * (4096 / kPageSize + 8));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  std::vector<uint16_t> kTok(kRow), vTok(kRow);
  auto randomToken = [&] {
    for (int i = 0; i < kRow; ++i) {
      kTok[i] = toBf16(uni(rng));
      vTok[i] = toBf16(uni(rng));
    }
  };

  // Sequences: a prompt (its K/V "prefilled" into the cache), then decode.
  std::vector<PagedKvCache::Sequence> seqs;
  std::vector<int> target; // length at which a sequence finishes
  auto admit = [&] {
    PagedKvCache::Sequence s;
    const int prompt = 1 + int(rng() % 3000);
    for (int t = 0; t < prompt; ++t) {
      randomToken();
      if (!cache.append(s, kTok.data(), vTok.data()))
        return false;
    }
    seqs.push_back(std::move(s));
    target.push_back(prompt + 8 + int(rng() % 40));
    return true;
  };
  for (int i = 0; i < 20; ++i)
    admit();

  // Fixed capacities: the graph captured below stays valid for every step.
  attn_capacities caps{};
  caps.max_batch = kMaxBatch;
  caps.max_q_rows = kMaxBatch;
  caps.max_page_indices = cache.numPages();
  attn::Runner runner;
  if (attn::Error e = runner.create(module, &caps); !e.ok()) {
    std::fprintf(stderr, "embed: runner: %s\n", e.toString().c_str());
    return 1;
  }
  CUdeviceptr q = 0, o = 0;
  CU_CHECK(cuMemAlloc(&q, size_t(kMaxBatch) * kQHeads * kDim * 2));
  CU_CHECK(cuMemAlloc(&o, size_t(kMaxBatch) * kQHeads * kDim * 2));
  attn_tensors tensors = module.denseTensors(q, cache.k(), cache.v(), o, 0);
  attn::Params params;
  CUstream stream;
  CU_CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  CUgraphExec graph = nullptr;

  std::vector<uint16_t> hostQ, hostO;
  double worst = 0;
  int checked = 0, launches = 0;
  for (int step = 0; step < kSteps; ++step) {
    // Each running sequence appends the token it decodes now.
    for (auto &s : seqs) {
      randomToken();
      if (!cache.append(s, kTok.data(), vTok.data())) {
        std::fprintf(stderr, "embed: the KV cache is full\n");
        return 1;
      }
    }
    // The batch: one query row per sequence, its page table.
    const int B = int(seqs.size());
    std::vector<int32_t> qIndptr(B + 1), kvLens(B), kvIndptr(B + 1, 0), pages;
    for (int b = 0; b < B; ++b) {
      qIndptr[b + 1] = b + 1;
      kvLens[b] = seqs[b].len;
      pages.insert(pages.end(), seqs[b].pages.begin(), seqs[b].pages.end());
      kvIndptr[b + 1] = int32_t(pages.size());
    }
    hostQ.resize(size_t(B) * kQHeads * kDim);
    for (auto &x : hostQ)
      x = toBf16(uni(rng));
    CU_CHECK(cuMemcpyHtoDAsync(q, hostQ.data(), hostQ.size() * 2, stream));
    attn_batch batch{};
    batch.batch_size = B;
    batch.q_indptr = qIndptr.data(), batch.q_indptr_len = qIndptr.size();
    batch.kv_lens = kvLens.data(), batch.kv_lens_len = kvLens.size();
    batch.kv_indptr = kvIndptr.data(), batch.kv_indptr_len = kvIndptr.size();
    batch.page_indices = pages.data(), batch.page_indices_len = pages.size();
    batch.num_pages = cache.numPages();
    if (attn::Error e = runner.plan(batch, nullptr, stream); !e.ok()) {
      std::fprintf(stderr, "embed: plan: %s\n", e.toString().c_str());
      return 1;
    }
    if (!graph) { // capture the launch once, after the first plan
      CUgraph g;
      CU_CHECK(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_RELAXED));
      attn::Error e = runner.run(tensors, params, stream);
      CU_CHECK(cuStreamEndCapture(stream, &g));
      if (!e.ok()) {
        std::fprintf(stderr, "embed: run: %s\n", e.toString().c_str());
        return 1;
      }
      CU_CHECK(cuGraphInstantiate(&graph, g, 0));
      cuGraphDestroy(g);
    }
    CU_CHECK(cuGraphLaunch(graph, stream));
    ++launches;
    // Check three sequences every 8 steps (and at the end).
    if (step % 8 == 7 || step == kSteps - 1) {
      hostO.resize(hostQ.size());
      CU_CHECK(cuMemcpyDtoHAsync(hostO.data(), o, hostO.size() * 2, stream));
      CU_CHECK(cuStreamSynchronize(stream));
      for (int b : {0, B / 2, B - 1}) {
        const size_t off = size_t(b) * kQHeads * kDim;
        worst = std::max(worst, checkRow(seqs[b], hostQ.data() + off, hostO.data() + off));
        ++checked;
      }
    }
    // Finished sequences leave and free their pages; new ones join.
    for (size_t b = 0; b < seqs.size();) {
      if (seqs[b].len >= target[b]) {
        cache.release(seqs[b]);
        seqs.erase(seqs.begin() + long(b));
        target.erase(target.begin() + long(b));
      } else {
        ++b;
      }
    }
    while (int(seqs.size()) < kMaxBatch && rng() % 3 == 0 && admit()) {
    }
  }
  CU_CHECK(cuStreamSynchronize(stream));
  const bool ok = worst < 2e-2;
  std::printf("embed: %d decode steps replayed from one CUDA graph, %d rows checked, worst rel "
              "err %.2e: %s\n",
              launches, checked, worst, ok ? "OK" : "FAILED");
  cuGraphExecDestroy(graph);
  cuStreamDestroy(stream);
  cuMemFree(q);
  cuMemFree(o);
  return ok ? 0 : 1;
}
