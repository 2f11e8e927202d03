// Hand-written variant structs shaped like what the attnc CUDA emitter prints
// (docs/codegen.md section 1), for kernel_test.cu. One Params struct serves
// every test variant; a Shape base supplies the identity hooks and constants
// that a variant does not override.
#pragma once
#include "attn_kernels/attention.cuh"

namespace tv {

struct Params {
  alignas(8) const int32_t *token_offsets; // slot 0: per-request kv token offsets
  alignas(8) int32_t window;
  alignas(8) int32_t shift;
  alignas(8) float cap;
  alignas(8) float bias;
  alignas(8) const float *slopes; // [num_q_heads]
  alignas(8) const int32_t *doc;  // tokens domain: doc[token_offsets[b] + i]
};

__host__ __device__ constexpr float inv_sqrt(int d) { // constexpr 1/sqrt(d) by Newton iterations
  double x = 0.1;
  for (int i = 0; i < 60; ++i)
    x = x * (1.5 - 0.5 * d * x * x);
  return (float)x;
}

enum Kind { CAUSAL, SOFTCAP_WIN, SIGMOID, DOC, ROPE, ALIBI, FULL };

template <class DT, int DQK, int DVO, int HQ, int HKV, int LAYOUT, int PS, int BQ, int BKV>
struct Shape {
  using Params = tv::Params;
  using DType = DT;
  static constexpr int kHeadDimQK = DQK, kHeadDimVO = DVO;
  static constexpr int kNumQHeads = HQ, kNumKVHeads = HKV, kGroupSize = HQ / HKV;
  static constexpr float kScale = inv_sqrt(DQK);
  static constexpr bool kSoftmax = true;
  static constexpr bool kHasLogits = false, kHasMask = false, kHasWeights = false;
  static constexpr bool kHasQuery = false, kHasKey = false, kHasOutput = false;
  static constexpr bool kQueryRope = false, kKeyRope = false;
  static constexpr float kQueryRopeTheta = 0, kKeyRopeTheta = 0;
  static constexpr int kQueryRopeDims = 0, kKeyRopeDims = 0;
  static constexpr bool kQueryRopeInterleaved = false, kKeyRopeInterleaved = false;
  static constexpr int kLayout = LAYOUT, kPageSize = PS, kBlockQ = BQ, kBlockKV = BKV;
  static constexpr bool kClassifierReadsHead = false;
  __device__ __forceinline__ static float logits(const Params &, float score, int, int, int, int,
                                                 int, int, int) { return score; }
  __device__ __forceinline__ static bool mask(const Params &, int, int, int, int, int, int, int) {
    return true;
  }
  __device__ __forceinline__ static float weights(const Params &, float, float logit, int, int,
                                                  int, int, int, int, int) { return logit; }
  __device__ __forceinline__ static float query(const Params &, float q, int, int, int, int, int,
                                                int, int) { return q; }
  __device__ __forceinline__ static float key(const Params &, float k, int, int, int, int, int,
                                              int) { return k; }
  __device__ __forceinline__ static float output(const Params &, float o, int, int, int, int, int,
                                                 int, int) { return o; }
  __device__ __forceinline__ static int classify(const Params &, int, int, int, int, int, int, int,
                                                 int, int) { return 2; }
};

template <class S> struct Causal : S {
  static constexpr Kind kKind = CAUSAL;
  static constexpr bool kHasMask = true;
  __device__ __forceinline__ static bool mask(const Params &, int q_idx, int kv_idx, int, int, int,
                                              int, int) { return kv_idx <= q_idx; }
  __device__ __forceinline__ static int classify(const Params &, int q0, int q1, int k0, int k1,
                                                 int, int, int, int, int) {
    return k0 > q1 ? 0 : (k1 <= q0 ? 2 : 1);
  }
};

// logits = cap * tanh(score / cap); mask = kv_idx + shift <= q_idx && q_idx - kv_idx < window.
// (shift > 0 leaves the first rows with no kept key: o = 0, lse = -inf.)
template <class S> struct SoftcapWindow : S {
  static constexpr Kind kKind = SOFTCAP_WIN;
  static constexpr bool kHasMask = true, kHasLogits = true;
  __device__ __forceinline__ static float logits(const Params &p, float score, int, int, int, int,
                                                 int, int, int) {
    return p.cap * tanhf(score / p.cap);
  }
  __device__ __forceinline__ static bool mask(const Params &p, int q_idx, int kv_idx, int, int,
                                              int, int, int) {
    return kv_idx + p.shift <= q_idx && q_idx - kv_idx < p.window;
  }
  __device__ __forceinline__ static int classify(const Params &p, int q0, int q1, int k0, int k1,
                                                 int, int, int, int, int) {
    if (k0 + p.shift > q1 || q0 - k1 >= p.window) return 0;
    if (k1 + p.shift <= q0 && q1 - k0 < p.window) return 2;
    return 1;
  }
};

// normalize = none; weights = sigmoid(score + bias); causal mask.
template <class S> struct Sigmoid : S {
  static constexpr Kind kKind = SIGMOID;
  static constexpr bool kSoftmax = false, kHasWeights = true, kHasMask = true;
  __device__ __forceinline__ static float weights(const Params &p, float score, float, int, int,
                                                  int, int, int, int, int) {
    return 1.f / (1.f + __expf(-(score + p.bias)));
  }
  __device__ __forceinline__ static bool mask(const Params &, int q_idx, int kv_idx, int, int, int,
                                              int, int) { return kv_idx <= q_idx; }
  __device__ __forceinline__ static int classify(const Params &, int q0, int q1, int k0, int k1,
                                                 int, int, int, int, int) {
    return k0 > q1 ? 0 : (k1 <= q0 ? 2 : 1);
  }
};

// Document mask over a tokens-domain param (causal within a document).
template <class S> struct DocMask : S {
  static constexpr Kind kKind = DOC;
  static constexpr bool kHasMask = true;
  __device__ __forceinline__ static bool mask(const Params &p, int q_idx, int kv_idx, int, int,
                                              int batch, int, int) {
    const int off = p.token_offsets[batch];
    return kv_idx <= q_idx && p.doc[off + kv_idx] == p.doc[off + q_idx];
  }
  __device__ __forceinline__ static int classify(const Params &, int q0, int q1, int k0, int,
                                                 int, int, int, int, int) {
    return k0 > q1 ? 0 : 1; // the doc term is unknown at compile time: partial
  }
};

// query = rope(theta = 10000); key = rope(k * 0.5, theta = 500000, dims = 64,
// interleaved = true); output = o * (1 + 0.01 dim) + 0.001 head; causal.
template <class S> struct Rope : S {
  static constexpr Kind kKind = ROPE;
  static constexpr bool kHasMask = true, kHasKey = true, kHasOutput = true;
  static constexpr bool kQueryRope = true, kKeyRope = true;
  static constexpr float kQueryRopeTheta = 10000.f, kKeyRopeTheta = 500000.f;
  static constexpr int kQueryRopeDims = S::kHeadDimQK, kKeyRopeDims = 64;
  static constexpr bool kQueryRopeInterleaved = false, kKeyRopeInterleaved = true;
  __device__ __forceinline__ static float key(const Params &, float k, int, int, int, int, int,
                                              int) { return k * 0.5f; }
  __device__ __forceinline__ static float output(const Params &, float o, int dim, int, int head,
                                                 int, int, int, int) {
    return o * (1.f + 0.01f * dim) + 0.001f * head;
  }
  __device__ __forceinline__ static bool mask(const Params &, int q_idx, int kv_idx, int, int, int,
                                              int, int) { return kv_idx <= q_idx; }
  __device__ __forceinline__ static int classify(const Params &, int q0, int q1, int k0, int k1,
                                                 int, int, int, int, int) {
    return k0 > q1 ? 0 : (k1 <= q0 ? 2 : 1);
  }
};

// ALiBi logits with a per-head window (16 + 24 * (head % 3)): the classifier
// reads the head, so packed GQA tiles combine per-head classes.
template <class S> struct Alibi : S {
  static constexpr Kind kKind = ALIBI;
  static constexpr bool kHasMask = true, kHasLogits = true, kClassifierReadsHead = true;
  __device__ __forceinline__ static int win(int head) { return 16 + 24 * (head % 3); }
  __device__ __forceinline__ static float logits(const Params &p, float score, int q_idx,
                                                 int kv_idx, int head, int, int, int, int) {
    return score + p.slopes[head] * (float)(kv_idx - q_idx);
  }
  __device__ __forceinline__ static bool mask(const Params &, int q_idx, int kv_idx, int head, int,
                                              int, int, int) {
    return kv_idx <= q_idx && q_idx - kv_idx < win(head);
  }
  __device__ __forceinline__ static int classify(const Params &, int q0, int q1, int k0, int k1,
                                                 int head, int, int, int, int) {
    if (k0 > q1 || q0 - k1 >= win(head)) return 0;
    if (k1 <= q0 && q1 - k0 < win(head)) return 2;
    return 1;
  }
};

template <class S> struct Full : S {
  static constexpr Kind kKind = FULL;
};

} // namespace tv
