//===- HostTensors.h - Reference problems as the GPU sees them --*- C++ -*-===//
//
// Turns a reference Problem (doubles already rounded to the variant's dtype)
// into the bytes and index arrays one KV layout needs, and back. Shared by
// the GPU tests and the benchmark.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_GPU_HOSTTENSORS_H
#define ATTN_TEST_GPU_HOSTTENSORS_H

#include "attn/Reference/Evaluator.h"

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace attn::gputest {

/// dtype bits <-> value. Inputs are exactly representable, so these are exact.
uint16_t toBits(double x, bool bf16);
double fromBits(uint16_t bits, bool bf16);

/// Everything one layout needs on the host, ready to upload.
struct LayoutData {
  int layout = 0;  ///< ATTN_KV_* code
  int64_t pageSize = 0;
  std::vector<uint16_t> q, k, v;  ///< dtype bits
  std::vector<int32_t> qIndptr, kvLens, kvIndptr, pageIndices;
  int32_t numPages = 0;
  std::vector<int32_t> bsrRowOffsets, bsrIndptr, bsrIndices;
  int64_t qStrideRow = 0, qStrideHead = 0, oStrideRow = 0, oStrideHead = 0;
  int64_t kStridePage = 0, kStrideRow = 0, kStrideHead = 0;
  int64_t vStridePage = 0, vStrideRow = 0, vStrideHead = 0;
  int64_t totalQ = 0;
};

struct Shape {
  int64_t numQHeads, numKVHeads, dimQK, dimVO;
  bool bf16;
};

/// What every layout shares: q rows and KV lengths per request, the dense
/// row and head strides of Q, O, K and V (a KV row holds every KV head).
LayoutData layoutHeader(const std::vector<int64_t> &qLens, const std::vector<int64_t> &kvLens,
                        const Shape &s, int layout, int64_t pageSize);

/// Paged K/V for d's KV lengths: each request's tokens on randomly permuted
/// pages, with 3 spare pages (so indices are not simply 0..n-1) and every
/// row NaN bits until written. fillRows(request, first, rows, page) writes
/// the request's token rows [first, first + rows) to the start of `page`.
void layOutPages(LayoutData &d, std::mt19937_64 &rng,
                 const std::function<void(size_t request, int64_t first, int64_t rows,
                                          int64_t page)> &fillRows);

/// Where paged layout `d` keeps request b's token j: its page and the row
/// within that page.
struct PagedSlot {
  int64_t page, row;
};
PagedSlot pagedSlot(const LayoutData &d, size_t b, int64_t j);

/// Lays out `p` for `layout`. Contiguous uses one padded [batch, max_kv]
/// buffer; paged scatters each request's tokens over randomly permuted pages
/// (with spare pages, so indices are not simply 0..n-1).
LayoutData layOut(const ref::Problem &p, const Shape &s, int layout, int64_t pageSize,
                  std::mt19937_64 &rng);

} // namespace attn::gputest

#endif
