//===- ParamsTest.cpp - Packing the params blob ---------------------------===//
#include "attnrt/Params.h"

#include "TestManifests.h"

#include <cstring>
#include <gtest/gtest.h>

using namespace attnrt;
using namespace attnrt_test;

namespace {

class Params : public ::testing::Test {
protected:
  void SetUp() override {
    Status s = parseManifest(sampleJson(), &m);
    ASSERT_TRUE(s.ok()) << s.toString();
    sizes.heads = 32;
    sizes.kvHeads = 8;
    sizes.batch = 3;
    sizes.tokens = 100;
  }
  template <typename T> T read(const std::vector<uint8_t> &blob, size_t offset) {
    T v;
    std::memcpy(&v, blob.data() + offset, sizeof(T));
    return v;
  }
  Status pack(std::vector<uint8_t> *blob) {
    return packParams(m, values, sizes, kTokenOffsets, blob);
  }
  void expectError(const std::string &needle) {
    std::vector<uint8_t> blob;
    Status s = pack(&blob);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  }
  static constexpr DevPtr kTokenOffsets = 0x7f0000001000ull;
  static constexpr DevPtr kSlopes = 0x7f0000002000ull;
  Manifest m;
  DomainSizes sizes;
  ParamSet values;
};

TEST_F(Params, SlotsAndDefaults) {
  values.setArray("slopes", ParamType::kF32, kSlopes, 32);
  std::vector<uint8_t> blob;
  Status s = pack(&blob);
  ASSERT_TRUE(s.ok()) << s.toString();
  ASSERT_EQ(blob.size(), 32u);
  EXPECT_EQ(read<uint64_t>(blob, 0), kTokenOffsets); // slot 0
  EXPECT_EQ(read<int32_t>(blob, 8), 4096);           // window default
  EXPECT_EQ(read<int32_t>(blob, 12), 0);             // upper half zeroed
  EXPECT_EQ(read<float>(blob, 16), 50.0f);           // cap default
  EXPECT_EQ(read<uint64_t>(blob, 24), kSlopes);
}

TEST_F(Params, GivenValuesOverrideDefaults) {
  values.setArray("slopes", ParamType::kF32, kSlopes, 64); // longer than needed is fine
  values.setI32("window", 1024);
  values.setF32("cap", 30.5f);
  values.setI32("window", -7); // last write wins
  std::vector<uint8_t> blob;
  ASSERT_TRUE(pack(&blob).ok());
  EXPECT_EQ(read<int32_t>(blob, 8), -7);
  EXPECT_EQ(read<float>(blob, 16), 30.5f);
  EXPECT_EQ(values.values().size(), 3u);
}

TEST_F(Params, UnknownName) {
  values.setArray("slopes", ParamType::kF32, kSlopes, 32);
  values.setF32("capp", 1.0f);
  expectError("unknown param 'capp'");
}

TEST_F(Params, MissingWithoutDefault) { expectError("param 'slopes' (f32[heads]) is required"); }

TEST_F(Params, WrongType) {
  values.setArray("slopes", ParamType::kF32, kSlopes, 32);
  values.setF32("window", 4.0f);
  expectError("param 'window' (i32) was given a value of type f32");
}

TEST_F(Params, WrongArrayElementType) {
  values.setArray("slopes", ParamType::kI32, kSlopes, 32);
  expectError("was given a value of type i32");
}

TEST_F(Params, ArrayForScalarAndScalarForArray) {
  values.setArray("slopes", ParamType::kF32, kSlopes, 32);
  values.setArray("cap", ParamType::kF32, kSlopes, 32);
  expectError("param 'cap' (f32) is a scalar");
  values.clear();
  values.setF32("slopes", 1.0f);
  expectError("is an array");
}

TEST_F(Params, ArrayShorterThanDomain) {
  values.setArray("slopes", ParamType::kF32, kSlopes, 31);
  expectError("has 31 elements, needs 32");
}

TEST_F(Params, NullArray) {
  values.setArray("slopes", ParamType::kF32, 0, 32);
  expectError("null device pointer");
}

TEST_F(Params, Domains) {
  // One param per domain: the required length follows the batch.
  m.params.clear();
  const ParamDomain domains[] = {ParamDomain::kHeads, ParamDomain::kKvHeads, ParamDomain::kBatch,
                                 ParamDomain::kTokens};
  const int64_t need[] = {32, 8, 3, 100};
  for (int i = 0; i < 4; ++i) {
    ParamInfo p;
    p.name = paramDomainName(domains[i]);
    p.type = ParamType::kF32;
    p.domain = domains[i];
    p.offset = 8;
    m.params = {p};
    values.clear();
    values.setArray(p.name, ParamType::kF32, kSlopes, need[i]);
    std::vector<uint8_t> blob;
    EXPECT_TRUE(pack(&blob).ok()) << p.name;
    values.setArray(p.name, ParamType::kF32, kSlopes, need[i] - 1);
    expectError("needs " + std::to_string(need[i]));
  }
}

TEST(ParamSizes, FromBatchInfo) {
  Manifest m = makeManifest(KvLayout::kRagged);
  BatchInfo info;
  info.kvLens = {5, 6, 7};
  info.totalKvTokens = 18;
  DomainSizes s = domainSizes(m, info);
  EXPECT_EQ(s.heads, 8);
  EXPECT_EQ(s.kvHeads, 2);
  EXPECT_EQ(s.batch, 3);
  EXPECT_EQ(s.tokens, 18);
}

} // namespace
