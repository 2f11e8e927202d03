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
  r.q_row0 = it.q_row0;
  r.q_len = it.q_len;
  r.kv_len = it.kv_len;
  r.kv_base = it.kv_base;
  r.num_rows = (it.q_end - it.q_begin) * Variant::kGroupSize;
  return r;
}

// Element offsets (from args.k and args.v) of one token's K and V rows for
// the item's KV head.
struct KVOffsets {
  int64_t k, v;
};

// Where paged layouts find page-table entry e (an index into
// kv_page_indices): the table itself, plan() data read through L1.
struct PageTable {
  __device__ __forceinline__ int operator()(const AttnArgs &args, int e) const {
    return __ldg(args.kv_page_indices + e);
  }
};

// Offsets of token j's rows. K and V have strides of their own (abi.h): with
// head_dim_qk != head_dim_vo their rows differ in size. With equal widths
// the runtime guarantees equal strides (attnrt rejects anything else), so
// one offset serves both. Paged: one page lookup for both rows, through
// `pages` (attention_core.cuh's prologue passes a shared-memory copy).
template <class Variant, class Pages = PageTable>
__device__ __forceinline__ KVOffsets kv_row_offsets(const AttnArgs &args, const ItemInfo &item,
                                                    int j, const Pages &pages = Pages()) {
  constexpr bool kShared = Variant::kHeadDimQK == Variant::kHeadDimVO;
  KVOffsets o;
  if constexpr (Variant::kLayout == ATTN_KV_PAGED) {
    // kPageSize is a compile-time constant, so / and % become multiply-shift.
    const int64_t page = pages(args, item.kv_base + j / Variant::kPageSize);
    const int64_t in_page = j % Variant::kPageSize;
    o.k = page * args.kv_stride_page + in_page * args.kv_stride_row +
          (int64_t)item.kv_head * args.kv_stride_head;
    o.v = kShared ? o.k
                  : page * args.v_stride_page + in_page * args.v_stride_row +
                        (int64_t)item.kv_head * args.v_stride_head;
  } else {
    const int64_t row = item.kv_base + j;
    o.k = row * args.kv_stride_row + (int64_t)item.kv_head * args.kv_stride_head;
    o.v = kShared ? o.k : row * args.v_stride_row + (int64_t)item.kv_head * args.v_stride_head;
  }
  return o;
}

__host__ __device__ constexpr int const_gcd(int a, int b) { return b == 0 ? a : const_gcd(b, a % b); }

// How THREADS threads sweep rows of tiles whose rows have the given chunk
// counts: each thread keeps the chunk columns c0, c0 + kCols, ... (kCols =
// gcd of the thread count and every chunk count) of rows r0, r0 +
// kRowsPerPass, ...; a warp's lanes cover kCols consecutive chunks of
// several rows (coalesced 16-byte-aligned segments), and a row's offset (a
// page lookup plus 64-bit math when paged) is computed once per row visited
// and serves all its chunks, in K and V alike. Live at a time: one offset,
// not a tile's worth (with d = 256 those pushed the prefill past 255
// registers).
template <int THREADS, int ROWS, int CHUNKS_A, int CHUNKS_B = CHUNKS_A> struct RowSweep {
  static constexpr int kCols = const_gcd(THREADS, const_gcd(CHUNKS_A, CHUNKS_B));
  static constexpr int kRowsPerPass = THREADS / kCols;
  static constexpr int kPasses = (ROWS + kRowsPerPass - 1) / kRowsPerPass;
  // f(row) for every row this thread visits (rows past ROWS are skipped).
  template <class F> __device__ __forceinline__ static void rows(F &&f) {
    const int r0 = opaque(threadIdx.x / kCols);
#pragma unroll
    for (int i = 0; i < kPasses; ++i) {
      const int r = r0 + i * kRowsPerPass;
      if (ROWS % kRowsPerPass == 0 || r < ROWS)
        f(r);
    }
  }
  // cp.async of this thread's chunks of one row (src: the row's first byte),
  // with the L2 policy `policy...` when one is given.
  template <class Tile, class... Policy>
  __device__ __forceinline__ static void copy_row(uint32_t smem, const char *src, int r,
                                                  bool valid, Policy... policy) {
    const int c0 = threadIdx.x % kCols;
#pragma unroll
    for (int j = 0; j < Tile::kChunks / kCols; ++j) {
      const int c = c0 + j * kCols;
      cp_async_16(smem + Tile::chunk_offset(r, c), valid ? src + c * 16 : src, valid, policy...);
    }
  }
};

// Copies rows [0, rows) of a [ROWS x D] tile whose row i starts at
// base + row_off(i) (elements); rows [rows, ROWS) are zero-filled.
template <int THREADS, class Tile, class RowOff>
__device__ __forceinline__ void load_tile(uint32_t smem, const void *base, int rows,
                                          const RowOff &row_off) {
  using Sweep = RowSweep<THREADS, Tile::kRows, Tile::kChunks>;
  const char *gbase = (const char *)base;
  Sweep::rows([&](int r) {
    const bool valid = r < rows;
    Sweep::template copy_row<Tile>(smem, valid ? gbase + row_off(r) * 2 : gbase, r, valid);
  });
}

// K and V tiles of the same key rows [k0, k0 + rows); rows past `rows` are
// zero-filled. STREAM: every K/V byte is read by this CTA alone (decode),
// so it goes through L2 marked evict-first (l2_evict_first_policy).
// Prefill's K/V tiles are read again by the other query tiles' CTAs and keep
// the default policy.
template <class Variant, int THREADS, class KT, class VT, bool STREAM, class Pages = PageTable>
__device__ __forceinline__ void load_kv_tiles(uint32_t smem_k, uint32_t smem_v,
                                              const AttnArgs &args, const ItemInfo &item, int k0,
                                              int rows, const Pages &pages = Pages()) {
  static_assert(KT::kRows == VT::kRows, "K and V tiles hold the same keys");
  using Sweep = RowSweep<THREADS, KT::kRows, KT::kChunks, VT::kChunks>;
  const char *kbase = (const char *)args.k, *vbase = (const char *)args.v;
  auto copy = [&](auto... policy) {
    Sweep::rows([&](int r) {
      const bool valid = r < rows;
      const KVOffsets off =
          valid ? kv_row_offsets<Variant>(args, item, k0 + r, pages) : KVOffsets{0, 0};
      Sweep::template copy_row<KT>(smem_k, kbase + off.k * 2, r, valid, policy...);
      Sweep::template copy_row<VT>(smem_v, vbase + off.v * 2, r, valid, policy...);
    });
  };
  if constexpr (STREAM)
    copy(l2_evict_first_policy());
  else
    copy();
}

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
