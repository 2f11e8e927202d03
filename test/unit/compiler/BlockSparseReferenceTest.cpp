//===- BlockSparseReferenceTest.cpp - The oracle on block-sparse layouts --===//
//
// A block_sparse(1, 1) pattern listing exactly the causal pairs must give the
// causal result bit for bit; coarser blocks drop whole blocks; bad patterns
// are errors, never crashes.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Reference/Evaluator.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

std::string variantText(const std::string &name, const std::string &layoutAttrs,
                        const std::string &layout, bool causal) {
  std::string text = "attn.variant @" + name +
                     " attributes {" + layoutAttrs +
                     "dtype = bf16, head_dim_qk = 8 : i64, head_dim_vo = 8 : i64, "
                     "kv_layout = #attn<kv_layout " + layout +
                     ">, normalize = #attn<normalize softmax>, num_kv_heads = 1 : i64, "
                     "num_q_heads = 2 : i64, scale = 0.35 : f64} {\n";
  if (causal)
    text += "  attn.hook mask {\n"
            "  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):\n"
            "    %c = arith.cmpi sle, %k, %q : i32\n"
            "    attn.yield %c : i1\n"
            "  }\n";
  return text + "}\n";
}

class BlockSparseReference : public ::testing::Test {
protected:
  void SetUp() override {
    context.loadDialect<attn::AttnDialect, mlir::arith::ArithDialect,
                        mlir::math::MathDialect, mlir::scf::SCFDialect>();
  }
  attn::VariantOp parse(const std::string &text) {
    modules.push_back(mlir::parseSourceString<mlir::ModuleOp>(text, &context));
    EXPECT_TRUE(modules.back());
    return *modules.back()->getOps<attn::VariantOp>().begin();
  }
  mlir::MLIRContext context;
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
};

TEST_F(BlockSparseReference, UnitBlocksListingCausalPairsEqualTheCausalMask) {
  auto causal = parse(variantText("causal", "", "contiguous", true));
  auto sparse = parse(variantText("sparse", "block_kv = 1 : i64, block_q = 1 : i64, ",
                                  "block_sparse", false));
  // Two requests: 5 queries over 7 keys, 1 query over 4 keys.
  attn::ref::Problem p = attn::ref::makeRandomProblem(causal, {5, 1}, {7, 4}, 42);
  attn::ref::Result expected, actual;
  std::string error;
  ASSERT_TRUE(attn::ref::evaluate(causal, p, expected, error)) << error;

  p.bsrIndptr = {0};
  for (size_t b = 0; b < p.qLens.size(); ++b) {
    p.bsrRowOffsets.push_back(static_cast<int64_t>(p.bsrIndptr.size()) - 1);
    for (int64_t i = 0; i < p.qLens[b]; ++i) {
      int64_t qIdx = p.kvLens[b] - p.qLens[b] + i;
      for (int64_t j = 0; j <= qIdx; ++j)
        p.bsrIndices.push_back(j);
      p.bsrIndptr.push_back(static_cast<int64_t>(p.bsrIndices.size()));
    }
  }
  ASSERT_TRUE(attn::ref::evaluate(sparse, p, actual, error)) << error;
  ASSERT_EQ(actual.out.size(), expected.out.size());
  for (size_t i = 0; i < actual.out.size(); ++i)
    EXPECT_EQ(actual.out[i], expected.out[i]) << i;
  for (size_t i = 0; i < actual.lse.size(); ++i)
    EXPECT_EQ(actual.lse[i], expected.lse[i]) << i;
}

TEST_F(BlockSparseReference, UnlistedBlocksAreDroppedAndEmptyRowsAreZero) {
  auto sparse = parse(variantText("sparse", "block_kv = 4 : i64, block_q = 2 : i64, ",
                                  "block_sparse", false));
  attn::ref::Problem p = attn::ref::makeRandomProblem(sparse, {4}, {8}, 7);
  // Query block 0 (rows 0-1) sees key block 1 only (keys 4..7); block 1 sees nothing.
  p.bsrRowOffsets = {0};
  p.bsrIndptr = {0, 1, 1};
  p.bsrIndices = {1};
  attn::ref::Result r;
  std::string error;
  ASSERT_TRUE(attn::ref::evaluate(sparse, p, r, error)) << error;
  // Rows 2 and 3 (both heads): no kept key.
  for (int row = 2; row < 4; ++row)
    for (int h = 0; h < 2; ++h) {
      EXPECT_TRUE(std::isinf(r.lse[row * 2 + h]) && r.lse[row * 2 + h] < 0);
      for (int d = 0; d < 8; ++d)
        EXPECT_EQ(r.out[(row * 2 + h) * 8 + d], 0.0);
    }
  // Row 0 head 0 by hand: softmax over keys 4..7.
  double m = -1e300, sum = 0, o0 = 0;
  std::vector<double> logits;
  for (int j = 4; j < 8; ++j) {
    double dot = 0;
    for (int d = 0; d < 8; ++d)
      dot += p.q[d] * p.k[j * 8 + d];
    logits.push_back(dot * 0.35);
    m = std::max(m, logits.back());
  }
  for (int j = 4; j < 8; ++j) {
    double w = std::exp(logits[j - 4] - m);
    sum += w;
    o0 += w * p.v[j * 8];
  }
  EXPECT_NEAR(r.out[0], o0 / sum, 1e-12);
  EXPECT_NEAR(r.lse[0], m + std::log(sum), 1e-12);
}

TEST_F(BlockSparseReference, RandomPatternsAreValidAndBadPatternsAreErrors) {
  auto sparse = parse(variantText("sparse", "block_kv = 16 : i64, block_q = 8 : i64, ",
                                  "block_sparse", true));
  attn::ref::Problem p = attn::ref::makeRandomProblem(sparse, {17, 1}, {40, 33}, 3);
  ASSERT_EQ(p.bsrRowOffsets.size(), 2u);
  attn::ref::Result r;
  std::string error;
  ASSERT_TRUE(attn::ref::evaluate(sparse, p, r, error)) << error;

  attn::ref::Problem bad = p;
  bad.bsrIndices[0] = 99;
  EXPECT_FALSE(attn::ref::evaluate(sparse, bad, r, error));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;

  bad = p;
  bad.bsrRowOffsets.pop_back();
  EXPECT_FALSE(attn::ref::evaluate(sparse, bad, r, error));
  EXPECT_NE(error.find("one per request"), std::string::npos) << error;

  bad = p;
  bad.bsrIndptr[1] = bad.bsrIndptr[2] + 1;
  EXPECT_FALSE(attn::ref::evaluate(sparse, bad, r, error));

  auto dense = parse(variantText("dense", "", "contiguous", true));
  attn::ref::Problem withPattern = attn::ref::makeRandomProblem(dense, {2}, {3}, 1);
  withPattern.bsrIndptr = {0};
  EXPECT_FALSE(attn::ref::evaluate(dense, withPattern, r, error));
}

} // namespace
