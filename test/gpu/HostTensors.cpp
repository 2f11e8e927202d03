//===- HostTensors.cpp - Reference problems as the GPU sees them ----------===//
#include "HostTensors.h"

#include "attn_kernels/abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace attn::gputest {

uint16_t toBits(double x, bool bf16) {
  float f = static_cast<float>(x);
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if (bf16)
    return static_cast<uint16_t>(b >> 16); // exact: x is a bf16 value
  uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000);
  int exp = static_cast<int>((b >> 23) & 0xff);
  uint32_t mant = b & 0x7fffff;
  if (exp == 0xff)
    return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp == 0 && mant == 0)
    return sign;
  int e = exp - 127;
  if (e >= -14)
    return static_cast<uint16_t>(sign | ((e + 15) << 10) | (mant >> 13));
  // A half subnormal: value = m * 2^-24.
  uint32_t full = 0x800000 | mant;
  return static_cast<uint16_t>(sign | (full >> (13 + (-14 - e))));
}

double fromBits(uint16_t bits, bool bf16) {
  if (bf16) {
    uint32_t b = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  int sign = bits & 0x8000 ? -1 : 1;
  int exp = (bits >> 10) & 0x1f;
  int mant = bits & 0x3ff;
  if (exp == 0x1f)
    return mant ? std::nan("") : sign * INFINITY;
  if (exp == 0)
    return sign * std::ldexp(mant, -24);
  return sign * std::ldexp(1024 + mant, exp - 25);
}

namespace {

void convert(const std::vector<double> &from, std::vector<uint16_t> &to, bool bf16) {
  to.resize(from.size());
  for (size_t i = 0; i < from.size(); ++i)
    to[i] = toBits(from[i], bf16);
}

/// Copies token rows (each `rowElems` long) of one request into `dst` rows.
void copyRows(const std::vector<double> &src, int64_t srcRow, int64_t rows, int64_t rowElems,
              std::vector<uint16_t> &dst, int64_t dstRow, bool bf16) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < rowElems; ++e)
      dst[(dstRow + r) * rowElems + e] = toBits(src[(srcRow + r) * rowElems + e], bf16);
}

} // namespace

LayoutData layoutHeader(const std::vector<int64_t> &qLens, const std::vector<int64_t> &kvLens,
                        const Shape &s, int layout, int64_t pageSize) {
  LayoutData d;
  d.layout = layout;
  d.pageSize = pageSize;
  d.qIndptr.push_back(0);
  for (size_t b = 0; b < qLens.size(); ++b) {
    d.qIndptr.push_back(d.qIndptr.back() + static_cast<int32_t>(qLens[b]));
    d.kvLens.push_back(static_cast<int32_t>(kvLens[b]));
  }
  d.totalQ = d.qIndptr.back();
  d.qStrideRow = s.numQHeads * s.dimQK;
  d.qStrideHead = s.dimQK;
  d.oStrideRow = s.numQHeads * s.dimVO;
  d.oStrideHead = s.dimVO;
  d.kStrideRow = s.numKVHeads * s.dimQK;
  d.kStrideHead = s.dimQK;
  d.vStrideRow = s.numKVHeads * s.dimVO;
  d.vStrideHead = s.dimVO;
  return d;
}

void layOutPages(LayoutData &d, std::mt19937_64 &rng,
                 const std::function<void(size_t, int64_t, int64_t, int64_t)> &fillRows) {
  const int64_t pageSize = d.pageSize;
  const size_t batch = d.kvLens.size();
  std::vector<int32_t> pagesOf(batch);
  int32_t needed = 0;
  for (size_t b = 0; b < batch; ++b) {
    pagesOf[b] = static_cast<int32_t>((d.kvLens[b] + pageSize - 1) / pageSize);
    needed += pagesOf[b];
  }
  d.numPages = needed + 3;
  std::vector<int32_t> perm(d.numPages);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  d.kStridePage = pageSize * d.kStrideRow;
  d.vStridePage = pageSize * d.vStrideRow;
  d.k.assign(static_cast<size_t>(d.numPages * d.kStridePage), 0x7fff);
  d.v.assign(static_cast<size_t>(d.numPages * d.vStridePage), 0x7fff);
  d.kvIndptr.push_back(0);
  int32_t next = 0;
  for (size_t b = 0; b < batch; ++b) {
    for (int32_t pg = 0; pg < pagesOf[b]; ++pg) {
      int32_t page = perm[next++];
      d.pageIndices.push_back(page);
      int64_t first = int64_t(pg) * pageSize;
      fillRows(b, first, std::min<int64_t>(pageSize, d.kvLens[b] - first), page);
    }
    d.kvIndptr.push_back(d.kvIndptr.back() + pagesOf[b]);
  }
}

PagedSlot pagedSlot(const LayoutData &d, size_t b, int64_t j) {
  return {d.pageIndices[size_t(d.kvIndptr[b] + j / d.pageSize)], j % d.pageSize};
}

LayoutData layOut(const ref::Problem &p, const Shape &s, int layout, int64_t pageSize,
                  std::mt19937_64 &rng) {
  LayoutData d = layoutHeader(p.qLens, p.kvLens, s, layout, pageSize);
  size_t batch = p.qLens.size();
  convert(p.q, d.q, s.bf16);
  int64_t kRow = d.kStrideRow, vRow = d.vStrideRow;

  std::vector<int64_t> kvStart(batch, 0);
  for (size_t b = 1; b < batch; ++b)
    kvStart[b] = kvStart[b - 1] + p.kvLens[b - 1];

  if (layout == ATTN_KV_PAGED) {
    layOutPages(d, rng, [&](size_t b, int64_t first, int64_t rows, int64_t page) {
      copyRows(p.k, kvStart[b] + first, rows, kRow, d.k, page * pageSize, s.bf16);
      copyRows(p.v, kvStart[b] + first, rows, vRow, d.v, page * pageSize, s.bf16);
    });
  } else if (layout == ATTN_KV_CONTIGUOUS) {
    // One [batch, max_kv] buffer, padded with NaN bits the kernels must not read.
    int64_t maxKV = 0;
    for (int64_t l : p.kvLens)
      maxKV = std::max(maxKV, l);
    d.k.assign(static_cast<size_t>(batch * maxKV * kRow), 0x7fff);
    d.v.assign(static_cast<size_t>(batch * maxKV * vRow), 0x7fff);
    for (size_t b = 0; b < batch; ++b) {
      d.kvIndptr.push_back(static_cast<int32_t>(b * maxKV));
      copyRows(p.k, kvStart[b], p.kvLens[b], kRow, d.k, b * maxKV, s.bf16);
      copyRows(p.v, kvStart[b], p.kvLens[b], vRow, d.v, b * maxKV, s.bf16);
    }
    d.kvIndptr.push_back(static_cast<int32_t>(batch * maxKV));
  } else {
    // Ragged (and block-sparse, whose KV is ragged): rows back to back.
    convert(p.k, d.k, s.bf16);
    convert(p.v, d.v, s.bf16);
    d.kvIndptr.push_back(0);
    for (size_t b = 0; b < batch; ++b)
      d.kvIndptr.push_back(d.kvIndptr.back() + static_cast<int32_t>(p.kvLens[b]));
  }
  for (int64_t x : p.bsrRowOffsets)
    d.bsrRowOffsets.push_back(static_cast<int32_t>(x));
  for (int64_t x : p.bsrIndptr)
    d.bsrIndptr.push_back(static_cast<int32_t>(x));
  for (int64_t x : p.bsrIndices)
    d.bsrIndices.push_back(static_cast<int32_t>(x));
  return d;
}

} // namespace attn::gputest
