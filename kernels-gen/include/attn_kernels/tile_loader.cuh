//===- tile_loader.cuh - Global -> shared tile copies for every KV layout -===//
//
// Everything that turns (request, token, head) into a global address lives
// here, so the compute code never sees a layout. Offsets are 64-bit: batch x
// kv_len x heads x d exceeds 2^31 in real serving (kernels.md section 4).
// Every copy is a 16-byte cp.async (one chunk of one row), so paged KV with
// any page size >= 1 is a plain per-row gather.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_TILE_LOADER_CUH
#define ATTN_KERNELS_TILE_LOADER_CUH

#include "attn_kernels/primitives.cuh"

namespace attn_kernels {

// What a CTA knows about the work item it is processing.
struct ItemInfo {
  int request, kv_head, q_begin, q_end, kv_begin, kv_end, partial_slot, merge_group;
  int q_len, kv_len;
  int q_row0;   // q_indptr[request]: global row of the request's first query
  int kv_base;  // kv_indptr[request]: first token row, or first page entry when paged
  int num_rows; // packed rows of this item: (q_end - q_begin) * group
};

template <class Variant>
__device__ __forceinline__ ItemInfo load_item(const AttnArgs &args, int w) {
  const AttnWorkItem it = args.work[w];
  ItemInfo r;
  r.request = it.request;
  r.kv_head = it.kv_head;
  r.q_begin = it.q_begin;
  r.q_end = it.q_end;
  r.kv_begin = it.kv_begin;
  r.kv_end = it.kv_end;
  r.partial_slot = it.partial_slot;
  r.merge_group = it.merge_group;
  r.q_row0 = args.q_indptr[it.request];
  r.q_len = args.q_indptr[it.request + 1] - r.q_row0;
  r.kv_len = args.kv_lens[it.request];
  r.kv_base = args.kv_indptr[it.request];
  r.num_rows = (it.q_end - it.q_begin) * Variant::kGroupSize;
  return r;
}

// Element offset (from args.k, or args.v when kValue) of token j's row for
// the item's KV head. K and V have strides of their own (abi.h): with
// head_dim_qk != head_dim_vo their rows differ in size.
template <class Variant, bool kValue = false>
__device__ __forceinline__ int64_t kv_row_offset(const AttnArgs &args, const ItemInfo &item,
                                                 int j) {
  const int64_t stride_head = kValue ? args.v_stride_head : args.kv_stride_head;
  const int64_t stride_row = kValue ? args.v_stride_row : args.kv_stride_row;
  const int64_t head_off = (int64_t)item.kv_head * stride_head;
  if constexpr (Variant::kLayout == ATTN_KV_PAGED) {
    // kPageSize is a compile-time constant, so / and % become multiply-shift.
    const int page = __ldg(args.kv_page_indices + item.kv_base + j / Variant::kPageSize);
    const int64_t stride_page = kValue ? args.v_stride_page : args.kv_stride_page;
    return (int64_t)page * stride_page + (int64_t)(j % Variant::kPageSize) * stride_row +
           head_off;
  } else {
    return (int64_t)(item.kv_base + j) * stride_row + head_off;
  }
}

// Copies rows [0, rows) of a [ROWS x D] tile whose row i starts at
// base + row_off(i) (elements); rows [rows, ROWS) are zero-filled.
// Threads sweep the tile chunk-major within a row so a warp covers whole
// 16-byte-aligned row segments (coalesced); when the thread count is a
// multiple of the chunk count each thread keeps one chunk column and only
// its row varies, so the row offset is computed once per row visited.
template <int THREADS, class Tile, class RowOff>
__device__ __forceinline__ void load_tile(uint32_t smem, const void *base, int rows,
                                          const RowOff &row_off) {
  constexpr int kChunks = Tile::kChunks;
  const char *gbase = (const char *)base;
  const int tid = threadIdx.x;
  if constexpr (THREADS % kChunks == 0) {
    constexpr int kRowsPerPass = THREADS / kChunks;
    constexpr int kPasses = (Tile::kRows + kRowsPerPass - 1) / kRowsPerPass;
    const int c = tid % kChunks;
    const int r0 = opaque(tid / kChunks);
#pragma unroll
    for (int i = 0; i < kPasses; ++i) {
      const int r = r0 + i * kRowsPerPass;
      if (Tile::kRows % kRowsPerPass == 0 || r < Tile::kRows) {
        const bool valid = r < rows;
        const char *src = valid ? gbase + (row_off(r) * 2 + c * 16) : gbase;
        cp_async_16(smem + Tile::chunk_offset(r, c), src, valid);
      }
    }
  } else {
    constexpr int kTotal = Tile::kRows * kChunks;
#pragma unroll
    for (int i = 0; i < (kTotal + THREADS - 1) / THREADS; ++i) {
      const int idx = tid + i * THREADS;
      if (kTotal % THREADS == 0 || idx < kTotal) {
        const int r = idx / kChunks, c = idx % kChunks;
        const bool valid = r < rows;
        const char *src = valid ? gbase + (row_off(r) * 2 + c * 16) : gbase;
        cp_async_16(smem + Tile::chunk_offset(r, c), src, valid);
      }
    }
  }
}

// K and V tiles of the same key rows. When both have the same row width and
// the per-thread chunk column is fixed, each visited row's offset (a page
// lookup plus 64-bit math when paged) feeds the K chunk and the V chunk back
// to back, so one offset is live at a time instead of all of a tile's: with
// wide heads (d = 256: 16 rows per thread) the hoisted offsets of two
// separate sweeps were what pushed the prefill CTA past 255 registers.
// When K and V rows have the same width, the runtime guarantees they share
// strides too (attnrt rejects anything else), so one offset serves both.
// With different widths (192 : 128) each tile gets its own offsets.
template <int THREADS, class KT, class VT, class KOff, class VOff>
__device__ __forceinline__ void load_kv_tiles(uint32_t smem_k, uint32_t smem_v, const void *kbase,
                                              const void *vbase, int rows, const KOff &k_off,
                                              const VOff &v_off) {
  constexpr int kChunks = KT::kChunks;
  if constexpr (KT::kChunks == VT::kChunks && KT::kRows == VT::kRows &&
                THREADS % kChunks == 0) {
    constexpr int kRowsPerPass = THREADS / kChunks;
    constexpr int kPasses = (KT::kRows + kRowsPerPass - 1) / kRowsPerPass;
    const int c = threadIdx.x % kChunks;
    const int r0 = opaque(threadIdx.x / kChunks);
#pragma unroll
    for (int i = 0; i < kPasses; ++i) {
      const int r = r0 + i * kRowsPerPass;
      if (KT::kRows % kRowsPerPass == 0 || r < KT::kRows) {
        const bool valid = r < rows;
        const int64_t off = valid ? k_off(r) * 2 + c * 16 : 0;
        cp_async_16(smem_k + KT::chunk_offset(r, c), (const char *)kbase + off, valid);
        cp_async_16(smem_v + VT::chunk_offset(r, c), (const char *)vbase + off, valid);
      }
    }
  } else {
    load_tile<THREADS, KT>(smem_k, kbase, rows, k_off);
    load_tile<THREADS, VT>(smem_v, vbase, rows, v_off);
  }
}

// Row offsets of a key (or, with kValue, value) tile starting at token k0.
template <class Variant, bool kValue = false> struct KVRowOffset {
  const AttnArgs &args;
  const ItemInfo &item;
  int k0;
  __device__ __forceinline__ int64_t operator()(int r) const {
    return kv_row_offset<Variant, kValue>(args, item, k0 + r);
  }
};

// Row offsets of the packed query tile: packed row p is query row
// q_begin + p / group of head kv_head * group + p % group (abi.h).
template <class Variant> struct QRowOffset {
  const AttnArgs &args;
  const ItemInfo &item;
  __device__ __forceinline__ int64_t operator()(int p) const {
    constexpr int G = Variant::kGroupSize;
    const int r = p / G, g = p % G;
    return (int64_t)(item.q_row0 + item.q_begin + r) * args.q_stride_row +
           (int64_t)(item.kv_head * G + g) * args.q_stride_head;
  }
};

} // namespace attn_kernels

#endif
