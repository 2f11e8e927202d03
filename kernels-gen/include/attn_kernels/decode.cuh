//===- decode.cuh - Decode entry template ---------------------------------===//
//
// One (or a few) queries per request: the group's query heads are packed
// into BLOCK_M (16 or 32) rows so mma.sync still applies, and the CTA's warps
// split each BLOCK_N-key tile between them (BLOCK_N / NUM_WARPS keys each,
// a multiple of 16) with private online-softmax states that are combined in
// shared memory at the end of the item. Decode is bandwidth-bound: the
// STAGES-deep cp.async ring keeps (STAGES-1) * BLOCK_N * (d_qk + d_vo) * 2
// bytes in flight per CTA (kernels.md section 4: >= ~32 KB per SM).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_DECODE_CUH
#define ATTN_KERNELS_DECODE_CUH

#include "attn_kernels/attention_core.cuh"
#include "attn_kernels/config.cuh"

namespace attn_kernels {

template <class Variant, class Cfg>
using DecodeCTA = AttentionCTA<Variant, Cfg::kBlockM, Cfg::kBlockN, 1, Cfg::kNumWarps,
                               Cfg::kStages, Cfg::kRolledHooks>;

template <class Variant, class Cfg> __host__ __device__ constexpr int decode_smem_bytes() {
  return DecodeCTA<Variant, Cfg>::kSmemBytes;
}

template <class Variant, class Cfg>
__device__ __forceinline__ void decode(const AttnArgs &args,
                                       const typename Variant::Params &params) {
  DecodeCTA<Variant, Cfg>::run(args, params);
}

} // namespace attn_kernels

#endif
