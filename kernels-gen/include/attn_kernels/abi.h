/*===- abi.h - The contract between attnrt and the generated kernels ------===*
 *
 * Plain C, included by three parties that must agree byte for byte:
 *  - the kernel templates (compiled by NVRTC, which has no <stdint.h>),
 *  - the runtime (host C++, fills these structs and passes them by value),
 *  - the code generator (which records ATTN_ABI_VERSION in every manifest).
 * Change a field and you must bump ATTN_ABI_VERSION.
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTN_KERNELS_ABI_H
#define ATTN_KERNELS_ABI_H

#if defined(__CUDACC_RTC__)
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#else
#include <stdint.h>
#endif

#define ATTN_ABI_VERSION 3

/* Layout codes, as in the manifest's "kv_layout". */
#define ATTN_KV_CONTIGUOUS 0
#define ATTN_KV_RAGGED 1
#define ATTN_KV_PAGED 2
#define ATTN_KV_BLOCK_SPARSE 3

/* One unit of work for one CTA: query rows [q_begin, q_end) of one request,
 * all `group` query heads of one KV head (packed into the tile's rows:
 * packed row p <-> query row q_begin + p / group, head kv_head*group + p % group),
 * over keys [kv_begin, kv_end).
 * partial_slot < 0: the item covers every key of its rows and writes the final
 * output (and LSE). partial_slot >= 0: it writes un-finalized partial states
 * for row r and group head g to slot partial_slot + (r - q_begin) * group + g,
 * and the merge items of its merge group (merge_group >= 0) later combine the
 * slots: the CTA that finishes the group's last item merges them (fused merge,
 * no second launch).
 * The last four fields repeat the request's batch metadata (the planner has
 * it on the host), so a CTA's first page lookup waits for one load (the item)
 * instead of two (the item, then q_indptr / kv_lens / kv_indptr): each is a
 * DRAM miss at the start of a launch, and decode of one long request is
 * short enough for that chain to show (ABI 3). */
typedef struct AttnWorkItem {
  int32_t request; /* -1: no item (an idle CTA's first slot) */
  int32_t kv_head;
  int32_t q_begin;
  int32_t q_end;
  int32_t kv_begin;
  int32_t kv_end;
  int32_t partial_slot;
  int32_t merge_group; /* -1 when partial_slot < 0 */
  int32_t q_row0;      /* q_indptr[request] */
  int32_t q_len;       /* q_indptr[request + 1] - q_indptr[request] */
  int32_t kv_len;      /* kv_lens[request] */
  int32_t kv_base;     /* kv_indptr[request] */
} AttnWorkItem;

/* Combines the partial states of one (query row, head): slots
 * first_slot + c * slot_stride for c in [0, num_slots), in that order (so the
 * result does not depend on which chunk finished first). */
typedef struct AttnMergeItem {
  int32_t q_row; /* global query row: q_indptr[request] + row */
  int32_t head;  /* query head */
  int32_t request;
  int32_t first_slot;
  int32_t slot_stride;
  int32_t num_slots;
  int32_t reserved[2];
} AttnMergeItem;

/* Everything a launch needs besides the variant's params. All strides are in
 * elements (of the variant's dtype), all index arrays live in device memory. */
typedef struct AttnArgs {
  /* Queries and outputs: [total_q, num_q_heads, head_dim], rows of request b
   * start at q_indptr[b]. */
  const void *q;
  int64_t q_stride_row;
  int64_t q_stride_head;
  void *o;
  int64_t o_stride_row;
  int64_t o_stride_head;
  float *lse; /* [total_q][num_q_heads], contiguous; may be NULL */
  const int32_t *q_indptr; /* [batch + 1] */

  /* Keys and values.
   *  contiguous, ragged, block_sparse: [rows, num_kv_heads, head_dim];
   *    token j of request b is row kv_indptr[b] + j. Ragged and block-sparse
   *    rows are exactly the keys (kv_indptr[b+1] - kv_indptr[b] == kv_lens[b]);
   *    contiguous is one [batch, capacity] buffer whose rows may be longer
   *    than the request's keys (kv_lens[b] <= kv_indptr[b+1] - kv_indptr[b]).
   *  With head_dim_qk == head_dim_vo the V strides must equal the K strides
   *  (attnrt checks): the kernels then compute one row offset for both.
   *  paged: a pool [num_pages, page_size, num_kv_heads, head_dim]; token j of
   *    request b is in page kv_page_indices[kv_indptr[b] + j / page_size],
   *    at position j % page_size. */
  const void *k;
  const void *v;
  int64_t kv_stride_page; /* K: paged only */
  int64_t kv_stride_row;  /* K */
  int64_t kv_stride_head; /* K */
  /* V has its own strides: with head_dim_qk != head_dim_vo (192 : 128) the
   * two pools have different row sizes. */
  int64_t v_stride_page;  /* paged only */
  int64_t v_stride_row;
  int64_t v_stride_head;
  const int32_t *kv_indptr;        /* [batch + 1] token offsets, or page offsets when paged */
  const int32_t *kv_page_indices;  /* paged only */
  const int32_t *kv_lens;          /* [batch] keys of each request (all layouts) */

  /* Block sparse (block_q x block_kv blocks over query rows x keys): query
   * block row r of request b is bsr_row_offsets[b] + r; its kept key blocks
   * are bsr_indices[bsr_indptr[row] .. bsr_indptr[row + 1]). */
  const int32_t *bsr_row_offsets; /* [batch] */
  const int32_t *bsr_indptr;
  const int32_t *bsr_indices;

  /* Work. The grid is persistent and its size fixed by the runtime: CTA c
   * runs work[c] first (its address needs no load; request = -1 when the CTA
   * has nothing to do), then work[cta_work_indptr[c] .. cta_work_indptr[c + 1])
   * in order (gridDim.x + 1 entries, each >= gridDim.x; all in device memory,
   * so a CUDA graph captured once replays every later plan). */
  const AttnWorkItem *work;
  const int32_t *cta_work_indptr;
  void *partial_o;    /* [slots][head_dim_vo]: DType for softmax variants,
                       * float for normalize = none (merge.cuh PartialO);
                       * the runtime sizes it for float */
  float *partial_lse; /* [slots] */
  /* Split keys: merge group g (every chunk item of one query tile and KV
   * head) owns merge[merge_group_indptr[g] .. merge_group_indptr[g + 1]).
   * merge_counters[g] counts the group's finished items; the CTA that
   * finishes the last one merges the group and resets the counter to 0, so
   * the counters are zero between launches. */
  const AttnMergeItem *merge;
  const int32_t *merge_group_indptr;
  int32_t *merge_counters;
  int32_t batch_size;
  /* ATTN_ARGS_* bits below; 0 is the behaviour of the kernels before the
   * field had a name (it was `reserved`, always 0), so old artifacts and old
   * runtimes still agree with new ones and the ABI version stays. */
  int32_t flags;
} AttnArgs;

/* AttnArgs::flags: the launch is programmatic (attnrt's programmatic
 * launch), so each CTA may wait a while for the kernel ahead of it; decode
 * kernels then ask L2 for their first key tiles before that wait (an L2
 * prefetch reads nothing into the CTA, so it is safe on bytes that kernel is
 * still writing). */
#define ATTN_ARGS_PREFETCH_BEFORE_WAIT 1

/* The merge-states kernel (kind "merge"; attnrt::mergeStates): combines two
 * attention states (o, lse) of the same rows over disjoint key sets into
 * out (may alias a). o tensors [rows, num_q_heads, head_dim_vo] in the
 * variant's dtype, lse float [rows][num_q_heads] contiguous. */
typedef struct AttnMergeStatesArgs {
  const void *o_a;
  const float *lse_a;
  const void *o_b;
  const float *lse_b;
  void *o_out;
  float *lse_out; /* may be NULL */
  int64_t o_stride_row;
  int64_t o_stride_head;
  int64_t rows;
} AttnMergeStatesArgs;

#endif /* ATTN_KERNELS_ABI_H */
