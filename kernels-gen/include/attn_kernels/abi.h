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

#define ATTN_ABI_VERSION 1

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
 * and a merge item later combines the slots. */
typedef struct AttnWorkItem {
  int32_t request;
  int32_t kv_head;
  int32_t q_begin;
  int32_t q_end;
  int32_t kv_begin;
  int32_t kv_end;
  int32_t partial_slot;
  int32_t reserved;
} AttnWorkItem;

/* Combines the partial states of one (query row, head): slots
 * first_slot + c * slot_stride for c in [0, num_slots). */
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

  /* Work. */
  const AttnWorkItem *work;
  int32_t num_work;
  int32_t batch_size;
  float *partial_o;   /* [slots][head_dim_vo] */
  float *partial_lse; /* [slots] */
  const AttnMergeItem *merge;
  int32_t num_merge;
  int32_t reserved;
} AttnArgs;

#endif /* ATTN_KERNELS_ABI_H */
