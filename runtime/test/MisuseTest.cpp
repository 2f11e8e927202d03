//===- MisuseTest.cpp - Every documented misuse returns its Status --------===//
//
// The validations BatchTest/ParamsTest/WorkListTest do not reach: null
// arrays whose size says they hold data, a short q_indptr, a negative page
// pool, more keys than the int32 offsets can address, null outputs and an
// unvalidated BatchInfo. Each must come back as kInvalidArgument with the
// message the code promises, never as a read through a null pointer.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Batch.h"
#include "attnrt/Params.h"
#include "attnrt/WorkList.h"

#include "TestManifests.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace attnrt;
using namespace attnrt_test;

namespace {

void expectInvalid(const Status &s, const std::string &needle) {
  ASSERT_FALSE(s.ok()) << "accepted; expected: " << needle;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.toString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

Status validate(const Manifest &m, const BatchDesc &d) {
  BatchInfo info;
  return validateBatch(m, d, &info);
}

TEST(Misuse, BadQIndptr) {
  Manifest m = makeManifest(KvLayout::kRagged);
  std::vector<int32_t> q{0, 2}, kv{4, 4};
  BatchDesc d;
  d.batchSize = 2;
  d.qIndptr = q; // needs 3 entries
  d.kvLens = kv;
  expectInvalid(validate(m, d), "q_indptr has 2 entries, needs 3 (batch_size + 1)");
  // A size with no data behind it (what a C caller passing NULL, n gets).
  d.qIndptr = Span<int32_t>(nullptr, 3);
  expectInvalid(validate(m, d), "q_indptr is null");
  d.batchSize = -1;
  expectInvalid(validate(m, d), "batch_size is -1, must be >= 0");
}

TEST(Misuse, NullOutputs) {
  Manifest m = makeManifest(KvLayout::kRagged);
  expectInvalid(validateBatch(m, BatchDesc(), nullptr), "validateBatch: null output");
  expectInvalid(packParams(m, ParamSet(), DomainSizes(), 0, nullptr),
                "packParams: null output");
  expectInvalid(buildWorkList(m, BatchInfo(), PlanOptions(), nullptr),
                "buildWorkList: null output");
}

TEST(Misuse, UnvalidatedBatchInfo) {
  Manifest m = makeManifest(KvLayout::kRagged);
  BatchInfo info;
  info.qLens = {1, 2};
  info.kvLens = {3}; // inconsistent: never produced by validateBatch
  WorkList wl;
  expectInvalid(buildWorkList(m, info, PlanOptions(), &wl),
                "buildWorkList: the batch info is not validated");
}

// More keys than int32 token offsets can address: the capacity of one batch.
TEST(Misuse, TooManyKeys) {
  Manifest m = makeManifest(KvLayout::kRagged);
  std::vector<int32_t> q{0, 1, 2}, kv{INT32_MAX, 1};
  BatchDesc d;
  d.batchSize = 2;
  d.qIndptr = q;
  d.kvLens = kv;
  expectInvalid(validate(m, d), "the batch has more than 2^31-1 keys in total");
}

// Paged: 2 requests of 20 and 16 keys at page_size 16 (2 + 1 pages).
struct Paged {
  Manifest m = makeManifest(KvLayout::kPaged);
  std::vector<int32_t> q{0, 1, 2}, kvLens{20, 16}, pageIndptr{0, 2, 3}, pages{4, 0, 1};
  BatchDesc desc() {
    BatchDesc d;
    d.batchSize = 2;
    d.qIndptr = q;
    d.kvLens = kvLens;
    d.kvIndptr = pageIndptr;
    d.pageIndices = pages;
    d.numPages = 5;
    return d;
  }
};

TEST(Misuse, PagedTables) {
  Paged p;
  ASSERT_TRUE(validate(p.m, p.desc()).ok()) << validate(p.m, p.desc()).toString();
  BatchDesc d = p.desc();
  d.pageIndices = Span<int32_t>(nullptr, 3);
  expectInvalid(validate(p.m, d), "page_indices is null");
  d = p.desc();
  d.numPages = -1;
  expectInvalid(validate(p.m, d), "num_pages is -1");
  d = p.desc();
  d.numPages = 4; // page 4 is now past the pool
  expectInvalid(validate(p.m, d), "request 0: page_indices[0] = 4 is out of range [0, 4)");
  d = p.desc();
  std::vector<int32_t> negativeStart{-1, 2, 3};
  d.kvIndptr = negativeStart;
  expectInvalid(validate(p.m, d), "kv_indptr (page offsets)[0] is -1, must be >= 0");
}

TEST(Misuse, BlockSparseNullArrays) {
  Manifest m = makeManifest(KvLayout::kBlockSparse);
  std::vector<int32_t> q{0, 20}, kv{100}, rows{0}, indptr{0, 2, 3}, idx{0, 2, 1};
  BatchDesc d;
  d.batchSize = 1;
  d.qIndptr = q;
  d.kvLens = kv;
  d.bsrRowOffsets = rows;
  d.bsrIndptr = indptr;
  d.bsrIndices = idx;
  ASSERT_TRUE(validate(m, d).ok()) << validate(m, d).toString();
  BatchDesc bad = d;
  bad.bsrRowOffsets = Span<int32_t>(nullptr, 1);
  expectInvalid(validate(m, bad), "block_sparse: bsr_row_offsets has 1 entries, needs 1");
  bad = d;
  bad.bsrIndptr = Span<int32_t>(nullptr, 3);
  expectInvalid(validate(m, bad), "block_sparse: bsr_indptr is null");
  bad = d;
  bad.bsrIndices = Span<int32_t>(nullptr, 3);
  expectInvalid(validate(m, bad), "bsr_indices is null");
}

TEST(Misuse, NegativeStrides) {
  Manifest m = makeManifest(KvLayout::kRagged);
  BatchInfo info;
  info.totalQ = 1;
  info.totalKvTokens = 1;
  const DevPtr base = 0x10000;
  DeviceTensors t = denseTensors(m, base, base + 0x1000, base + 0x2000, base + 0x3000);
  ASSERT_TRUE(validateTensors(m, info, t).ok());
  t.qStrideRow = -512;
  expectInvalid(validateTensors(m, info, t), "q_stride_row is -512, must be > 0");
}

} // namespace
