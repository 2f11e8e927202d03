//===- FuzzTest.cpp - Hostile input never crashes -------------------------===//
//
// "No call may crash on bad input": mutated manifests and random batch
// metadata must produce a Status, and whatever validates must plan. Run
// under ASan/UBSan (-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined) to
// catch out-of-bounds reads that do not crash.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Batch.h"
#include "attnrt/Manifest.h"
#include "attnrt/WorkList.h"

#include "TestManifests.h"

#include <gtest/gtest.h>

#include <random>

using namespace attnrt;
using namespace attnrt_test;

namespace {

TEST(Fuzz, MutatedManifests) {
  const std::string base = sampleJson();
  std::mt19937 rng(7);
  const char alphabet[] = "{}[]\":,0123456789-+.eE \\ntfuabc";
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = base;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 4) {
      case 0: s[pos] = alphabet[rng() % (sizeof(alphabet) - 1)]; break;
      case 1: s.erase(pos, 1 + rng() % 8); break;
      case 2: s.insert(pos, 1, alphabet[rng() % (sizeof(alphabet) - 1)]); break;
      case 3: s.resize(pos); break;
      }
    }
    Manifest m;
    Status st = parseManifest(s, &m);
    if (st.ok()) {
      ++accepted;
      // Whatever is accepted is self-consistent.
      EXPECT_EQ(m.numQHeads, m.numKVHeads * m.groupSize);
      for (const ParamInfo &p : m.params)
        EXPECT_LE(p.offset + 8, m.paramsBytes);
    } else {
      EXPECT_FALSE(st.message().empty());
    }
  }
  EXPECT_GT(accepted, 0); // some mutations (e.g. inside strings) stay valid
}

TEST(Fuzz, RandomBatchMetadata) {
  std::mt19937 rng(11);
  auto small = [&]() { return int32_t(int(rng() % 40) - 5); };
  const KvLayout layouts[] = {KvLayout::kContiguous, KvLayout::kRagged, KvLayout::kPaged,
                              KvLayout::kBlockSparse};
  int valid = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    Manifest m = makeManifest(layouts[rng() % 4]);
    int B = int(rng() % 5);
    auto randomArray = [&](int n) {
      std::vector<int32_t> a(n);
      int32_t acc = 0;
      for (int32_t &x : a) {
        // Mostly monotone prefix sums, sometimes garbage.
        acc += rng() % 6 == 0 ? small() : int32_t(rng() % 20);
        x = rng() % 50 == 0 ? small() : acc;
      }
      return a;
    };
    std::vector<int32_t> qIndptr = randomArray(B + 1 - int(rng() % 8 == 0));
    std::vector<int32_t> kvLens(B - int(rng() % 10 == 0 && B > 0));
    for (int32_t &x : kvLens)
      x = int32_t(rng() % 60) - int32_t(rng() % 20 == 0);
    std::vector<int32_t> kvIndptr = randomArray(B + 1);
    std::vector<int32_t> pages(rng() % 20);
    for (int32_t &x : pages)
      x = small();
    std::vector<int32_t> rowOffsets = randomArray(B), bsrIndptr = randomArray(int(rng() % 8)),
                         bsrIndices(rng() % 30);
    for (int32_t &x : bsrIndices)
      x = int32_t(rng() % 4);
    BatchDesc d;
    d.batchSize = B;
    d.qIndptr = qIndptr;
    if (rng() % 3)
      d.kvLens = kvLens;
    if (rng() % 3)
      d.kvIndptr = kvIndptr;
    d.pageIndices = pages;
    d.numPages = int32_t(rng() % 25);
    d.bsrRowOffsets = rowOffsets;
    d.bsrIndptr = bsrIndptr;
    d.bsrIndices = bsrIndices;
    BatchInfo info;
    Status s = validateBatch(m, d, &info);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++valid;
    PlanOptions o;
    o.numCtas = int(rng() % 3) * 66;
    o.kvChunk = rng() % 2 ? int(rng() % 70) : 0;
    WorkList wl;
    Status ps = buildWorkList(m, info, o, &wl);
    EXPECT_TRUE(ps.ok()) << ps.toString();
  }
  EXPECT_GT(valid, 100);
}

} // namespace
