//===- softmax.cuh - Online softmax over mma accumulator fragments --------===//
//
// Rows live in the mma C layout: thread t of a warp holds, for m-tile mt,
// rows g = t/4 (elements 0,1 of each n-block) and g+8 (elements 2,3), and the
// four threads of a quad share a row (kernels.md section 2). Logits arrive in
// an "x domain" where x * c is the base-2 logit: x is the raw dot product and
// c = scale * log2(e) when the variant has no logits hook (the scale costs
// nothing: it is folded into the exp2's FMA), x is the hook's result and
// c = log2(e) otherwise. Masked elements are -inf.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_SOFTMAX_CUH
#define ATTN_KERNELS_SOFTMAX_CUH

#include "attn_kernels/primitives.cuh"

namespace attn_kernels {

// One online-softmax step for a warp's MT x 16 rows against NB*8 new logits:
// s becomes the un-normalized probabilities, m/l/o are rescaled.
// SKIP_RESCALE: see the vote below.
// m is the running max in the x domain (quad-uniform); l is this thread's
// partial row sum (its 2 columns per n-block), reduced across the quad only
// at the end, which saves two shuffles per row per tile.
template <int MT, int NB, int DB, bool SKIP_RESCALE>
__device__ __forceinline__ void online_softmax_step(float (&s)[MT][NB][4], float (&m)[MT][2],
                                                    float (&l)[MT][2], float (&o)[MT][DB][4],
                                                    float c) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float mx = m[mt][h];
#pragma unroll
      for (int nb = 0; nb < NB; ++nb)
        mx = fmaxf(mx, fmaxf(s[mt][nb][2 * h], s[mt][nb][2 * h + 1]));
      mx = quad_max(mx);
      // The -inf trap: while every key so far is masked, m = -inf and
      // x - m would be NaN; subtracting 0 instead gives exp2(-inf) = 0.
      // (x - m) * c, not fma(x, c, -m * c): with large logits (scale 1e4,
      // |x * c| ~ 1e6) the rounding of m * c alone is worth whole powers of
      // two, and the row's maximum could come out as exp2(+4096) = inf.
      // x - m is exact for the keys that matter (Sterbenz), so p is accurate
      // at any scale; the extra multiply hides behind the MUFU exp2.
      const float mref = (mx == neg_inf()) ? 0.f : mx;
      const float alpha = fast_exp2((m[mt][h] - mref) * c);
      const bool moved = mx != m[mt][h];
      m[mt][h] = mx;
      float sum = 0.f;
#pragma unroll
      for (int nb = 0; nb < NB; ++nb) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const float p = fast_exp2((s[mt][nb][2 * h + e] - mref) * c);
          s[mt][nb][2 * h + e] = p;
          sum += p;
        }
      }
      l[mt][h] = fmaf(l[mt][h], alpha, sum);
      // O *= alpha costs DB * 2 multiplies per row half (32 at d = 128), as
      // many per tile as the tile has mma instructions. When the running max
      // did not move, m * c - base is exactly 0 and alpha exactly 1: once the
      // max has settled (most tiles of a long row) no row of the 8 this warp
      // half holds moved, and the warp skips them. The vote keeps the branch
      // warp-uniform; alpha is consumed at once. Measured +2.5% on causal
      // d = 128 prefill (README.md notes); the caller turns it off where the
      // vote's predicate pushed 32-row warps over 255 registers.
      if (!SKIP_RESCALE || __any_sync(0xffffffffu, moved)) {
#pragma unroll
        for (int db = 0; db < DB; ++db) {
          o[mt][db][2 * h] *= alpha;
          o[mt][db][2 * h + 1] *= alpha;
        }
      }
    }
  }
}

// Natural-log LSE of a finished row; -inf for a row with no kept key.
// NaN propagates: a row that read a NaN (or a +inf logit: inf - inf) has
// l = NaN, and its LSE is NaN too, as in the reference.
__device__ __forceinline__ float softmax_lse(float m, float l, float c) {
  return l == 0.f ? neg_inf() : (m * c + __log2f(l)) * kLn2;
}

} // namespace attn_kernels

#endif
