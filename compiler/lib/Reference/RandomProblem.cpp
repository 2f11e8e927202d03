//===- RandomProblem.cpp - Fresh random inputs for the oracle -------------===//
//
// Inputs for checking a GPU kernel against the evaluator. Two properties
// matter more than the distribution:
// - Every value is exactly representable in what the GPU will be given
//   (q/k/v in the variant's dtype, f32 params in float), so both sides see
//   the very same numbers and any difference is the kernel's.
// - The same seed gives the same problem on any standard library: only
//   std::mt19937_64's output (fixed by the standard) is used, mapped to
//   numbers by our own code rather than by <random>'s distributions, whose
//   algorithms are implementation-defined.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/Evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace attn;
using namespace attn::ref;

namespace {

//===----------------------------------------------------------------------===//
// Rounding to narrow floating-point formats
//===----------------------------------------------------------------------===//

/// Rounds `y` to an integer, ties to even, whatever the FPU's rounding mode.
double roundHalfEven(double y) {
  double r = std::floor(y);
  double frac = y - r; // exact: |y| is small here (see roundToFormat)
  if (frac > 0.5 || (frac == 0.5 && std::fmod(r, 2.0) != 0))
    r += 1;
  return r;
}

/// Rounds `x` to nearest-even in a binary format with `mantBits` stored
/// mantissa bits, smallest normal exponent `minExp` and largest exponent
/// `maxExp`. Subnormals fall out of clamping the exponent at `minExp` (they
/// share its quantum); what rounds past the largest finite value is inf, as
/// IEEE rounding does.
double roundToFormat(double x, int mantBits, int minExp, int maxExp) {
  if (!std::isfinite(x) || x == 0)
    return x;
  int exp;
  std::frexp(x, &exp); // |x| = m * 2^exp with m in [0.5, 1)
  int lead = std::max(exp - 1, minExp);
  // Scaling by a power of two is exact, and |x| / quantum < 2^(mantBits+1),
  // so roundHalfEven works on a small exact number.
  double quantum = std::ldexp(1.0, lead - mantBits);
  double r = roundHalfEven(x / quantum) * quantum;
  double maxFinite = std::ldexp(2.0 - std::ldexp(1.0, -mantBits), maxExp);
  if (std::fabs(r) > maxFinite)
    return std::copysign(std::numeric_limits<double>::infinity(), x);
  return r;
}

double roundToFloat(double x) { return static_cast<double>(static_cast<float>(x)); }

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

class Random {
public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1), from the top 53 bits.
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  /// Uniform in [lo, hi] (inclusive). The modulo bias is far below anything
  /// a test could notice for the small ranges used here.
  int64_t uniformInt(int64_t lo, int64_t hi) {
    auto span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(engine_() % span);
  }

private:
  std::mt19937_64 engine_;
};

std::vector<double> randomTensor(Random &rng, int64_t count, mlir::Type dtype) {
  std::vector<double> t(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (double &x : t)
    x = roundToDtype(rng.uniform(-1, 1), dtype);
  return t;
}

//===----------------------------------------------------------------------===//
// Params
//===----------------------------------------------------------------------===//

double defaultOrRandomScalar(ParamOp param, bool isInt, Random &rng) {
  if (auto def = param.getDefaultValueAttr()) {
    if (auto i = llvm::dyn_cast<mlir::IntegerAttr>(def))
      return static_cast<double>(i.getInt());
    if (auto f = llvm::dyn_cast<mlir::FloatAttr>(def))
      return f.getValueAsDouble();
  }
  // Plausible values for a cap, a temperature, a window, a chunk size.
  return isInt ? static_cast<double>(rng.uniformInt(1, 64))
               : roundToFloat(rng.uniform(0.5, 2.0));
}

std::vector<double> randomArray(Random &rng, int64_t count, bool isInt) {
  std::vector<double> a(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (double &x : a)
    x = isInt ? static_cast<double>(rng.uniformInt(0, 7))
              : roundToFloat(rng.uniform(-1, 1));
  return a;
}

/// Document ids of `n` KV positions: 0 at the start, non-decreasing, in
/// 1..min(n, 8) runs of random lengths (what a document mask reads).
std::vector<double> documentIds(Random &rng, int64_t n) {
  std::vector<double> ids(static_cast<size_t>(std::max<int64_t>(n, 0)), 0.0);
  if (n <= 1)
    return ids;
  int64_t docs = rng.uniformInt(1, std::min<int64_t>(n, 8));
  // Pick docs - 1 distinct cut positions in [1, n) by a partial shuffle.
  std::vector<int64_t> cuts(static_cast<size_t>(n - 1));
  for (int64_t p = 1; p < n; ++p)
    cuts[p - 1] = p;
  for (int64_t c = 0; c < docs - 1; ++c)
    std::swap(cuts[c], cuts[rng.uniformInt(c, n - 2)]);
  cuts.resize(static_cast<size_t>(docs - 1));
  std::sort(cuts.begin(), cuts.end());
  int64_t id = 0;
  size_t next = 0;
  for (int64_t p = 0; p < n; ++p) {
    while (next < cuts.size() && cuts[next] == p) {
      ++id;
      ++next;
    }
    ids[p] = static_cast<double>(id);
  }
  return ids;
}

void randomParams(VariantOp variant, const std::vector<int64_t> &kvLens,
                  Random &rng, ParamValues &values) {
  for (ParamOp param : variant.getBody().front().getOps<ParamOp>()) {
    std::string name = param.getSymName().str();
    bool isInt = param.getType().isInteger(32);
    switch (param.getDomain()) {
    case ParamDomain::scalar:
      values.scalars[name] = defaultOrRandomScalar(param, isInt, rng);
      break;
    case ParamDomain::heads:
      values.arrays[name] = randomArray(rng, variant.getNumQHeads(), isInt);
      break;
    case ParamDomain::kv_heads:
      values.arrays[name] = randomArray(rng, variant.getNumKvHeads(), isInt);
      break;
    case ParamDomain::batch:
      values.arrays[name] =
          randomArray(rng, static_cast<int64_t>(kvLens.size()), isInt);
      break;
    case ParamDomain::tokens: {
      auto &perRequest = values.tokens[name];
      for (int64_t n : kvLens)
        perRequest.push_back(isInt ? documentIds(rng, n)
                                   : randomArray(rng, n, /*isInt=*/false));
      break;
    }
    }
  }
}

int64_t sumOfLengths(const std::vector<int64_t> &lens) {
  int64_t total = 0;
  for (int64_t n : lens)
    total += std::max<int64_t>(n, 0); // a bad length is evaluate()'s to report
  return total;
}

} // namespace

double attn::ref::roundToBF16(double x) {
  return roundToFormat(x, /*mantBits=*/7, /*minExp=*/-126, /*maxExp=*/127);
}

double attn::ref::roundToF16(double x) {
  return roundToFormat(x, /*mantBits=*/10, /*minExp=*/-14, /*maxExp=*/15);
}

double attn::ref::roundToDtype(double x, mlir::Type dtype) {
  if (dtype.isBF16())
    return roundToBF16(x);
  if (dtype.isF16())
    return roundToF16(x);
  return x;
}

/// A random block-sparse pattern: each (query block, key block) pair kept
/// with probability 1/2, plus the diagonal-most block of each row so that
/// most rows attend to something. Some rows still come out empty, which is
/// a case the kernels must handle too.
static void randomBlockSparse(VariantOp variant, const std::vector<int64_t> &qLens,
                       const std::vector<int64_t> &kvLens, Random &rng, Problem &p) {
  int64_t bq = variant.getBlockQ().value_or(1), bkv = variant.getBlockKv().value_or(1);
  p.bsrIndptr.push_back(0);
  for (size_t b = 0; b < qLens.size(); ++b) {
    p.bsrRowOffsets.push_back(static_cast<int64_t>(p.bsrIndptr.size()) - 1);
    int64_t qBlocks = (qLens[b] + bq - 1) / bq, kvBlocks = (kvLens[b] + bkv - 1) / bkv;
    for (int64_t r = 0; r < qBlocks; ++r) {
      // The key block holding this query block's last position.
      int64_t lastPos = kvLens[b] - qLens[b] + std::min(qLens[b], (r + 1) * bq) - 1;
      int64_t diagonal = lastPos / bkv;
      for (int64_t c = 0; c < kvBlocks; ++c)
        if (c == diagonal || rng.unit() < 0.5)
          p.bsrIndices.push_back(c);
      p.bsrIndptr.push_back(static_cast<int64_t>(p.bsrIndices.size()));
    }
  }
}

Problem attn::ref::makeRandomProblem(VariantOp variant,
                                     std::vector<int64_t> qLens,
                                     std::vector<int64_t> kvLens,
                                     uint64_t seed) {
  Problem p;
  int64_t totalQ = sumOfLengths(qLens), totalKV = sumOfLengths(kvLens);
  int64_t hq = variant.getNumQHeads(), hkv = variant.getNumKvHeads();
  int64_t dqk = variant.getHeadDimQk(), dvo = variant.getHeadDimVo();
  mlir::Type dtype = variant.getDtype();

  Random tensors(seed);
  p.q = randomTensor(tensors, totalQ * hq * dqk, dtype);
  p.k = randomTensor(tensors, totalKV * hkv * dqk, dtype);
  p.v = randomTensor(tensors, totalKV * hkv * dvo, dtype);
  // A stream of its own, so that a param's value does not move when only
  // the lengths change.
  Random params(seed ^ 0x9e3779b97f4a7c15ull);
  randomParams(variant, kvLens, params, p.params);
  if (variant.getKvLayout() == KVLayout::block_sparse) {
    Random blocks(seed ^ 0x5bd1e995ull);
    randomBlockSparse(variant, qLens, kvLens, blocks, p);
  }

  p.qLens = std::move(qLens);
  p.kvLens = std::move(kvLens);
  return p;
}
