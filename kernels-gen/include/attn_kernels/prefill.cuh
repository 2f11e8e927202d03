//===- prefill.cuh - Prefill / append entry template ----------------------===//
//
// Any q_len with kv_len >= q_len. Each of the NUM_WARPS warps owns
// BLOCK_M / NUM_WARPS packed rows (16 or 32) and sees every key of a tile:
// K/V tiles are read once from global memory per BLOCK_M packed rows, and
// with GQA packing once per group of query heads (kernels.md section 4).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_PREFILL_CUH
#define ATTN_KERNELS_PREFILL_CUH

#include "attn_kernels/attention_core.cuh"
#include "attn_kernels/config.cuh"

namespace attn_kernels {

template <class Variant, class Cfg>
using PrefillCTA = AttentionCTA<Variant, Cfg::kBlockM, Cfg::kBlockN, Cfg::kNumWarps, 1,
                                Cfg::kStages, Cfg::kRolledHooks>;

template <class Variant, class Cfg> __host__ __device__ constexpr int prefill_smem_bytes() {
  return PrefillCTA<Variant, Cfg>::kSmemBytes;
}

template <class Variant, class Cfg>
__device__ __forceinline__ void prefill(const AttnArgs &args,
                                        const typename Variant::Params &params) {
  PrefillCTA<Variant, Cfg>::run(args, params);
}

} // namespace attn_kernels

#endif
