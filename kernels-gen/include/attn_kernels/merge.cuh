//===- merge.cuh - Combine attention states --------------------------------===//
//
// Two users:
//  - split-KV (fused): when keys of a (query tile, KV head) were split into
//    chunk items, each chunk writes un-finalized partial states; the CTA that
//    finishes a group's last chunk merges the group (finish_chunk), so a split
//    plan is still one launch. Counting finished chunks with an atomic is the
//    classic "last block" pattern: every writer CTA releases (one fence
//    after a barrier) before the count, the last one acquires after it and
//    reads the partials with L1-bypassing loads.
//  - merge_states: the public two-state merge (attnrt::mergeStates) engines
//    use to compose cascades of their own.
//
// Softmax partials are normalized (o_i, lse_i): M = max lse_i,
// w_i = exp(lse_i - M), o = sum w_i o_i / sum w_i, lse = M + log sum w_i;
// parts with lse = -inf weigh 0 and an all-empty row gives 0 / -inf
// (kernels.md section 4). normalize = none partials are raw sums: o = sum o_i.
// Slots are always summed in chunk order, so the result never depends on
// which chunk finished first (deterministic mode relies on it).
// One warp per (row, head); lanes cover 4 consecutive dims each (16-byte
// loads of the fp32 partials) and hold the slots' LSEs, so a batch of slots'
// loads is in flight at once (merge_row).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_MERGE_CUH
#define ATTN_KERNELS_MERGE_CUH

#include "attn_kernels/primitives.cuh"
#include "attn_kernels/trace.cuh"

namespace attn_kernels {

// max that returns NaN when either operand is NaN (fmaxf returns the other).
__device__ __forceinline__ float nan_max(float a, float b) {
  return (a != a || b != b) ? __int_as_float(0x7fffffff) : fmaxf(a, b);
}

template <class Variant>
__device__ __forceinline__ void merge_row(const AttnArgs &args,
                                          const typename Variant::Params &params,
                                          const AttnMergeItem &it, int lane) {
  using DT = typename Variant::DType;
  constexpr int DVO = Variant::kHeadDimVO;
  static_assert(DVO % 4 == 0, "merge works in 4-dim chunks");
  constexpr int kChunks = DVO / 4;
  constexpr int kPerLane = (kChunks + 31) / 32;
  // The merge runs after every chunk of the group finished, so nothing else
  // hides its latency: it is a tail of the launch. Keep the L2 round trips
  // few: lanes hold the slots' LSEs in registers (lane c: slots c, c + 32,
  // ..., up to kLseRegs x 32 slots; more are read again), the weights come by
  // shuffle, and the o loads of a batch of slots are issued unconditionally
  // (a slot index past the end is clamped to the last slot and its value
  // dropped by a select), so kSlotBatch of them are in flight per lane.
  // A NaN part (it read a NaN) makes the row NaN, as unsplit: fmaxf alone
  // would drop it.
  const int64_t first = it.first_slot, stride = it.slot_stride;
  const int n = it.num_slots;
  constexpr int kLseRegs = 4;
  float lse_r[kLseRegs];
  float M = neg_inf();
#pragma unroll
  for (int r = 0; r < kLseRegs; ++r) {
    const int c = lane + 32 * r;
    lse_r[r] = c < n ? __ldcg(args.partial_lse + first + (int64_t)c * stride) : neg_inf();
    M = nan_max(M, lse_r[r]);
  }
  for (int c = lane + 32 * kLseRegs; c < n; c += 32)
    M = nan_max(M, __ldcg(args.partial_lse + first + (int64_t)c * stride));
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    M = nan_max(M, __shfl_xor_sync(0xffffffffu, M, off));
  const float base = M == neg_inf() ? 0.f : M;
  ATTN_TRACE_POINT_IF(M != 12345.f, 8);
  float acc[kPerLane][4];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i)
    acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
  float wsum = 0.f; // per lane: its own slots' weights, reduced below
  constexpr int kSlotBatch = 16 / kPerLane; // 64 registers of loads per lane
#pragma unroll 1
  for (int c0 = 0; c0 < n; c0 += 32) {
    const int mine = c0 + lane;
    float my_lse = lse_r[0];
#pragma unroll
    for (int r = 1; r < kLseRegs; ++r)
      if (c0 == 32 * r)
        my_lse = lse_r[r];
    if (c0 >= 32 * kLseRegs)
      my_lse = mine < n ? __ldcg(args.partial_lse + first + (int64_t)mine * stride) : neg_inf();
    // exp(-inf - base) = 0: an empty part weighs nothing (its o is 0 too).
    const float my_e = __expf(my_lse - base);
    wsum += my_e;
    const float my_w = Variant::kSoftmax ? my_e : 1.f;
    const int block = min(32, n - c0);
#pragma unroll 1
    for (int b0 = 0; b0 < block; b0 += kSlotBatch) {
      float4 v[kSlotBatch][kPerLane];
#pragma unroll
      for (int j = 0; j < kSlotBatch; ++j) {
        const int c = c0 + min(b0 + j, block - 1); // clamped: always one of the group's slots
        const float4 *src = (const float4 *)(args.partial_o + (first + (int64_t)c * stride) * DVO);
#pragma unroll
        for (int i = 0; i < kPerLane; ++i) {
          const int ch = lane + 32 * i;
          v[j][i] = (kChunks % 32 == 0 || ch < kChunks) ? __ldcg(src + ch)
                                                        : make_float4(0.f, 0.f, 0.f, 0.f);
        }
      }
#pragma unroll
      for (int j = 0; j < kSlotBatch; ++j) {
        const float w = __shfl_sync(0xffffffffu, my_w, (b0 + j) & 31);
        const bool valid = b0 + j < block;
#pragma unroll
        for (int i = 0; i < kPerLane; ++i) {
          acc[i][0] += valid ? w * v[j][i].x : 0.f;
          acc[i][1] += valid ? w * v[j][i].y : 0.f;
          acc[i][2] += valid ? w * v[j][i].z : 0.f;
          acc[i][3] += valid ? w * v[j][i].w : 0.f;
        }
      }
      ATTN_TRACE_POINT_IF(acc[0][0] != 12345.f, b0 == 0 ? 9 : 10);
    }
  }
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    wsum += __shfl_xor_sync(0xffffffffu, wsum, off);
  const bool has = M != neg_inf();
  const float inv = Variant::kSoftmax ? (has ? 1.f / wsum : 0.f) : 1.f;
  // normalize = none: a part whose weight sum overflowed has lse = +inf, and
  // so has the whole (exp(inf - inf) would say NaN).
  const float lse = !has ? neg_inf() : (M == -neg_inf() ? M : M + __logf(wsum));
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

// Called by every thread of a CTA after it wrote the partial states of a
// chunk item of merge group `group`. Returns once the group is merged (by
// this CTA, if its chunk was the last to finish) or left to another CTA.
template <class Variant>
__device__ __forceinline__ void finish_chunk(const AttnArgs &args,
                                             const typename Variant::Params &params,
                                             int group) {
  __shared__ int s_last;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  // Read what a merge needs before the fence and the count, whose latency
  // hides these loads: the merge is the launch's tail (merge_row).
  const int g_begin = args.merge_group_indptr[group];
  const int g_end = args.merge_group_indptr[group + 1];
  AttnMergeItem first_item{};
  if (g_begin + warp < g_end)
    first_item = args.merge[g_begin + warp];
  // One thread publishes the CTA's partial stores and counts: the barrier
  // orders every thread's stores before thread 0's release fence (fences are
  // cumulative in the PTX memory model, as in cooperative groups' grid sync),
  // and the barrier after the count orders the acquire fence before every
  // thread's partial loads. One acq_rel fence per CTA instead of a seq_cst
  // __threadfence per thread: the count is on the launch's critical path.
  __syncthreads();
  if (threadIdx.x == 0) {
    asm volatile("fence.acq_rel.gpu;" ::: "memory"); // release the partials
    const int chunks = first_item.num_slots;
    const int done = atomicAdd(args.merge_counters + group, 1) + 1;
    s_last = done == chunks;
    if (done == chunks) {
      args.merge_counters[group] = 0; // no other chunk of this launch counts it again
      asm volatile("fence.acq_rel.gpu;" ::: "memory"); // acquire the others' partials
    }
  }
  __syncthreads();
  if (!s_last)
    return;
  ATTN_TRACE_POINT(4);
  AttnMergeItem item = first_item;
#pragma unroll 1
  for (int mi = g_begin + warp; mi < g_end; mi += warps) {
    if (mi != g_begin + warp)
      item = args.merge[mi];
    merge_row<Variant>(args, params, item, lane);
  }
  ATTN_TRACE_POINT(7);
}

// The public two-state merge: one warp per (row, head), grid-stride.
template <class Variant>
__device__ __forceinline__ void merge_states(const AttnMergeStatesArgs &a) {
  using DT = typename Variant::DType;
  constexpr int DVO = Variant::kHeadDimVO, H = Variant::kNumQHeads;
  static_assert(DVO % 2 == 0, "merge_states works in pairs of dims");
  constexpr int kPairs = DVO / 2;
  const int lane = threadIdx.x % 32, warps = blockDim.x / 32;
  const int64_t total = a.rows * H;
#pragma unroll 1
  for (int64_t rh = (int64_t)blockIdx.x * warps + threadIdx.x / 32; rh < total;
       rh += (int64_t)gridDim.x * warps) {
    const int64_t row = rh / H;
    const int head = (int)(rh % H);
    const float la = a.lse_a[rh], lb = a.lse_b[rh];
    const float M = fmaxf(la, lb);
    const bool has = M != neg_inf();
    const float wa = has ? __expf(la - M) : 0.f, wb = has ? __expf(lb - M) : 0.f;
    const float inv = has ? 1.f / (wa + wb) : 0.f;
    const int64_t off = row * a.o_stride_row + (int64_t)head * a.o_stride_head;
    const uint32_t *pa = (const uint32_t *)((const DT *)a.o_a + off);
    const uint32_t *pb = (const uint32_t *)((const DT *)a.o_b + off);
    uint32_t *po = (uint32_t *)((DT *)a.o_out + off);
#pragma unroll 1
    for (int p = lane; p < kPairs; p += 32) {
      // Zero-weight states are not read: their o may be anything (even NaN
      // in a buffer that was never written for an empty row).
      const float2 va = wa > 0.f ? unpack2<DT>(pa[p]) : make_float2(0.f, 0.f);
      const float2 vb = wb > 0.f ? unpack2<DT>(pb[p]) : make_float2(0.f, 0.f);
      po[p] = pack2<DT>((wa * va.x + wb * vb.x) * inv, (wa * va.y + wb * vb.y) * inv);
    }
    if (a.lse_out != nullptr && lane == 0)
      a.lse_out[rh] = has ? M + __logf(wa + wb) : neg_inf();
  }
}

} // namespace attn_kernels

#endif
