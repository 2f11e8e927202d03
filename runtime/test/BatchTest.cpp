//===- BatchTest.cpp - Validation of batch metadata and tensors -----------===//
#include "attnrt/Batch.h"

#include "TestManifests.h"

#include <gtest/gtest.h>

using namespace attnrt;
using namespace attnrt_test;

namespace {

void expectError(const Manifest &m, const BatchDesc &d, const std::string &needle) {
  BatchInfo info;
  Status s = validateBatch(m, d, &info);
  ASSERT_FALSE(s.ok()) << "accepted; expected: " << needle;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

// Ragged: 3 requests, q lens 2/0/5, kv lens 10/4/5.
struct Ragged {
  Manifest m = makeManifest(KvLayout::kRagged);
  std::vector<int32_t> qIndptr{0, 2, 2, 7};
  std::vector<int32_t> kvLens{10, 4, 5};
  std::vector<int32_t> kvIndptr{0, 10, 14, 19};
  BatchDesc desc() {
    BatchDesc d;
    d.batchSize = 3;
    d.qIndptr = qIndptr;
    d.kvLens = kvLens;
    return d;
  }
};

TEST(Batch, RaggedFromLens) {
  Ragged r;
  BatchInfo info;
  Status s = validateBatch(r.m, r.desc(), &info);
  ASSERT_TRUE(s.ok()) << s.toString();
  EXPECT_EQ(info.qLens, (std::vector<int32_t>{2, 0, 5}));
  EXPECT_EQ(info.kvLens, r.kvLens);
  EXPECT_EQ(info.kvTokenOffsets, (std::vector<int32_t>{0, 10, 14, 19}));
  EXPECT_EQ(info.kvIndptr, info.kvTokenOffsets); // derived
  EXPECT_EQ(info.qIndptr, r.qIndptr);
  EXPECT_EQ(info.totalQ, 7);
  EXPECT_EQ(info.totalKvTokens, 19);
}

TEST(Batch, RaggedFromIndptr) {
  Ragged r;
  BatchDesc d = r.desc();
  d.kvLens = {};
  std::vector<int32_t> shifted{100, 110, 114, 119}; // offsets need not start at 0
  d.kvIndptr = shifted;
  BatchInfo info;
  ASSERT_TRUE(validateBatch(r.m, d, &info).ok());
  EXPECT_EQ(info.kvLens, r.kvLens);
  EXPECT_EQ(info.kvIndptr, shifted);
  EXPECT_EQ(info.kvTokenOffsets, (std::vector<int32_t>{0, 10, 14, 19})); // always dense
}

TEST(Batch, EmptyBatchIsFine) {
  Manifest m = makeManifest(KvLayout::kRagged);
  std::vector<int32_t> q{0}, kv{0};
  BatchDesc d;
  d.qIndptr = q;
  d.kvIndptr = kv;
  BatchInfo info;
  ASSERT_TRUE(validateBatch(m, d, &info).ok());
  EXPECT_EQ(info.totalQ, 0);
}

TEST(Batch, QIndptrErrors) {
  Ragged r;
  BatchDesc d = r.desc();
  d.batchSize = -1;
  expectError(r.m, d, "batch_size is -1");
  d = r.desc();
  std::vector<int32_t> shortQ{0, 2, 2};
  d.qIndptr = shortQ;
  expectError(r.m, d, "q_indptr has 3 entries, needs 4");
  std::vector<int32_t> nonMono{0, 3, 2, 7};
  d.qIndptr = nonMono;
  expectError(r.m, d, "q_indptr is not non-decreasing: [1] = 3 > [2] = 2");
  std::vector<int32_t> negative{-1, 2, 2, 7};
  d.qIndptr = negative;
  expectError(r.m, d, "q_indptr[0] is -1");
  d.qIndptr = Span<int32_t>(nullptr, 4);
  expectError(r.m, d, "q_indptr is null");
}

TEST(Batch, KvLengthErrors) {
  Ragged r;
  BatchDesc d = r.desc();
  std::vector<int32_t> shortLens{10, 4};
  d.kvLens = shortLens;
  expectError(r.m, d, "kv_lens has 2 entries, needs 3");
  std::vector<int32_t> tooShort{10, 4, 4}; // request 2 has q_len 5
  d.kvLens = tooShort;
  expectError(r.m, d, "request 2 has kv_len 4 < q_len 5");
  std::vector<int32_t> negative{10, -1, 5};
  d.kvLens = negative;
  expectError(r.m, d, "kv_len -1");
  d = r.desc();
  d.kvLens = {};
  expectError(r.m, d, "either kv_lens or kv_indptr is required");
  std::vector<int32_t> nonMono{0, 10, 9, 19};
  d.kvIndptr = nonMono;
  expectError(r.m, d, "kv_indptr is not non-decreasing");
  std::vector<int32_t> huge{2000000000, 2000000000, 2000000000};
  d.kvLens = huge;
  d.kvIndptr = {};
  expectError(r.m, d, "2^31-1 keys");
}

TEST(Batch, LengthsMismatch) {
  Ragged r;
  BatchDesc d = r.desc();
  std::vector<int32_t> indptr{0, 10, 15, 20};
  d.kvIndptr = indptr;
  expectError(r.m, d, "lengths mismatch: request 1 has kv_lens = 4 but kv_indptr gives 5");
  d.kvIndptr = r.kvIndptr;
  BatchInfo info;
  EXPECT_TRUE(validateBatch(r.m, d, &info).ok());
}

// Paged, page_size 16: kv lens 20/16/1 need 2/1/1 pages.
struct Paged {
  Manifest m = makeManifest(KvLayout::kPaged);
  std::vector<int32_t> qIndptr{0, 1, 2, 3};
  std::vector<int32_t> kvLens{20, 16, 1};
  std::vector<int32_t> pageIndptr{0, 2, 3, 4};
  std::vector<int32_t> pages{7, 3, 0, 9};
  BatchDesc desc() {
    BatchDesc d;
    d.batchSize = 3;
    d.qIndptr = qIndptr;
    d.kvLens = kvLens;
    d.kvIndptr = pageIndptr;
    d.pageIndices = pages;
    d.numPages = 10;
    return d;
  }
};

TEST(Batch, PagedOk) {
  Paged p;
  BatchInfo info;
  Status s = validateBatch(p.m, p.desc(), &info);
  ASSERT_TRUE(s.ok()) << s.toString();
  EXPECT_EQ(info.kvIndptr, p.pageIndptr);
  EXPECT_EQ(info.kvTokenOffsets, (std::vector<int32_t>{0, 20, 36, 37}));
}

TEST(Batch, PagedErrors) {
  Paged p;
  BatchDesc d = p.desc();
  d.kvLens = {};
  expectError(p.m, d, "paged layout requires kv_lens");
  d = p.desc();
  d.kvIndptr = {};
  expectError(p.m, d, "kv_indptr (page offsets, [batch_size + 1]) is required");
  d = p.desc();
  std::vector<int32_t> wrongCount{0, 1, 2, 3};
  d.kvIndptr = wrongCount;
  expectError(p.m, d, "request 0 has 1 pages but kv_len 20 with page_size 16 needs 2");
  d = p.desc();
  std::vector<int32_t> outOfRange{7, 3, 10, 9};
  d.pageIndices = outOfRange;
  expectError(p.m, d, "request 1: page_indices[2] = 10 is out of range [0, 10)");
  std::vector<int32_t> negative{7, -3, 0, 9};
  d.pageIndices = negative;
  expectError(p.m, d, "page_indices[1] = -3 is out of range");
  d = p.desc();
  std::vector<int32_t> shortPages{7, 3, 0};
  d.pageIndices = shortPages;
  expectError(p.m, d, "page_indices has 3 entries but kv_indptr[batch_size] = 4");
  d = p.desc();
  d.numPages = 0;
  expectError(p.m, d, "out of range [0, 0)");
  d = p.desc();
  std::vector<int32_t> nonMono{0, 2, 1, 4};
  d.kvIndptr = nonMono;
  expectError(p.m, d, "not non-decreasing");
}

// Block sparse, block_q 16, block_kv 48: request 0 (q 20, kv 100) has 2 block
// rows and 3 key blocks; request 1 (q 5, kv 40) has 1 row and 1 key block.
struct Bsr {
  Manifest m = makeManifest(KvLayout::kBlockSparse);
  std::vector<int32_t> qIndptr{0, 20, 25};
  std::vector<int32_t> kvLens{100, 40};
  std::vector<int32_t> rowOffsets{0, 2};
  std::vector<int32_t> indptr{0, 2, 5, 6};
  std::vector<int32_t> indices{0, 2, 0, 1, 2, 0};
  BatchDesc desc() {
    BatchDesc d;
    d.batchSize = 2;
    d.qIndptr = qIndptr;
    d.kvLens = kvLens;
    d.bsrRowOffsets = rowOffsets;
    d.bsrIndptr = indptr;
    d.bsrIndices = indices;
    return d;
  }
};

TEST(Batch, BlockSparseOk) {
  Bsr b;
  BatchInfo info;
  Status s = validateBatch(b.m, b.desc(), &info);
  EXPECT_TRUE(s.ok()) << s.toString();
}

TEST(Batch, BlockSparseErrors) {
  Bsr b;
  BatchDesc d = b.desc();
  std::vector<int32_t> rows{0, 3};
  d.bsrRowOffsets = rows;
  expectError(b.m, d, "request 1: its 1 query block rows start at bsr_row_offsets[1] = 3");
  std::vector<int32_t> oneRow{0};
  d.bsrRowOffsets = oneRow;
  expectError(b.m, d, "bsr_row_offsets has 1 entries, needs 2");
  d = b.desc();
  std::vector<int32_t> badIdx{0, 3, 0, 1, 2, 0};
  d.bsrIndices = badIdx;
  expectError(b.m, d, "bsr_indices[1] = 3 is out of range [0, 3)");
  std::vector<int32_t> badIdx2{0, 2, 0, 1, 2, 1};
  d.bsrIndices = badIdx2;
  expectError(b.m, d, "request 1, block row 0: bsr_indices[5] = 1 is out of range [0, 1)");
  std::vector<int32_t> dup{0, 2, 0, 1, 1, 0};
  d.bsrIndices = dup;
  expectError(b.m, d, "strictly increasing");
  std::vector<int32_t> unsorted{2, 0, 0, 1, 2, 0};
  d.bsrIndices = unsorted;
  expectError(b.m, d, "strictly increasing");
  d = b.desc();
  std::vector<int32_t> nonMono{0, 3, 2, 6};
  d.bsrIndptr = nonMono;
  expectError(b.m, d, "bsr_indptr is not non-decreasing");
  d = b.desc();
  std::vector<int32_t> shortIdx{0, 2, 0};
  d.bsrIndices = shortIdx;
  expectError(b.m, d, "bsr_indices has 3 entries but bsr_indptr ends at 6");
  d = b.desc();
  d.bsrIndptr = {};
  expectError(b.m, d, "outside the 0 rows of bsr_indptr");
}

TEST(Batch, ContiguousRowsMayBeLongerThanTheirKeys) {
  Manifest m = makeManifest(KvLayout::kContiguous);
  std::vector<int32_t> qIndptr = {0, 1, 3}, kvLens = {5, 2}, kvIndptr = {0, 8, 16};
  BatchDesc d;
  d.batchSize = 2;
  d.qIndptr = qIndptr;
  d.kvLens = kvLens;
  d.kvIndptr = kvIndptr;
  BatchInfo info;
  Status s = validateBatch(m, d, &info);
  ASSERT_TRUE(s.ok()) << s.toString();
  EXPECT_EQ(info.kvLens, kvLens);
  EXPECT_EQ(info.totalKvTokens, 7);
  std::vector<int32_t> tooShort = {0, 4, 16};
  d.kvIndptr = tooShort;
  expectError(m, d, "request 0 has kv_len 5 but only 4 slots in its contiguous row");
}

TEST(Tensors, Validation) {
  Manifest m = makeManifest(KvLayout::kPaged);
  BatchInfo info;
  info.totalQ = 3;
  info.totalKvTokens = 40;
  const DevPtr base = 0x10000;
  DeviceTensors t = denseTensors(m, base, base + 0x1000, base + 0x2000, base + 0x3000);
  EXPECT_EQ(t.qStrideHead, 64);
  EXPECT_EQ(t.qStrideRow, 8 * 64);
  EXPECT_EQ(t.kvStrideRow, 2 * 64);
  EXPECT_EQ(t.kvStridePage, 16 * 2 * 64);
  EXPECT_TRUE(validateTensors(m, info, t).ok());

  auto expectBad = [&](DeviceTensors bad, const std::string &needle) {
    Status s = validateTensors(m, info, bad);
    ASSERT_FALSE(s.ok()) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  DeviceTensors bad = t;
  bad.q = 0;
  expectBad(bad, "q is null");
  bad = t;
  bad.v = 0;
  expectBad(bad, "v is null");
  bad = t;
  bad.o = base + 2;
  expectBad(bad, "o is not 16-byte aligned");
  bad = t;
  bad.qStrideHead = 0;
  expectBad(bad, "q_stride_head is 0");
  bad = t;
  bad.oStrideRow = 100; // not a multiple of 8 elements
  expectBad(bad, "multiple of 8 elements");
  bad = t;
  bad.kvStridePage = 0;
  expectBad(bad, "kv_stride_page");
  bad = t;
  bad.vStrideRow = 0;
  expectBad(bad, "v_stride_row");
  bad = t;
  bad.vStridePage = 12; // not a multiple of 8 elements
  expectBad(bad, "v_stride_page");
  bad = t;
  bad.vStrideRow = 2 * t.kvStrideRow; // equal head dims: one offset serves k and v
  expectBad(bad, "v strides must equal k strides");
  bad = t;
  bad.lse = base + 2;
  expectBad(bad, "lse is not 4-byte aligned");

  // head_dim_qk != head_dim_vo: V gets its own, narrower strides.
  Manifest mla = makeManifest(KvLayout::kPaged);
  mla.headDimQK = 192;
  mla.headDimVO = 128;
  DeviceTensors tm = denseTensors(mla, base, base + 0x1000, base + 0x2000, base + 0x3000);
  EXPECT_EQ(tm.kvStrideRow, 2 * 192);
  EXPECT_EQ(tm.vStrideRow, 2 * 128);
  EXPECT_EQ(tm.vStrideHead, 128);
  EXPECT_EQ(tm.vStridePage, 16 * 2 * 128);
  EXPECT_EQ(tm.oStrideRow, 8 * 128);

  // Nothing to compute: null tensors are fine.
  BatchInfo empty;
  EXPECT_TRUE(validateTensors(m, empty, DeviceTensors()).ok());
}

} // namespace
