//===- Batch.cpp - Validation of the host batch metadata ------------------===//
//
// Everything the kernels index with is checked here, in 64-bit arithmetic, so
// that no input can make a kernel read out of bounds. Messages name the array,
// the request and the values, because the caller is usually debugging an
// engine's page table at the time.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Batch.h"

#include "Guard.h"

#include <climits>

namespace attnrt {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Size and monotonicity of an indptr of n+1 entries.
Status checkIndptr(const char *name, Span<int32_t> a, int64_t n) {
  if (static_cast<int64_t>(a.size) < n + 1)
    return invalidArgument(std::string(name) + " has " + str(a.size) + " entries, needs " +
                           str(n + 1) + " (batch_size + 1)");
  if (!a.data)
    return invalidArgument(std::string(name) + " is null");
  if (a[0] < 0)
    return invalidArgument(std::string(name) + "[0] is " + str(a[0]) + ", must be >= 0");
  for (int64_t i = 0; i < n; ++i)
    if (a[i + 1] < a[i])
      return invalidArgument(std::string(name) + " is not non-decreasing: [" + str(i) +
                             "] = " + str(a[i]) + " > [" + str(i + 1) + "] = " +
                             str(a[i + 1]));
  return Status::Ok();
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

Status validatePaged(const Manifest &m, const BatchDesc &d, const BatchInfo &info) {
  const int64_t B = d.batchSize;
  if (d.kvIndptr.empty())
    return invalidArgument("paged layout: kv_indptr (page offsets, [batch_size + 1]) is required");
  ATTNRT_RETURN_IF_ERROR(checkIndptr("kv_indptr (page offsets)", d.kvIndptr, B));
  int64_t usedPages = d.kvIndptr[B];
  if (static_cast<int64_t>(d.pageIndices.size) < usedPages)
    return invalidArgument("page_indices has " + str(d.pageIndices.size) +
                           " entries but kv_indptr[batch_size] = " + str(usedPages));
  if (usedPages > 0 && !d.pageIndices.data)
    return invalidArgument("page_indices is null");
  if (d.numPages < 0)
    return invalidArgument("num_pages is " + str(d.numPages));
  for (int64_t b = 0; b < B; ++b) {
    int64_t have = int64_t(d.kvIndptr[b + 1]) - d.kvIndptr[b];
    int64_t need = ceilDiv(info.kvLens[b], m.pageSize);
    if (have != need)
      return invalidArgument("request " + str(b) + " has " + str(have) + " pages but kv_len " +
                             str(info.kvLens[b]) + " with page_size " + str(m.pageSize) +
                             " needs " + str(need));
    for (int64_t i = d.kvIndptr[b]; i < d.kvIndptr[b + 1]; ++i)
      if (d.pageIndices[i] < 0 || d.pageIndices[i] >= d.numPages)
        return invalidArgument("request " + str(b) + ": page_indices[" + str(i) + "] = " +
                               str(d.pageIndices[i]) + " is out of range [0, " +
                               str(d.numPages) + ")");
  }
  return Status::Ok();
}

Status validateBlockSparse(const Manifest &m, const BatchDesc &d, const BatchInfo &info) {
  const int64_t B = d.batchSize;
  if (static_cast<int64_t>(d.bsrRowOffsets.size) < B || (B > 0 && !d.bsrRowOffsets.data))
    return invalidArgument("block_sparse: bsr_row_offsets has " + str(d.bsrRowOffsets.size) +
                           " entries, needs " + str(B) + " (batch_size)");
  int64_t numRows = static_cast<int64_t>(d.bsrIndptr.size) - 1;
  if (numRows >= 0 && !d.bsrIndptr.data)
    return invalidArgument("block_sparse: bsr_indptr is null");
  if (numRows >= 0)
    ATTNRT_RETURN_IF_ERROR(checkIndptr("bsr_indptr", d.bsrIndptr, numRows));
  int64_t numIdx = numRows >= 0 ? d.bsrIndptr[numRows] : 0;
  if (static_cast<int64_t>(d.bsrIndices.size) < numIdx)
    return invalidArgument("bsr_indices has " + str(d.bsrIndices.size) +
                           " entries but bsr_indptr ends at " + str(numIdx));
  if (numIdx > 0 && !d.bsrIndices.data)
    return invalidArgument("bsr_indices is null");
  for (int64_t b = 0; b < B; ++b) {
    int64_t rows = ceilDiv(info.qLens[b], m.blockQ);
    int64_t first = d.bsrRowOffsets[b];
    if (rows == 0)
      continue;
    if (first < 0 || first + rows > numRows)
      return invalidArgument("request " + str(b) + ": its " + str(rows) +
                             " query block rows start at bsr_row_offsets[" + str(b) +
                             "] = " + str(first) + ", outside the " +
                             str(numRows < 0 ? 0 : numRows) +
                             " rows of bsr_indptr");
    int64_t keyBlocks = ceilDiv(info.kvLens[b], m.blockKV);
    for (int64_t r = first; r < first + rows; ++r) {
      for (int64_t i = d.bsrIndptr[r]; i < d.bsrIndptr[r + 1]; ++i) {
        int64_t blk = d.bsrIndices[i];
        if (blk < 0 || blk >= keyBlocks)
          return invalidArgument("request " + str(b) + ", block row " + str(r - first) +
                                 ": bsr_indices[" + str(i) + "] = " + str(blk) +
                                 " is out of range [0, " + str(keyBlocks) + ")");
        // Strictly increasing: a repeated block would count its keys twice.
        if (i > d.bsrIndptr[r] && blk <= d.bsrIndices[i - 1])
          return invalidArgument("request " + str(b) + ", block row " + str(r - first) +
                                 ": bsr_indices must be strictly increasing, [" +
                                 str(i - 1) + "] = " + str(d.bsrIndices[i - 1]) + ", [" +
                                 str(i) + "] = " + str(blk));
      }
    }
  }
  return Status::Ok();
}

} // namespace

static Status validateBatchImpl(const Manifest &m, const BatchDesc &d, BatchInfo *out) {
  if (!out)
    return invalidArgument("validateBatch: null output");
  const int64_t B = d.batchSize;
  if (B < 0)
    return invalidArgument("batch_size is " + str(B) + ", must be >= 0");
  BatchInfo info;

  ATTNRT_RETURN_IF_ERROR(checkIndptr("q_indptr", d.qIndptr, B));
  info.totalQ = d.qIndptr[B];
  info.qIndptr.assign(d.qIndptr.data, d.qIndptr.data + B + 1);
  info.qLens.resize(B);
  for (int64_t b = 0; b < B; ++b)
    info.qLens[b] = d.qIndptr[b + 1] - d.qIndptr[b];

  // kv lengths: given, or derived from token offsets.
  const bool paged = m.kvLayout == KvLayout::kPaged;
  if (!d.kvLens.empty() || paged) {
    if (static_cast<int64_t>(d.kvLens.size) < B || (B > 0 && !d.kvLens.data))
      return invalidArgument("kv_lens has " + str(d.kvLens.size) + " entries, needs " +
                             str(B) + " (batch_size)" +
                             (paged ? "; the paged layout requires kv_lens" : ""));
    info.kvLens.assign(d.kvLens.data, d.kvLens.data + B);
  }
  if (!paged) {
    if (d.kvIndptr.empty() && d.kvLens.empty() && B > 0)
      return invalidArgument("either kv_lens or kv_indptr is required");
    if (!d.kvIndptr.empty()) {
      ATTNRT_RETURN_IF_ERROR(checkIndptr("kv_indptr", d.kvIndptr, B));
      std::vector<int32_t> lens(B);
      for (int64_t b = 0; b < B; ++b)
        lens[b] = d.kvIndptr[b + 1] - d.kvIndptr[b];
      // Contiguous: one [batch, capacity] buffer, so kv_indptr gives each
      // request's row of slots and kv_lens how many of them hold keys.
      // Ragged / block-sparse: the rows are exactly the keys.
      bool contiguous = m.kvLayout == KvLayout::kContiguous;
      if (!d.kvLens.empty()) {
        for (int64_t b = 0; b < B; ++b) {
          if (contiguous && lens[b] < info.kvLens[b])
            return invalidArgument("request " + str(b) + " has kv_len " + str(info.kvLens[b]) +
                                   " but only " + str(lens[b]) +
                                   " slots in its contiguous row (kv_indptr)");
          if (!contiguous && lens[b] != info.kvLens[b])
            return invalidArgument("lengths mismatch: request " + str(b) + " has kv_lens = " +
                                   str(info.kvLens[b]) + " but kv_indptr gives " +
                                   str(lens[b]));
        }
      } else {
        info.kvLens = std::move(lens);
      }
    }
  }

  info.kvTokenOffsets.assign(B + 1, 0);
  int64_t tokens = 0;
  for (int64_t b = 0; b < B; ++b) {
    int64_t kv = info.kvLens[b], q = info.qLens[b];
    if (kv < 0)
      return invalidArgument("request " + str(b) + " has kv_len " + str(kv) + " < 0");
    if (kv < q)
      return invalidArgument("request " + str(b) + " has kv_len " + str(kv) + " < q_len " +
                             str(q) + " (queries are aligned to the end of the keys)");
    tokens += kv;
    if (tokens > INT32_MAX)
      return invalidArgument("the batch has more than 2^31-1 keys in total");
    info.kvTokenOffsets[b + 1] = static_cast<int32_t>(tokens);
  }
  info.totalKvTokens = tokens;

  if (paged) {
    ATTNRT_RETURN_IF_ERROR(validatePaged(m, d, info));
    info.kvIndptr.assign(d.kvIndptr.data, d.kvIndptr.data + B + 1);
  } else if (!d.kvIndptr.empty()) {
    info.kvIndptr.assign(d.kvIndptr.data, d.kvIndptr.data + B + 1);
  } else {
    info.kvIndptr = info.kvTokenOffsets;
  }
  if (m.kvLayout == KvLayout::kBlockSparse)
    ATTNRT_RETURN_IF_ERROR(validateBlockSparse(m, d, info));

  *out = std::move(info);
  return Status::Ok();
}

Status validateTensors(const Manifest &m, const BatchInfo &info, const DeviceTensors &t) {
  // The kernels move 16 bytes at a time (cp.async, ldmatrix): base pointers
  // and strides must keep every row 16-byte aligned, or the GPU faults.
  const int64_t vec = 16 / m.dtypeBytes();
  auto checkPtr = [](const char *name, DevPtr p, uint64_t align) -> Status {
    if (p == 0)
      return invalidArgument(std::string(name) + " is null");
    if (p % align != 0)
      return invalidArgument(std::string(name) + " is not " + std::to_string(align) +
                             "-byte aligned");
    return Status::Ok();
  };
  auto checkStride = [&](const char *name, int64_t s) -> Status {
    if (s <= 0)
      return invalidArgument(std::string(name) + " is " + str(s) + ", must be > 0");
    if (s % vec != 0)
      return invalidArgument(std::string(name) + " is " + str(s) + ", must be a multiple of " +
                             str(vec) + " elements (16 bytes)");
    return Status::Ok();
  };
  if (info.totalQ > 0) {
    ATTNRT_RETURN_IF_ERROR(checkPtr("q", t.q, 16));
    ATTNRT_RETURN_IF_ERROR(checkPtr("o", t.o, 16));
    ATTNRT_RETURN_IF_ERROR(checkStride("q_stride_row", t.qStrideRow));
    ATTNRT_RETURN_IF_ERROR(checkStride("q_stride_head", t.qStrideHead));
    ATTNRT_RETURN_IF_ERROR(checkStride("o_stride_row", t.oStrideRow));
    ATTNRT_RETURN_IF_ERROR(checkStride("o_stride_head", t.oStrideHead));
    if (t.lse % 4 != 0)
      return invalidArgument("lse is not 4-byte aligned");
  }
  if (info.totalKvTokens > 0) {
    ATTNRT_RETURN_IF_ERROR(checkPtr("k", t.k, 16));
    ATTNRT_RETURN_IF_ERROR(checkPtr("v", t.v, 16));
    ATTNRT_RETURN_IF_ERROR(checkStride("kv_stride_row", t.kvStrideRow));
    ATTNRT_RETURN_IF_ERROR(checkStride("kv_stride_head", t.kvStrideHead));
    ATTNRT_RETURN_IF_ERROR(checkStride("v_stride_row", t.vStrideRow));
    ATTNRT_RETURN_IF_ERROR(checkStride("v_stride_head", t.vStrideHead));
    if (m.kvLayout == KvLayout::kPaged) {
      ATTNRT_RETURN_IF_ERROR(checkStride("kv_stride_page", t.kvStridePage));
      ATTNRT_RETURN_IF_ERROR(checkStride("v_stride_page", t.vStridePage));
    }
    // With equal head dims the kernels compute one row offset for K and V
    // (kernels-gen/include/attn_kernels/tile_loader.cuh), so the strides must
    // agree; only 192:128-style variants read V with strides of its own.
    if (m.headDimQK == m.headDimVO &&
        (t.vStrideRow != t.kvStrideRow || t.vStrideHead != t.kvStrideHead ||
         (m.kvLayout == KvLayout::kPaged && t.vStridePage != t.kvStridePage)))
      return invalidArgument("v strides must equal k strides when head_dim_qk == head_dim_vo "
                             "(k: page " + str(t.kvStridePage) + ", row " + str(t.kvStrideRow) +
                             ", head " + str(t.kvStrideHead) + "; v: page " +
                             str(t.vStridePage) + ", row " + str(t.vStrideRow) + ", head " +
                             str(t.vStrideHead) + ")");
  }
  return Status::Ok();
}

DeviceTensors denseTensors(const Manifest &m, DevPtr q, DevPtr k, DevPtr v, DevPtr o,
                           DevPtr lse) {
  DeviceTensors t;
  t.q = q;
  t.k = k;
  t.v = v;
  t.o = o;
  t.lse = lse;
  t.qStrideHead = m.headDimQK;
  t.qStrideRow = int64_t(m.numQHeads) * m.headDimQK;
  t.oStrideHead = m.headDimVO;
  t.oStrideRow = int64_t(m.numQHeads) * m.headDimVO;
  t.kvStrideHead = m.headDimQK;
  t.kvStrideRow = int64_t(m.numKVHeads) * m.headDimQK;
  t.kvStridePage = m.kvLayout == KvLayout::kPaged ? int64_t(m.pageSize) * t.kvStrideRow : 0;
  t.vStrideHead = m.headDimVO;
  t.vStrideRow = int64_t(m.numKVHeads) * m.headDimVO;
  t.vStridePage = m.kvLayout == KvLayout::kPaged ? int64_t(m.pageSize) * t.vStrideRow : 0;
  return t;
}

Status validateBatch(const Manifest &m, const BatchDesc &d, BatchInfo *out) {
  return guarded("validateBatch", [&] { return validateBatchImpl(m, d, out); });
}

} // namespace attnrt
