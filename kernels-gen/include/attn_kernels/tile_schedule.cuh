//===- tile_schedule.cuh - Which key tiles a work item visits -------------===//
//
// A work item's keys are visited as a sequence of tiles [k0, k1) of at most
// BLOCK_N keys. Dense layouts step through [kv_begin, kv_end); block-sparse
// steps through the key blocks listed for the item's query block. Every tile
// is classified with the variant's compile-time-derived classifier: empty
// tiles (0) are never loaded, full tiles (2) skip the mask, partial tiles (1)
// evaluate it per element. The producer (cp.async issue) and the consumer
// (math) each walk their own copy of the sequence, STAGES-1 tiles apart.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_TILE_SCHEDULE_CUH
#define ATTN_KERNELS_TILE_SCHEDULE_CUH

#include "attn_kernels/tile_loader.cuh"

namespace attn_kernels {

struct KeyTile {
  int k0, k1; // keys [k0, k1), k1 - k0 <= BLOCK_N
  int cls;    // 1 partial, 2 full; 0 means "no more tiles"
};

// Classifies query positions [q0, q1] x keys [k0, k1] (inclusive) for the
// whole packed tile. When the classifier reads the head, the tile holds
// `group` heads: empty only if empty for all, full only if full for all.
template <class Variant>
__device__ __forceinline__ int classify_packed(const typename Variant::Params &p,
                                               const ItemInfo &item, int q0, int q1, int k0,
                                               int k1) {
  constexpr int G = Variant::kGroupSize;
  const int h0 = item.kv_head * G;
  if constexpr (Variant::kClassifierReadsHead && G > 1) {
    bool any = false, all_full = true;
#pragma unroll 1
    for (int g = 0; g < G; ++g) {
      const int c = Variant::classify(p, q0, q1, k0, k1, h0 + g, item.kv_head, item.request,
                                      item.q_len, item.kv_len);
      any |= (c != 0);
      all_full &= (c == 2);
    }
    return !any ? 0 : (all_full ? 2 : 1);
  } else {
    return Variant::classify(p, q0, q1, k0, k1, h0, item.kv_head, item.request, item.q_len,
                             item.kv_len);
  }
}

template <class Variant, int BLOCK_N> struct TileSequence {
  static constexpr bool kSparse = Variant::kLayout == ATTN_KV_BLOCK_SPARSE;
  int next_k;    // dense: start of the next tile; sparse: next key inside the current block
  int entry;     // sparse: current entry in bsr_indices
  int entry_end; // sparse: one past the last entry
  int block_end; // sparse: end of the current block's keys (clipped to kv_end)
  int q0, q1;    // query positions of the item's first and last row

  __device__ __forceinline__ void init(const AttnArgs &args, const ItemInfo &item) {
    q0 = item.kv_len - item.q_len + item.q_begin;
    q1 = item.kv_len - item.q_len + item.q_end - 1;
    if constexpr (kSparse) {
      // The planner keeps an item inside one block_q-row query block.
      const int brow = args.bsr_row_offsets[item.request] + item.q_begin / Variant::kBlockQ;
      entry = args.bsr_indptr[brow];
      entry_end = args.bsr_indptr[brow + 1];
      next_k = 0;
      block_end = 0; // forces loading the first entry
    } else {
      next_k = item.kv_begin;
    }
  }

  // The next non-empty tile, or cls == 0 when the item has no more.
  __device__ __forceinline__ KeyTile next(const AttnArgs &args,
                                          const typename Variant::Params &p,
                                          const ItemInfo &item) {
    KeyTile t;
#pragma unroll 1
    for (;;) {
      if constexpr (kSparse) {
        if (next_k >= block_end) {
          if (entry >= entry_end) {
            t.cls = 0;
            return t;
          }
          const int blk = __ldg(args.bsr_indices + entry);
          ++entry;
          const int b0 = blk * Variant::kBlockKV;
          next_k = max(b0, item.kv_begin);
          block_end = min(b0 + Variant::kBlockKV, item.kv_end);
          continue;
        }
        t.k0 = next_k;
        t.k1 = min(next_k + BLOCK_N, block_end);
      } else {
        if (next_k >= item.kv_end) {
          t.cls = 0;
          return t;
        }
        t.k0 = next_k;
        t.k1 = min(next_k + BLOCK_N, item.kv_end);
      }
      next_k = t.k1;
      t.cls = classify_packed<Variant>(p, item, q0, q1, t.k0, t.k1 - 1);
      if (t.cls != 0)
        return t;
    }
  }
};

} // namespace attn_kernels

#endif
