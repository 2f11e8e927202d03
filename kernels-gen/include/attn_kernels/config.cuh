//===- config.cuh - Tile configuration passed by the generated code -------===//
#ifndef ATTN_KERNELS_CONFIG_CUH
#define ATTN_KERNELS_CONFIG_CUH

namespace attn_kernels {

// BLOCK_M packed rows (query rows x group heads) per CTA, BLOCK_N keys per
// tile, NUM_WARPS warps (threads = 32 * NUM_WARPS: the generated wrapper's
// __launch_bounds__), STAGES-deep cp.async ring for K/V. Constraints:
// prefill: BLOCK_M / NUM_WARPS in {16, 32}, BLOCK_N % 16 == 0;
// decode:  BLOCK_M in {16, 32}, (BLOCK_N / NUM_WARPS) % 16 == 0.
// ROLLED_HOOKS: evaluate the per-score hooks (logits, mask, weights) in a
// rolled loop over the n-blocks (AttentionCTA::live_nb / rotate_blocks), for variants
// whose hooks are large enough to dominate the compile time.
template <int BLOCK_M, int BLOCK_N, int NUM_WARPS, int STAGES, bool ROLLED_HOOKS = false>
struct Config {
  static constexpr int kBlockM = BLOCK_M;
  static constexpr int kBlockN = BLOCK_N;
  static constexpr int kNumWarps = NUM_WARPS;
  static constexpr int kStages = STAGES;
  static constexpr int kThreads = 32 * NUM_WARPS;
  static constexpr bool kRolledHooks = ROLLED_HOOKS;
};

} // namespace attn_kernels

#endif
