//===- attention_core.cuh - The FA2-style CTA shared by prefill and decode -===//
//
// One CTA processes one work item at a time: a packed tile of BLOCK_M rows
// (query rows x the group's heads) against the item's key tiles. The CTA's
// warps form a WARPS_M x WARPS_N grid:
//   prefill: WARPS_N = 1, each warp owns BLOCK_M/WARPS_M rows and all keys;
//   decode:  WARPS_M = 1, all warps share the (16) rows and each takes
//            BLOCK_N/WARPS_N keys of every tile; their online-softmax states
//            are combined through shared memory at the end.
// Per tile and warp: S = Q K^T (mma.sync m16n8k16, fp32), hooks and mask on
// the accumulators, online softmax (exp2 domain), P converted in registers to
// the A operand (the C layout of two adjacent n-blocks is the A layout of one
// k-step, kernels.md section 2), O += P V with V read by ldmatrix.trans.
// K/V tiles stream through a STAGES-deep cp.async ring into swizzled smem.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_ATTENTION_CORE_CUH
#define ATTN_KERNELS_ATTENTION_CORE_CUH

#include "attn_kernels/merge.cuh"
#include "attn_kernels/primitives.cuh"
#include "attn_kernels/rope.cuh"
#include "attn_kernels/softmax.cuh"
#include "attn_kernels/tile_loader.cuh"
#include "attn_kernels/tile_schedule.cuh"
#include "attn_kernels/trace.cuh"

namespace attn_kernels {

template <class V, int BLOCK_M, int BLOCK_N, int WARPS_M, int WARPS_N, int STAGES,
          bool ROLLED_HOOKS>
struct AttentionCTA {
  using DT = typename V::DType;
  using Params = typename V::Params;
  static constexpr int DQK = V::kHeadDimQK, DVO = V::kHeadDimVO, G = V::kGroupSize;
  static constexpr int kWarps = WARPS_M * WARPS_N, kThreads = 32 * kWarps;
  static constexpr int kWarpRows = BLOCK_M / WARPS_M, kMT = kWarpRows / 16;
  static constexpr int kWarpKeys = BLOCK_N / WARPS_N, kNB = kWarpKeys / 8;
  static constexpr int kKQ = DQK / 16; // k-steps of S = Q K^T
  static constexpr int kDB = DVO / 8;  // n-blocks of O
  static_assert(kWarpRows % 16 == 0 && BLOCK_M % WARPS_M == 0, "16-row m-tiles per warp");
  static_assert(kWarpKeys % 16 == 0 && BLOCK_N % WARPS_N == 0, "16-key k-steps per warp");
  static_assert(DQK % 16 == 0 && DVO % 16 == 0, "head dims must be multiples of 16");
  static_assert(STAGES >= 2, "the pipeline needs at least 2 stages");
  // Q stays in registers when it is small (16 rows, d <= 128: 32 registers);
  // otherwise it is re-read from smem each k-step, as FA2 does at d = 128.
  static constexpr bool kQInRegs = kMT * DQK <= 128;
  // With 32-row warps (Q from smem, 128 fp32 O + 64 S registers at d = 128)
  // a fully unrolled k-loop lets ptxas hoist every ldmatrix and spill; a
  // rolled one stays within 255 registers. Elsewhere full unrolling is free.
  static constexpr int kKUnroll = (!kQInRegs && kMT > 1 && kNB >= 8) ? 1 : kKQ;
  static constexpr bool kQueryXform = V::kHasQuery || V::kQueryRope;
  static constexpr bool kKeyXform = V::kHasKey || V::kKeyRope;
  // Decode's shape (one row of warps splitting each key tile): an item holds
  // every query row of its (request, KV head), so each K/V byte is read once
  // per launch and is streamed past L2 (load_kv_tiles' STREAM).
  static constexpr bool kDecodeShape = WARPS_M == 1 && WARPS_N > 1;

  using QTile = SmemTile<BLOCK_M, DQK>;
  using KTile = SmemTile<BLOCK_N, DQK>;
  using VTile = SmemTile<BLOCK_N, DVO>;
  static constexpr int kStageBytes = KTile::kBytes + VTile::kBytes;
  static constexpr int kMainBytes = QTile::kBytes + STAGES * kStageBytes;
  // Decode's cross-warp combine: m, l and O (rows padded by 8 floats so the
  // C-layout float2 stores of 8 rows spread over the banks).
  static constexpr int kCombineStride = DVO + 8;
  static constexpr int kCombineBytes =
      WARPS_N > 1 ? WARPS_N * BLOCK_M * (2 + kCombineStride) * 4 : 0;
  // The combine's last step (summing the warps' scaled O) is split by
  // n-blocks when the warps divide them: warp wn sums and writes n-blocks
  // [wn * kCombineDB, (wn + 1) * kCombineDB), holding them in o[.][0..).
  // Otherwise warp 0 alone sums and writes all of them.
  static constexpr bool kSplitCombine = WARPS_N > 1 && kDB % WARPS_N == 0;
  static constexpr int kCombineDB = kSplitCombine ? kDB / WARPS_N : kDB;
  static constexpr int kSmemBytes = kMainBytes > kCombineBytes ? kMainBytes : kCombineBytes;

  // x-domain -> base-2 logits (softmax.cuh).
  static constexpr float kC = V::kHasLogits ? kLog2e : V::kScale * kLog2e;
  // normalize = none in f16: weights go into the f16 P operand of P.V, whose
  // largest finite value is 65504. Each row keeps its weights under 2^14 by
  // an exact power of two 2^-E (E in m, like softmax's running max: o is
  // rescaled when E grows; the result is multiplied back by 2^E in fp32).
  // bf16 has fp32's range and needs none of it.
  static constexpr bool kScaleWeights = !V::kSoftmax && !DTypeTraits<DT>::kIsBF16;

  // Per-thread row facts for its 2*kMT accumulator rows.
  struct Rows {
    int q_idx[kMT][2];
    int head[kMT][2];
  };

  __device__ __forceinline__ static void run(const AttnArgs &args, const Params &params) {
    extern __shared__ __align__(128) char smem[];
    ATTN_TRACE_POINT(0);
    // Programmatic launch (primitives.cuh): the next launch may start as our
    // CTAs leave. Before the wait below we read only what plan() uploaded
    // (the work list), which the kernel ahead of us cannot be writing: the
    // upload is a copy, and a kernel launched after a copy waits for it.
    allow_dependent_grid();
    // The first item sits at work[blockIdx.x] (abi.h), so its load does not
    // wait for the CTA's range: one dependent load less at the launch's start.
    // k walks w_rest - 1 (standing for the first item), then the range. (A
    // loop that tested the range after each item made ptxas spill prefill's
    // 255-register 32-row configs.)
    const int w_rest = args.cta_work_indptr[blockIdx.x];
    const int w_end = args.cta_work_indptr[blockIdx.x + 1];
#pragma unroll 1
    for (int k = w_rest - 1, w = blockIdx.x; k < w_end; w = ++k) {
      const ItemInfo item = load_item<V>(args, w);
      const PageStash *stash = nullptr; // the first item's page entries, when read early
      if constexpr (kDecodeShape)
        if (w == (int)blockIdx.x && item.request >= 0 &&
            (args.flags & ATTN_ARGS_PREFETCH_BEFORE_WAIT))
          stash = prepare_while_waiting(args, params, item);
      // Returns at once after the first item. Idle CTAs wait too: then this
      // grid completes only after the one ahead of it, so a chain of
      // programmatic launches stays ordered even when one finds no work.
      wait_for_prerequisite_grid();
      if (item.request < 0)
        break;
      // (The test on kv_len makes the point wait for the item.)
      ATTN_TRACE_POINT_IF(w == (int)blockIdx.x && item.kv_len != -7, 5);
      process(args, params, item, w, smem, stash);
      ATTN_TRACE_POINT(2);
      if (item.merge_group >= 0)
        finish_chunk<V>(args, params, item.merge_group);
      __syncthreads(); // the next item's copies overwrite smem
    }
    ATTN_TRACE_POINT(3);
  }

  // Paged decode keeps the page-table entries of its first item's first
  // (STAGES - 1) * BLOCK_N keys in shared memory when it reads them before
  // a programmatic launch's wait, and its prologue copies look pages up
  // there. Measured, not explained: 1 x 16384 with programmatic launch
  // 2598-2604 GB/s vs 2584-2586 through L1 (same device call, H100). The
  // wait does not drop L1 (bench/probes/l1_after_wait.cu), and the
  // prologue's first copies are issued ~1.8 k cycles after the wait with or
  // without the stash.
  static constexpr bool kStashPages = kDecodeShape && V::kLayout == ATTN_KV_PAGED;
  static constexpr int kStashCap =
      kStashPages ? (STAGES - 1) * BLOCK_N / (V::kPageSize > 0 ? V::kPageSize : 1) + 2 : 1;
  struct PageStash {
    int first, count; // entries [first, first + count) of kv_page_indices
    int pages[kStashCap];
  };
  // tile_loader.cuh's page source: the stash where it holds the entry.
  struct StashedPages {
    const PageStash *stash;
    __device__ __forceinline__ int operator()(const AttnArgs &args, int e) const {
      const unsigned i = (unsigned)(e - stash->first);
      return i < (unsigned)stash->count ? stash->pages[i] : __ldg(args.kv_page_indices + e);
    }
  };

  // A programmatic launch's CTAs start as the kernel ahead of them drains
  // and wait for it on SMs whose loads have stopped, while DRAM serves that
  // kernel's last CTAs below its rate. Decode uses the time: it asks L2 for
  // its first key tile (and stashes its first tiles' page entries, paged)
  // (chosen as the producer will; one request per key row of K and of V),
  // so the prologue's first copies hit L2 soon after the wait. Page entries
  // are plan() data, like the work list; the classifier may read params
  // arrays the kernel ahead is writing, which at worst fetches the wrong
  // tile. One tile, not the prologue's STAGES - 1: on the H100, 1 x 16384
  // replayed with programmatic launch reached 2567-2578 GB/s with one,
  // 2517-2533 with two or three and 2285 with six, which take bandwidth from
  // the kernel ahead's last CTAs (bench/RESULTS.md). Returns the stash, or
  // nullptr.
  __device__ static const PageStash *prepare_while_waiting(const AttnArgs &args,
                                                           const Params &params,
                                                           const ItemInfo &item) {
    const PageStash *stash = nullptr;
    if constexpr (kStashPages) {
      // From the item's first key on, from plan() data alone, so that every
      // thread finds the same entries (the classifier below may read params
      // arrays the kernel ahead is still writing: fine for a hint, not for
      // the pages the copies will use). Where masks skip the first tiles,
      // the prologue's lookups miss the stash and read the table.
      __shared__ PageStash s_stash;
      const int first = item.kv_base + item.kv_begin / V::kPageSize;
      const int last = item.kv_base + (item.kv_end - 1) / V::kPageSize;
      const int count = min(kStashCap, last - first + 1);
      for (int i = threadIdx.x; i < count; i += kThreads)
        s_stash.pages[i] = __ldg(args.kv_page_indices + first + i);
      if (threadIdx.x == 0) {
        s_stash.first = first;
        s_stash.count = count;
      }
      __syncthreads();
      stash = &s_stash;
    }
    TileSequence<V, BLOCK_N> seq;
    seq.init(args, item);
    const KeyTile t = seq.next(args, params, item);
    if (!t.cls)
      return stash;
    const char *kbase = (const char *)args.k, *vbase = (const char *)args.v;
#pragma unroll 1
    for (int r = threadIdx.x; r < t.k1 - t.k0; r += kThreads) {
      // (Only paged layouts look pages up, and they have the stash.)
      const KVOffsets off = kv_row_offsets<V>(args, item, t.k0 + r, StashedPages{stash});
      prefetch_l2(kbase + off.k * 2, DQK * 2);
      prefetch_l2(vbase + off.v * 2, DVO * 2);
    }
    return stash;
  }

  // Copies tile t's K and V rows into the stage at s_stage, with the page
  // entries from `stash` where it has them (the first item's prologue only:
  // the main loop's copies keep the plain table lookup).
  __device__ __forceinline__ static void issue_kv(const AttnArgs &args, const ItemInfo &item,
                                                  uint32_t s_stage, const KeyTile &t,
                                                  const PageStash *stash = nullptr) {
    if constexpr (kStashPages) {
      if (stash) {
        load_kv_tiles<V, kThreads, KTile, VTile, kDecodeShape>(
            s_stage, s_stage + KTile::kBytes, args, item, t.k0, t.k1 - t.k0,
            StashedPages{stash});
        return;
      }
    }
    load_kv_tiles<V, kThreads, KTile, VTile, kDecodeShape>(s_stage, s_stage + KTile::kBytes,
                                                           args, item, t.k0, t.k1 - t.k0);
  }

  __device__ static void process(const AttnArgs &args, const Params &params,
                                 const ItemInfo &item, int w, char *smem,
                                 const PageStash *stash) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int wm = warp / WARPS_N, wn = warp % WARPS_N;
    const uint32_t s_base = smem_addr(smem);
    const uint32_t s_q = s_base;
    const uint32_t s_kv0 = s_base + QTile::kBytes;

    // ---- Q tile and the first STAGES-1 key tiles in flight.
    load_tile<kThreads, QTile>(s_q, args.q, item.num_rows, QRowOffset<V>{args, item});
    cp_async_commit();
    ATTN_TRACE_POINT_IF(w == (int)blockIdx.x, 11);
    TileSequence<V, BLOCK_N> producer;
    producer.init(args, item);
    TileSequence<V, BLOCK_N> consumer = producer;
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
      const KeyTile t = producer.next(args, params, item);
      // (The test on k1 makes the point wait for the tile.)
      ATTN_TRACE_POINT_IF(s == 0 && w == (int)blockIdx.x && t.k1 != -7, 12);
      if (t.cls)
        issue_kv(args, item, s_kv0 + s * kStageBytes, t, stash);
      cp_async_commit(); // possibly empty: keeps the group count uniform
      ATTN_TRACE_POINT_IF(s == 0 && w == (int)blockIdx.x, 6);
    }

    // ---- Row facts. Padding rows (past num_rows) alias the item's last
    // row, so hooks only ever see valid indices; they are never written.
    Rows rows;
    const int q_pos0 = item.kv_len - item.q_len + item.q_begin;
    const int last_row = item.q_end - item.q_begin - 1;
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int p = wm * kWarpRows + mt * 16 + lane / 4 + 8 * h;
        rows.q_idx[mt][h] = q_pos0 + min(p / G, last_row);
        rows.head[mt][h] = item.kv_head * G + p % G;
      }

    cp_async_wait<STAGES - 1>(); // the Q group is the oldest
    __syncthreads();
    ATTN_TRACE_POINT_IF(w == (int)blockIdx.x, 13);
    if constexpr (kQueryXform) {
      auto hook = [&](float x, int r, int dim) {
        if constexpr (V::kHasQuery) {
          const int rr = min(r / G, last_row);
          return V::query(params, x, dim, q_pos0 + rr, item.kv_head * G + r % G, item.kv_head,
                          item.request, item.q_len, item.kv_len);
        } else {
          return x;
        }
      };
      auto pos = [&](int r) { return q_pos0 + min(r / G, last_row); };
      transform_tile<kThreads, QTile, DT, V::kHasQuery, V::kQueryRope, V::kQueryRopeDims,
                     V::kQueryRopeInterleaved>(smem, item.num_rows, V::kQueryRopeTheta, hook,
                                               pos);
      __syncthreads();
    }

    // ldmatrix lane roles (primitives.cuh): A rows lane%16 / chunk +lane/16;
    // K (B, non-trans) rows lane%8 + 8*(lane/16) / chunk +(lane/8)%2;
    // V (B, trans) rows lane%8 + 8*((lane/8)%2) / chunk +lane/16.
    const int a_row = lane % 16, a_hi = lane / 16;
    const int k_row = lane % 8 + 8 * (lane / 16), k_hi = (lane / 8) % 2;
    const int v_row = lane % 8 + 8 * ((lane / 8) % 2), v_hi = lane / 16;
    const uint32_t q_lane = s_q + (wm * kWarpRows + a_row) * QTile::kRowBytes;
    const uint32_t k_lane = (wn * kWarpKeys + k_row) * KTile::kRowBytes;
    const uint32_t v_lane = KTile::kBytes + (wn * kWarpKeys + v_row) * VTile::kRowBytes;

    uint32_t qf[kQInRegs ? kMT : 1][kQInRegs ? kKQ : 1][4];
    if constexpr (kQInRegs) {
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int kb = 0; kb < kKQ; ++kb)
          ldmatrix_x4(q_lane + mt * 16 * QTile::kRowBytes + swz<QTile>(2 * kb + a_hi, a_row),
                      qf[mt][kb]);
    }

    float o[kMT][kDB][4];
    float m[kMT][2], l[kMT][2];
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
      for (int db = 0; db < kDB; ++db)
        o[mt][db][0] = o[mt][db][1] = o[mt][db][2] = o[mt][db][3] = 0.f;
      m[mt][0] = m[mt][1] = kScaleWeights ? 0.f : neg_inf();
      l[mt][0] = l[mt][1] = 0.f;
    }

    // ---- Main loop over key tiles.
    int stage = 0;
#pragma unroll 1
    for (;;) {
      const KeyTile t = consumer.next(args, params, item);
      if (!t.cls)
        break;
      cp_async_wait<STAGES - 2>(); // this thread's copies of tile `stage` landed
      __syncthreads();             // ... and everyone's; slot stage-1 is free
      ATTN_TRACE_POINT_IF(t.k0 == item.kv_begin, 1);
      {
        const KeyTile tp = producer.next(args, params, item);
        const int ps = stage == 0 ? STAGES - 1 : stage - 1;
        if (tp.cls)
          issue_kv(args, item, s_kv0 + ps * kStageBytes, tp);
        cp_async_commit();
      }
      const uint32_t s_stage = s_kv0 + stage * kStageBytes;
      if constexpr (kKeyXform) {
        auto hook = [&](float x, int r, int dim) {
          if constexpr (V::kHasKey)
            return V::key(params, x, dim, t.k0 + r, item.kv_head, item.request, item.q_len,
                          item.kv_len);
          else
            return x;
        };
        auto pos = [&](int r) { return t.k0 + r; };
        transform_tile<kThreads, KTile, DT, V::kHasKey, V::kKeyRope, V::kKeyRopeDims,
                       V::kKeyRopeInterleaved>(smem + (s_stage - s_base), t.k1 - t.k0,
                                               V::kKeyRopeTheta, hook, pos);
        __syncthreads();
      }
      const int key0 = t.k0 + wn * kWarpKeys;
      if (key0 < t.k1) // decode: a warp whose share of a short last tile is empty idles
        compute_tile(params, item, rows, t, key0, q_lane, s_stage + k_lane, s_stage + v_lane,
                     k_hi, k_row, v_hi, v_row, a_hi, a_row, qf, o, m, l);
      stage = stage + 1 == STAGES ? 0 : stage + 1;
    }
    cp_async_wait<0>();
    // The epilogue's item fields (num_rows, partial_slot, q_row0) are read
    // again from the work list rather than kept live across the key loop:
    // a few L2 loads per item buy back registers the 32-row warps lack
    // (without it streaming_llm's {128,32,4,3} prefill spills 40 bytes).
    const ItemInfo fin = load_item<V>(args, w);

    if constexpr (WARPS_N > 1) {
      __syncthreads(); // every warp is done with the K/V ring: reuse it
      combine_warps(smem, wn, lane, o, m, l);
      if (kSplitCombine || wn == 0)
        write_rows<true, kCombineDB>(args, params, fin, rows, wm, lane, o, m, l,
                                     kSplitCombine ? wn * kCombineDB : 0, wn == 0);
    } else {
      write_rows<false>(args, params, fin, rows, wm, lane, o, m, l);
    }
  }

  // Physical byte offset of logical chunk c in a row whose low 3 bits are r.
  template <class Tile> __device__ __forceinline__ static uint32_t swz(int c, int r) {
    return (uint32_t)((Tile::kSwizzle ? (c ^ (r & 7)) : c) * 16);
  }

  __device__ __forceinline__ static void
  compute_tile(const Params &params, const ItemInfo &item, const Rows &rows, const KeyTile &t,
               int key0, uint32_t q_lane, uint32_t k_lane, uint32_t v_lane, int k_hi, int k_row,
               int v_hi, int v_row, int a_hi, int a_row,
               const uint32_t (&qf)[kQInRegs ? kMT : 1][kQInRegs ? kKQ : 1][4],
               float (&o)[kMT][kDB][4], float (&m)[kMT][2], float (&l)[kMT][2]) {
    const int lane = threadIdx.x % 32;
    // ---- S = Q K^T
    float s[kMT][kNB][4];
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int nb = 0; nb < kNB; ++nb)
        s[mt][nb][0] = s[mt][nb][1] = s[mt][nb][2] = s[mt][nb][3] = 0.f;
#pragma unroll kKUnroll
    for (int kb = 0; kb < kKQ; ++kb) {
      uint32_t a[kMT][4];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        if constexpr (kQInRegs) {
#pragma unroll
          for (int i = 0; i < 4; ++i)
            a[mt][i] = qf[mt][kb][i];
        } else {
          ldmatrix_x4(q_lane + mt * 16 * QTile::kRowBytes + swz<QTile>(2 * kb + a_hi, a_row),
                      a[mt]);
        }
      }
#pragma unroll
      for (int nb2 = 0; nb2 < kNB / 2; ++nb2) {
        uint32_t b[4];
        ldmatrix_x4(k_lane + nb2 * 16 * KTile::kRowBytes + swz<KTile>(2 * kb + k_hi, k_row), b);
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          mma_16816<DT>(s[mt][2 * nb2], a[mt], b[0], b[1]);
          mma_16816<DT>(s[mt][2 * nb2 + 1], a[mt], b[2], b[3]);
        }
      }
    }

    // ---- Hooks and mask. Column j of n-block nb is key key0 + nb*8 + 2*(lane%4) + j.
    const bool partial = t.cls == 1;
    const bool short_tile = t.k1 - key0 < kWarpKeys; // keys past the tile end must be masked
    const int kcol = key0 + 2 * (lane % 4);
    if constexpr (V::kSoftmax) {
      if (!partial && !short_tile) {
        if constexpr (V::kHasLogits) {
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt)
#pragma unroll kNBUnroll
            for (int nb = 0; nb < kNB; ++nb) {
#pragma unroll
              for (int e = 0; e < 4; ++e) {
                float &x = s[mt][live_nb(nb)][e];
                x = logit_of(params, item, rows, mt, e >> 1, kcol + nb * 8 + (e & 1), x);
              }
              rotate_blocks(s[mt]);
            }
        }
      } else {
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt)
#pragma unroll kNBUnroll
          for (int nb = 0; nb < kNB; ++nb) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              const int key = kcol + nb * 8 + (e & 1);
              const bool keep = key < t.k1 && (!partial || kept(params, item, rows, mt, e >> 1, key));
              // Spelled exactly so: through a reference, a pointer or a local
              // n-block index, ptxas spilled the 255-register 32-row configs
              // (document_mask, rotary, prefix_lm at 128x32/4w/3s).
              s[mt][live_nb(nb)][e] =
                  keep ? (V::kHasLogits
                              ? logit_of(params, item, rows, mt, e >> 1, key, s[mt][live_nb(nb)][e])
                              : s[mt][live_nb(nb)][e])
                       : neg_inf();
            }
            rotate_blocks(s[mt]);
          }
      }
      // A logits hook's temporaries share this region: with one (ALiBi's bias) the
      // skip's extra predicate made ptxas spill 20-40 bytes at 32 rows per warp.
      online_softmax_step<kMT, kNB, kDB, !V::kHasLogits>(s, m, l, o, kC);
    } else {
      // normalize = none: w = weights(score, logit) on kept pairs, 0 elsewhere.
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll kNBUnroll
        for (int nb = 0; nb < kNB; ++nb) {
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int key = kcol + nb * 8 + (e & 1);
            const int h = e >> 1;
            float &x = s[mt][live_nb(nb)][e];
            bool keep = true;
            if (partial || short_tile)
              keep = key < t.k1 && (!partial || kept(params, item, rows, mt, h, key));
            float wgt = 0.f;
            if (keep) {
              const float score = x * V::kScale;
              const float logit =
                  V::kHasLogits ? V::logits(params, score, rows.q_idx[mt][h], key,
                                            rows.head[mt][h], item.kv_head, item.request,
                                            item.q_len, item.kv_len)
                                : score;
              wgt = V::weights(params, score, logit, rows.q_idx[mt][h], key, rows.head[mt][h],
                               item.kv_head, item.request, item.q_len, item.kv_len);
            }
            x = wgt;
            l[mt][h] += wgt;
          }
          rotate_blocks(s[mt]);
        }
      if constexpr (kScaleWeights)
        scale_weights(s, m, o);
    }

    // ---- O += P V
#pragma unroll
    for (int kk = 0; kk < kNB / 2; ++kk) {
      uint32_t a[kMT][4];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        a[mt][0] = pack2<DT>(s[mt][2 * kk][0], s[mt][2 * kk][1]);
        a[mt][1] = pack2<DT>(s[mt][2 * kk][2], s[mt][2 * kk][3]);
        a[mt][2] = pack2<DT>(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
        a[mt][3] = pack2<DT>(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
      }
#pragma unroll
      for (int db2 = 0; db2 < kDB / 2; ++db2) {
        uint32_t b[4];
        ldmatrix_x4_trans(v_lane + kk * 16 * VTile::kRowBytes + swz<VTile>(2 * db2 + v_hi, v_row),
                          b);
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          mma_16816<DT>(o[mt][2 * db2], a[mt], b[0], b[1]);
          mma_16816<DT>(o[mt][2 * db2 + 1], a[mt], b[2], b[3]);
        }
      }
    }
  }

  // The per-score hooks visit a warp's S fragment in loops over (mt, nb, e).
  // Hook-heavy variants (ROLLED_HOOKS, chosen by attn-select-kernels from
  // the hooks' size) keep the n-block loop rolled: each pass works on block
  // 0 and then rotates the row's blocks by one, so indexing stays static
  // (registers) while the hook code is emitted kMT x 4 times instead of
  // kMT x kNB x 4. The rotation costs kNB x 4 moves per pass; it buys a
  // compile several times faster where the hooks dominate the code.
  // Unrolled, live_nb(nb) is nb and rotate_blocks nothing: the same code as
  // plain loops (a lambda-based visitor perturbed ptxas into spilling the
  // 255-register 32-row configs).
  static constexpr bool kRolledHooks = ROLLED_HOOKS && kNB > 1;
  static constexpr int kNBUnroll = kRolledHooks ? 1 : kNB;
  __device__ __forceinline__ static int live_nb(int nb) { return kRolledHooks ? 0 : nb; }
  __device__ __forceinline__ static void rotate_blocks(float (&sm)[kNB][4]) {
    if constexpr (kRolledHooks) {
      float first[4];
#pragma unroll
      for (int e = 0; e < 4; ++e)
        first[e] = sm[0][e];
#pragma unroll
      for (int j = 0; j + 1 < kNB; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          sm[j][e] = sm[j + 1][e];
#pragma unroll
      for (int e = 0; e < 4; ++e)
        sm[kNB - 1][e] = first[e];
    }
  }

  // kScaleWeights: raises each row's exponent E (in m) so that this tile's
  // largest |weight| x 2^-E <= 2^14, rescales o by the change (exact), and
  // scales the weights by 2^-E. Infinite or NaN weights are left as they
  // are: they are the result in fp32 too.
  __device__ __forceinline__ static void scale_weights(float (&s)[kMT][kNB][4],
                                                       float (&m)[kMT][2],
                                                       float (&o)[kMT][kDB][4]) {
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float amax = 0.f;
#pragma unroll
        for (int nb = 0; nb < kNB; ++nb)
          amax = fmaxf(amax, fmaxf(fabsf(s[mt][nb][2 * h]), fabsf(s[mt][nb][2 * h + 1])));
        amax = quad_max(amax);
        if (amax < __int_as_float(0x7f800000) && amax > exp2f(m[mt][h] + 14.f)) { // finite
          const float e_new = ceilf(log2f(amax)) - 14.f;
          const float factor = exp2f(m[mt][h] - e_new);
#pragma unroll
          for (int db = 0; db < kDB; ++db) {
            o[mt][db][2 * h] *= factor;
            o[mt][db][2 * h + 1] *= factor;
          }
          m[mt][h] = e_new;
        }
        const float scale = exp2f(-m[mt][h]);
#pragma unroll
        for (int nb = 0; nb < kNB; ++nb) {
          s[mt][nb][2 * h] *= scale;
          s[mt][nb][2 * h + 1] *= scale;
        }
      }
  }

  __device__ __forceinline__ static bool kept(const Params &params, const ItemInfo &item,
                                              const Rows &rows, int mt, int h, int key) {
    if constexpr (V::kHasMask)
      return V::mask(params, rows.q_idx[mt][h], key, rows.head[mt][h], item.kv_head,
                     item.request, item.q_len, item.kv_len);
    else
      return true;
  }

  // The logits hook in the x domain: it sees the scaled score.
  __device__ __forceinline__ static float logit_of(const Params &params, const ItemInfo &item,
                                                   const Rows &rows, int mt, int h, int key,
                                                   float acc) {
    return V::logits(params, acc * V::kScale, rows.q_idx[mt][h], key, rows.head[mt][h],
                     item.kv_head, item.request, item.q_len, item.kv_len);
  }

  // Decode: folds the WARPS_N per-warp states of the same rows (softmax:
  // rescale each by exp2((m_w - M) c); none: plain sums). On return every
  // warp's m/l hold the combined, quad-reduced values, and o[.][j] of the
  // warps that write (kSplitCombine: all, each its n-blocks; else warp 0)
  // holds the sum of n-block wn * kCombineDB + j (or j).
  __device__ __forceinline__ static void combine_warps(char *smem, int wn, int lane,
                                                       float (&o)[kMT][kDB][4],
                                                       float (&m)[kMT][2], float (&l)[kMT][2]) {
    float *cm = (float *)smem;
    float *cl = cm + WARPS_N * BLOCK_M;
    float *co = cl + WARPS_N * BLOCK_M;
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        l[mt][h] = quad_sum(l[mt][h]);
        const int r = mt * 16 + lane / 4 + 8 * h;
        if (lane % 4 == 0) {
          cm[wn * BLOCK_M + r] = m[mt][h];
          cl[wn * BLOCK_M + r] = l[mt][h];
        }
      }
    __syncthreads();
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int r = mt * 16 + lane / 4 + 8 * h;
        float factor = 1.f;
        if constexpr (V::kSoftmax) {
          float M = neg_inf();
#pragma unroll
          for (int w = 0; w < WARPS_N; ++w)
            M = fmaxf(M, cm[w * BLOCK_M + r]);
          const float mref = M == neg_inf() ? 0.f : M; // softmax.cuh: (x - m) * c
          float L = 0.f;
#pragma unroll
          for (int w = 0; w < WARPS_N; ++w)
            L += cl[w * BLOCK_M + r] * fast_exp2((cm[w * BLOCK_M + r] - mref) * kC);
          factor = fast_exp2((m[mt][h] - mref) * kC);
          m[mt][h] = M;
          l[mt][h] = L;
        } else {
          float L = 0.f;
#pragma unroll
          for (int w = 0; w < WARPS_N; ++w)
            L += cl[w * BLOCK_M + r];
          l[mt][h] = L;
          if constexpr (kScaleWeights) { // bring every warp's o to the largest E
            float E = cm[r];
#pragma unroll
            for (int w = 1; w < WARPS_N; ++w)
              E = fmaxf(E, cm[w * BLOCK_M + r]);
            factor = exp2f(m[mt][h] - E);
            m[mt][h] = E;
          }
        }
        float *row = co + (wn * BLOCK_M + r) * kCombineStride + 2 * (lane % 4);
#pragma unroll
        for (int db = 0; db < kDB; ++db)
          *(float2 *)(row + db * 8) =
              make_float2(o[mt][db][2 * h] * factor, o[mt][db][2 * h + 1] * factor);
      }
    __syncthreads();
    if (kSplitCombine || wn == 0) {
      const float *mine = co + (kSplitCombine ? wn * kCombineDB * 8 : 0) + 2 * (lane % 4);
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int r = mt * 16 + lane / 4 + 8 * h;
#pragma unroll
          for (int j = 0; j < kCombineDB; ++j) {
            float2 acc = make_float2(0.f, 0.f);
#pragma unroll
            for (int w = 0; w < WARPS_N; ++w) { // in warp order, as before the split
              const float2 v = *(const float2 *)(mine + (w * BLOCK_M + r) * kCombineStride + j * 8);
              acc.x += v.x;
              acc.y += v.y;
            }
            o[mt][j][2 * h] = acc.x;
            o[mt][j][2 * h + 1] = acc.y;
          }
        }
    }
  }

  // Final (or partial) results of this warp's rows, straight from the C
  // fragments: each quad writes 8 consecutive dims of a row per n-block.
  // o[.][j] is n-block db0 + j, j < kNumDB (a split combine's share); the
  // rows' LSEs are written only when write_lse (by one warp of a split).
  template <bool kReduced, int kNumDB = kDB>
  __device__ __forceinline__ static void
  write_rows(const AttnArgs &args, const Params &params, const ItemInfo &item, const Rows &rows,
             int wm, int lane, float (&o)[kMT][kDB][4], float (&m)[kMT][2], float (&l)[kMT][2],
             int db0 = 0, bool write_lse = true) {
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const float lsum = kReduced ? l[mt][h] : quad_sum(l[mt][h]);
        const int p = wm * kWarpRows + mt * 16 + lane / 4 + 8 * h;
        if (p >= item.num_rows)
          continue;
        // A row with no kept key (l == 0) yields 0 and LSE -inf, no hook.
        // normalize = none has no kept-key count: a zero weight sum stands in.
        // A NaN sum is not "no key": it propagates to the output and LSE.
        const bool has = lsum != 0.f;
        const float inv = V::kSoftmax ? (has ? 1.f / lsum : 0.f)
                                      : (kScaleWeights ? exp2f(m[mt][h]) : 1.f);
        const float lse = V::kSoftmax ? softmax_lse(m[mt][h], lsum, kC)
                                      : (has ? __logf(lsum) : neg_inf());
        const int r = p / G;
        const int head = rows.head[mt][h];
        const int64_t qrow = (int64_t)item.q_row0 + item.q_begin + r;
        if (item.partial_slot >= 0) {
          const int64_t slot = (int64_t)item.partial_slot + p;
          const int64_t dst = slot * DVO + db0 * 8 + 2 * (lane % 4); // elements of partial_o
#pragma unroll
          for (int j = 0; j < kNumDB; ++j)
            PartialO<V>::store2(args.partial_o, dst + j * 8, o[mt][j][2 * h] * inv,
                                o[mt][j][2 * h + 1] * inv);
          if (write_lse && lane % 4 == 0)
            args.partial_lse[slot] = lse;
        } else {
          DT *dst = (DT *)args.o + qrow * args.o_stride_row + (int64_t)head * args.o_stride_head +
                    db0 * 8 + 2 * (lane % 4);
#pragma unroll
          for (int j = 0; j < kNumDB; ++j) {
            float v0 = o[mt][j][2 * h] * inv, v1 = o[mt][j][2 * h + 1] * inv;
            if constexpr (V::kHasOutput) {
              if (has) {
                const int d = (db0 + j) * 8 + 2 * (lane % 4);
                v0 = V::output(params, v0, d, rows.q_idx[mt][h], head, item.kv_head, item.request,
                               item.q_len, item.kv_len);
                v1 = V::output(params, v1, d + 1, rows.q_idx[mt][h], head, item.kv_head,
                               item.request, item.q_len, item.kv_len);
              }
            }
            *(uint32_t *)(dst + j * 8) = pack2<DT>(v0, v1);
          }
          if (write_lse && args.lse != nullptr && lane % 4 == 0)
            args.lse[qrow * V::kNumQHeads + head] = lse;
        }
      }
  }
};

} // namespace attn_kernels

#endif
