//===- Batch.h - A batch of requests, as an engine already holds it -*- C++ -*-===//
//
// The host-side metadata of one attention call (lengths, page table, block
// sparsity) plus the device tensors. Planning reads only the host metadata:
// attnrt never copies anything device -> host to plan. The index arrays are
// uploaded by the runtime into its own device buffers.
//
// validateBatch checks everything a kernel would otherwise trust, so bad
// input is an error Status, never a GPU fault. Pure host code.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_BATCH_H
#define ATTNRT_BATCH_H

#include "attnrt/Manifest.h"
#include "attnrt/Status.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace attnrt {

// A device address, as the driver API's CUdeviceptr (kept as an integer so
// host-only code and tests need no cuda.h).
using DevPtr = uint64_t;

// A non-owning view of a host array (C++17 has no std::span).
template <typename T> struct Span {
  const T *data = nullptr;
  size_t size = 0;
  Span() = default;
  Span(const T *d, size_t n) : data(d), size(n) {}
  Span(const std::vector<T> &v) : data(v.data()), size(v.size()) {}
  Span(std::vector<T> &&) = delete; // would dangle: keep the vector alive
  bool empty() const { return size == 0; }
  const T &operator[](size_t i) const { return data[i]; }
};

// Host metadata. B = batchSize. Query rows of request b are global rows
// [qIndptr[b], qIndptr[b+1]); they are aligned to the end of its keys
// (q_idx = kv_len - q_len + i), so kv_len >= q_len.
struct BatchDesc {
  int32_t batchSize = 0;
  Span<int32_t> qIndptr; // [B+1], non-decreasing, qIndptr[0] >= 0
  // [B] keys per request. Required for paged and when kvIndptr is absent;
  // for contiguous/ragged/block_sparse it may be omitted and is then derived
  // from kvIndptr (if both are given they must agree).
  Span<int32_t> kvLens;
  // [B+1]. contiguous/ragged/block_sparse: token offsets of each request in
  // k/v (optional: the dense prefix sum of kvLens when empty).
  // paged: page offsets into pageIndices (required).
  Span<int32_t> kvIndptr;

  // Paged only: request b owns pages pageIndices[kvIndptr[b] .. kvIndptr[b+1]),
  // exactly ceil(kv_len / page_size) of them, each in [0, numPages).
  Span<int32_t> pageIndices;
  int32_t numPages = 0; // pages in the k/v pools

  // Block sparse only (block_q x block_kv blocks of query rows x keys): query
  // block row r of request b is bsrRowOffsets[b] + r (r < ceil(q_len/block_q));
  // its kept key blocks are bsrIndices[bsrIndptr[row] .. bsrIndptr[row+1]),
  // strictly increasing, each in [0, ceil(kv_len / block_kv)).
  Span<int32_t> bsrRowOffsets; // [B]
  Span<int32_t> bsrIndptr;     // [rows + 1], non-decreasing
  Span<int32_t> bsrIndices;
};

// Device tensors; strides in elements of the variant's dtype.
// q, o: [total_q, num_q_heads, head_dim]. k, v: [total_kv, num_kv_heads,
// head_dim], or for paged [num_pages, page_size, num_kv_heads, head_dim].
struct DeviceTensors {
  DevPtr q = 0, k = 0, v = 0, o = 0;
  DevPtr lse = 0; // optional: float [total_q][num_q_heads], contiguous
  int64_t qStrideRow = 0, qStrideHead = 0;
  int64_t oStrideRow = 0, oStrideHead = 0;
  int64_t kvStridePage = 0; // K; paged only
  int64_t kvStrideRow = 0, kvStrideHead = 0; // K
  // V's own strides (with head_dim_qk != head_dim_vo the rows differ in size).
  int64_t vStridePage = 0; // paged only
  int64_t vStrideRow = 0, vStrideHead = 0;
};
// Strides of densely packed tensors of this manifest's shape.
DeviceTensors denseTensors(const Manifest &m, DevPtr q, DevPtr k, DevPtr v,
                           DevPtr o, DevPtr lse = 0);

// What validation derives, and what the planner and uploads need.
struct BatchInfo {
  std::vector<int32_t> qIndptr;        // [B+1] as given
  std::vector<int32_t> qLens;          // [B]
  std::vector<int32_t> kvLens;         // [B]
  std::vector<int32_t> kvIndptr;       // [B+1] as given, or derived (tokens / pages)
  std::vector<int32_t> kvTokenOffsets; // [B+1] dense prefix sum of kvLens: params slot 0
  int64_t totalQ = 0;                  // qIndptr[B]
  int64_t totalKvTokens = 0;           // sum of kvLens (the "tokens" domain)
};

// Validates the host metadata against the manifest's layout: sizes, monotone
// indptrs, kv_len >= q_len >= 0, int32 ranges, page counts and indices, BSR
// structure. On success fills *info.
Status validateBatch(const Manifest &m, const BatchDesc &batch, BatchInfo *info);

// Non-null q/k/v/o (when there is anything to compute), positive strides,
// paged stride when paged.
Status validateTensors(const Manifest &m, const BatchInfo &info,
                       const DeviceTensors &t);

} // namespace attnrt

#endif // ATTNRT_BATCH_H
