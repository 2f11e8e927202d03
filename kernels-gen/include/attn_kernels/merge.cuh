//===- merge.cuh - Combine split-KV partial states ------------------------===//
//
// One warp per merge item (one query row of one head). Softmax partials are
// normalized (o_i, lse_i): M = max lse_i, w_i = exp(lse_i - M),
// o = sum w_i o_i / sum w_i, lse = M + log sum w_i; parts with lse = -inf
// weigh 0 and an all-empty row gives 0 / -inf (kernels.md section 4).
// normalize = none partials are raw sums: o = sum o_i. The output hook and
// the conversion to DType happen here, as for unsplit rows.
// Lanes cover 4 consecutive dims each (16-byte loads of the fp32 partials).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_MERGE_CUH
#define ATTN_KERNELS_MERGE_CUH

#include "attn_kernels/primitives.cuh"

namespace attn_kernels {

template <class Variant>
__device__ __forceinline__ void merge(const AttnArgs &args,
                                      const typename Variant::Params &params) {
  using DT = typename Variant::DType;
  constexpr int DVO = Variant::kHeadDimVO;
  static_assert(DVO % 4 == 0, "merge works in 4-dim chunks");
  constexpr int kChunks = DVO / 4;
  constexpr int kPerLane = (kChunks + 31) / 32;
  const int lane = threadIdx.x % 32;
  const int warps = blockDim.x / 32;
#pragma unroll 1
  for (int mi = blockIdx.x * warps + threadIdx.x / 32; mi < args.num_merge;
       mi += gridDim.x * warps) {
    const AttnMergeItem it = args.merge[mi];
    float M = neg_inf();
#pragma unroll 1
    for (int c = 0; c < it.num_slots; ++c)
      M = fmaxf(M, args.partial_lse[(int64_t)it.first_slot + (int64_t)c * it.slot_stride]);
    const float base = M == neg_inf() ? 0.f : M;
    float acc[kPerLane][4];
#pragma unroll
    for (int i = 0; i < kPerLane; ++i)
      acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
    float wsum = 0.f;
#pragma unroll 1
    for (int c = 0; c < it.num_slots; ++c) {
      const int64_t slot = (int64_t)it.first_slot + (int64_t)c * it.slot_stride;
      const float lse = args.partial_lse[slot];
      const float w = Variant::kSoftmax ? __expf(lse - base) : 1.f;
      wsum += __expf(lse - base);
      if (Variant::kSoftmax && lse == neg_inf())
        continue; // weight 0; its o is 0 too, but skip the loads
      const float4 *src = (const float4 *)(args.partial_o + slot * DVO);
#pragma unroll
      for (int i = 0; i < kPerLane; ++i) {
        const int ch = lane + 32 * i;
        if (kChunks % 32 == 0 || ch < kChunks) {
          const float4 v = src[ch];
          acc[i][0] += w * v.x;
          acc[i][1] += w * v.y;
          acc[i][2] += w * v.z;
          acc[i][3] += w * v.w;
        }
      }
    }
    const bool has = M != neg_inf();
    const float inv = Variant::kSoftmax ? (has ? 1.f / wsum : 0.f) : 1.f;
    const float lse = has ? M + __logf(wsum) : neg_inf();
    const int q_begin = args.q_indptr[it.request];
    const int q_len = args.q_indptr[it.request + 1] - q_begin;
    const int kv_len = args.kv_lens[it.request];
    const int q_idx = kv_len - q_len + (it.q_row - q_begin);
    const int kv_head = it.head / Variant::kGroupSize;
    DT *dst = (DT *)args.o + (int64_t)it.q_row * args.o_stride_row +
              (int64_t)it.head * args.o_stride_head;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int ch = lane + 32 * i;
      if (kChunks % 32 == 0 || ch < kChunks) {
        float v[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          v[j] = acc[i][j] * inv;
          if constexpr (Variant::kHasOutput) {
            if (has)
              v[j] = Variant::output(params, v[j], 4 * ch + j, q_idx, it.head, kv_head,
                                     it.request, q_len, kv_len);
          }
        }
        uint2 packed;
        packed.x = pack2<DT>(v[0], v[1]);
        packed.y = pack2<DT>(v[2], v[3]);
        *(uint2 *)(dst + 4 * ch) = packed;
      }
    }
    if (args.lse != nullptr && lane == 0)
      args.lse[(int64_t)it.q_row * Variant::kNumQHeads + it.head] = lse;
  }
}

} // namespace attn_kernels

#endif
