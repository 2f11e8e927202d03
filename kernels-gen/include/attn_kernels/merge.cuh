//===- merge.cuh - Combine attention states --------------------------------===//
//
// Two users:
//  - split-KV (fused): when keys of a (query tile, KV head) were split into
//    chunk items, each chunk writes un-finalized partial states; the CTA that
//    finishes a group's last chunk merges the group (finish_chunk), so a split
//    plan is still one launch. Counting finished chunks with an atomic is the
//    classic "last block" pattern: every writer CTA counts with one acq_rel
//    atomic after a barrier (release: its partials; acquire: the others'),
//    and the last one reads the partials with L1-bypassing loads.
//  - merge_states: the public two-state merge (attnrt::mergeStates) engines
//    use to compose cascades of their own.
//
// Softmax partials are normalized (o_i, lse_i): M = max lse_i,
// w_i = exp(lse_i - M), o = sum w_i o_i / sum w_i, lse = M + log sum w_i;
// parts with lse = -inf weigh 0 and an all-empty row gives 0 / -inf
// (kernels.md section 4). normalize = none partials are raw sums: o = sum o_i.
// Slots are always summed in chunk order, so the result never depends on
// which chunk finished first (deterministic mode relies on it).
// Softmax partial o are stored in the variant's DType, normalize = none's
// raw sums in fp32 (PartialO). One warp per (row, head); lanes cover 4
// consecutive dims each and hold the slots' LSEs, so a round of slots' loads
// is in flight at once (merge_row).
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

// Partial o as the split chunks store it. Softmax partials are normalized,
// so every element is a weighted mean of v values and fits the variant's
// DType: stored as DType (FlashInfer stores its split states so too), which
// halves the bytes the merge, the launch's tail, has to read. normalize =
// none partials are raw sums, which can exceed DType's range: fp32.
template <class DT, bool kNarrow> struct PartialStore;
template <class DT> struct PartialStore<DT, true> { // DType elements
  using Vec4 = uint2;                               // 4 consecutive elements
  __device__ __forceinline__ static void store2(void *base, int64_t elem, float a, float b) {
    *(uint32_t *)((DT *)base + elem) = pack2<DT>(a, b);
  }
  // L1-bypassing: the partials were written by other CTAs of this launch.
  __device__ __forceinline__ static Vec4 load4(const Vec4 *p) { return __ldcg(p); }
  __device__ __forceinline__ static float4 widen(const Vec4 &v) {
    const float2 lo = unpack2<DT>(v.x), hi = unpack2<DT>(v.y);
    return make_float4(lo.x, lo.y, hi.x, hi.y);
  }
  __device__ __forceinline__ static Vec4 zero() { return make_uint2(0u, 0u); }
};
template <class DT> struct PartialStore<DT, false> { // fp32 elements
  using Vec4 = float4;
  __device__ __forceinline__ static void store2(void *base, int64_t elem, float a, float b) {
    *(float2 *)((float *)base + elem) = make_float2(a, b);
  }
  __device__ __forceinline__ static Vec4 load4(const Vec4 *p) { return __ldcg(p); }
  __device__ __forceinline__ static float4 widen(const Vec4 &v) { return v; }
  __device__ __forceinline__ static Vec4 zero() { return make_float4(0.f, 0.f, 0.f, 0.f); }
};
template <class Variant>
using PartialO = PartialStore<typename Variant::DType, Variant::kSoftmax>;

template <class Variant>
__device__ __forceinline__ void merge_row(const AttnArgs &args,
                                          const typename Variant::Params &params,
                                          const AttnMergeItem &it, int lane) {
  using DT = typename Variant::DType;
  using P = PartialO<Variant>;
  constexpr int DVO = Variant::kHeadDimVO;
  static_assert(DVO % 4 == 0, "merge works in 4-dim chunks");
  constexpr int kChunks = DVO / 4;
  constexpr int kPerLane = (kChunks + 31) / 32;
  // The merge runs after every chunk of the group finished, so nothing else
  // hides its latency: it is a tail of the launch. Keep the L2 round trips
  // few: slots go in rounds of kRound; in a round, lane c loads slot c's LSE
  // and every lane loads its dims of all the round's o at once, 64 registers
  // of loads per lane. With DType partials at d <= 128 a round is 32 slots,
  // so a group of up to 32 chunks costs one round trip. Slots past the end
  // load nothing and read as zero (their LSE as -inf: weight 0), so they add
  // exactly 0 with no select in the sums.
  // The addresses are a 32-bit slot offset times a 32-bit step from one
  // 64-bit base: computing each slot's address in int64 cost ~450
  // instructions per warp before the first load went out (SASS, H100), on
  // the launch's critical path; this way 1 x 16384 decode runs 0.5 us
  // faster. (The step fits: slot_stride is at most a tile's rows. Written
  // on Vec4 pointers: the same addresses through an element pointer made
  // ptxas spill sm_80 document_mask's 255-register prefill.)
  // Rounds after the first rescale what was summed (online, as softmax does
  // over key tiles); slots are always added in chunk order.
  // A NaN part (it read a NaN) makes the row NaN, as unsplit: fmaxf alone
  // would drop it.
  constexpr int kVecRegs = (int)sizeof(typename P::Vec4) / 4;
  constexpr int kRoundByRegs = 64 / (kPerLane * kVecRegs);
  constexpr int kRound = kRoundByRegs < 32 ? (kRoundByRegs > 0 ? kRoundByRegs : 1) : 32;
  using Vec4 = typename P::Vec4;
  const int n = it.num_slots;
  const int step = it.slot_stride * (DVO / 4); // Vec4s from one slot to the next
  const Vec4 *o_first = (const Vec4 *)args.partial_o + (int64_t)it.first_slot * (DVO / 4) + lane;
  const float *lse_first = args.partial_lse + it.first_slot;
  float M = neg_inf(); // the running max of the slots' LSEs
  float wsum = 0.f;    // per lane: its own slots' weights, relative to M
  float acc[kPerLane][4];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i)
    acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
#pragma unroll 1
  for (int c0 = 0; c0 < n; c0 += kRound) {
    const int count = min(kRound, n - c0);
    const float my_lse =
        lane < count ? __ldcg(lse_first + (int64_t)(c0 + lane) * it.slot_stride) : neg_inf();
    const Vec4 *o_round = o_first + (int64_t)c0 * step;
    Vec4 v[kRound][kPerLane];
#pragma unroll
    for (int j = 0; j < kRound; ++j)
#pragma unroll
      for (int i = 0; i < kPerLane; ++i)
        v[j][i] = j < count && (kChunks % 32 == 0 || lane + 32 * i < kChunks)
                      ? P::load4(o_round + j * step + 32 * i)
                      : P::zero();
    float round_max = my_lse;
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
      round_max = nan_max(round_max, __shfl_xor_sync(0xffffffffu, round_max, off));
    const float m_new = nan_max(M, round_max);
    const float base = m_new == neg_inf() ? 0.f : m_new;
    ATTN_TRACE_POINT_IF(m_new != 12345.f, 8);
    if (c0 > 0) { // bring what earlier rounds summed to the new max
      const float scale = __expf(M - base);
      wsum *= scale;
      if constexpr (Variant::kSoftmax) {
#pragma unroll
        for (int i = 0; i < kPerLane; ++i)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            acc[i][e] *= scale;
      }
    }
    M = m_new;
    // exp(-inf - base) = 0: an empty part weighs nothing (its o is 0 too).
    const float my_e = __expf(my_lse - base);
    wsum += my_e;
    const float my_w = Variant::kSoftmax ? my_e : 1.f;
#pragma unroll
    for (int j = 0; j < kRound; ++j) {
      const float w = __shfl_sync(0xffffffffu, my_w, j);
#pragma unroll
      for (int i = 0; i < kPerLane; ++i) {
        const float4 x = P::widen(v[j][i]);
        acc[i][0] += w * x.x;
        acc[i][1] += w * x.y;
        acc[i][2] += w * x.z;
        acc[i][3] += w * x.w;
      }
    }
    ATTN_TRACE_POINT_IF(acc[0][0] != 12345.f, c0 == 0 ? 9 : 10);
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
  // One thread publishes the CTA's partial stores and counts, with one
  // acq_rel atomic: its release half covers every thread's stores because
  // the barrier orders them before it (releases are cumulative in the PTX
  // memory model, as in cooperative groups' grid sync), and the barrier
  // after it orders its acquire half before every thread's partial loads.
  // The count is on the launch's critical path: this is one L2 round trip
  // where a fence then an atomic were two (measured on the H100: -0.35 us
  // per 1 x 16384 decode call, bench/RESULTS.md).
  __syncthreads();
  if (threadIdx.x == 0) {
    const int chunks = first_item.num_slots;
    int before;
    asm volatile("atom.acq_rel.gpu.global.add.s32 %0, [%1], 1;"
                 : "=r"(before)
                 : "l"(args.merge_counters + group)
                 : "memory");
    const bool last = before + 1 == chunks;
    s_last = last;
    if (last)
      args.merge_counters[group] = 0; // no other chunk of this launch counts it again
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
