//===- rope.cuh - Query/key hooks and rotary embeddings on smem tiles -----===//
//
// The query tile (once per work item) and each key tile (once per tile, by
// the whole CTA, between the tile's arrival and its first ldmatrix) are
// rewritten in shared memory: elementwise hook first, then the rotation
// (docs/language.md section 7). Doing it in shared memory keeps the matmul
// loops identical for every variant; the cost is a pass over the tile and
// one extra barrier, paid only by variants that have these hooks.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_ROPE_CUH
#define ATTN_KERNELS_ROPE_CUH

#include "attn_kernels/primitives.cuh"

namespace attn_kernels {

// angle_i = pos * theta^(-2i/R) is evaluated as pi * (pos * theta^(-2i/R) / pi)
// with sincospif: its argument reduction is exact, unlike sinf on large
// angles (pos reaches 10^5..10^6), and it needs no local-memory slow path.
__device__ __forceinline__ void rope_sincos(int pos, int i, int rot_dims, float log2_theta,
                                            float &s, float &c) {
  const float inv_freq = exp2f(-(float)(2 * i) / (float)rot_dims * log2_theta);
  sincospif((float)pos * (inv_freq * 0.31830988618379067f), &s, &c);
}

// Rewrites rows [0, rows) of `Tile` at `smem` (generic pointer) with
// x -> hook(x, row, dim), then rotates the first ROT_DIMS dims by pos(row).
// ELEM / ROPE say which parts the variant has; THREADS threads cooperate.
template <int THREADS, class Tile, class DType, bool ELEM, bool ROPE, int ROT_DIMS,
          bool INTERLEAVED, class Hook, class Pos>
__device__ __forceinline__ void transform_tile(char *smem, int rows, float theta,
                                               const Hook &hook, const Pos &pos) {
  constexpr int D = Tile::kChunks * 8;
  constexpr int R = ROPE ? ROT_DIMS : 0;
  constexpr int H = R / 2;
  const int tid = threadIdx.x;
  if constexpr (ROPE) {
    static_assert(R % 2 == 0 && R <= D, "rotary dims must be even and <= head dim");
    const float log2_theta = log2f(theta);
#pragma unroll 1
    for (int idx = tid; idx < rows * H; idx += THREADS) {
      const int r = idx / H, i = idx % H;
      const int a = INTERLEAVED ? 2 * i : i;
      const int b = INTERLEAVED ? 2 * i + 1 : i + H;
      unsigned short *pa = (unsigned short *)(smem + Tile::elem_offset(r, a));
      unsigned short *pb = (unsigned short *)(smem + Tile::elem_offset(r, b));
      float xa = to_float<DType>(*pa), xb = to_float<DType>(*pb);
      if constexpr (ELEM) {
        xa = hook(xa, r, a);
        xb = hook(xb, r, b);
      }
      float s, c;
      rope_sincos(pos(r), i, R, log2_theta, s, c);
      *pa = from_float<DType>(xa * c - xb * s);
      *pb = from_float<DType>(xa * s + xb * c);
    }
  }
  if constexpr (ELEM && D > R) {
    constexpr int W = D - R;
#pragma unroll 1
    for (int idx = tid; idx < rows * W; idx += THREADS) {
      const int r = idx / W, e = R + idx % W;
      unsigned short *pe = (unsigned short *)(smem + Tile::elem_offset(r, e));
      *pe = from_float<DType>(hook(to_float<DType>(*pe), r, e));
    }
  }
}

} // namespace attn_kernels

#endif
