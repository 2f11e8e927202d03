//===- Reference.cpp - `attnc ref`: the float64 oracle on random inputs ---===//
//
// Builds a random problem (inputs rounded to the variant's dtype), runs the
// reference evaluator, and prints a summary a person can sanity-check: output
// magnitude, a checksum, the LSE range and how many rows kept no key.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include "attn/Reference/Evaluator.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>

using namespace attn;

namespace attnc {

int runReference(VariantOp variant, const std::string &path,
                 const std::vector<int64_t> &qLens, const std::vector<int64_t> &kvLens,
                 uint64_t seed, const std::vector<std::string> &paramSettings,
                 int64_t printRows) {
  if (qLens.empty() || qLens.size() != kvLens.size()) {
    reportError(path, "--q-len and --kv-len need one value per request, the same count");
    return kUserError;
  }
  int64_t pairs = 0, totalQ = 0;
  for (size_t b = 0; b < qLens.size(); ++b) {
    if (qLens[b] < 0 || kvLens[b] < qLens[b]) {
      reportError(path, fmt::format("request {}: need 0 <= q_len <= kv_len, got {} and {}",
                                    b, qLens[b], kvLens[b]));
      return kUserError;
    }
    pairs += qLens[b] * kvLens[b];
    totalQ += qLens[b];
  }
  if (pairs * variant.getNumQHeads() > 4'000'000'000LL) {
    reportError(path, "problem too large for the CPU reference (over 4e9 scores)");
    return kUserError;
  }

  ref::Problem problem = ref::makeRandomProblem(variant, qLens, kvLens, seed);
  std::string error;
  if (!applyParamOverrides(variant, paramSettings, problem.params, error)) {
    reportError(path, error);
    return kUserError;
  }
  ref::Result result;
  auto start = std::chrono::steady_clock::now();
  if (!ref::evaluate(variant, problem, result, error)) {
    reportError(path, error);
    return kUserError;
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  int64_t hq = variant.getNumQHeads(), dvo = variant.getHeadDimVo();
  double sumAbs = 0, maxAbs = 0, checksum = 0;
  for (double v : result.out) {
    sumAbs += std::fabs(v);
    maxAbs = std::max(maxAbs, std::fabs(v));
    checksum += v;
  }
  double lseMin = std::numeric_limits<double>::infinity(), lseMax = -lseMin;
  int64_t emptyRows = 0, nanCount = 0;
  for (double l : result.lse) {
    if (std::isnan(l)) {
      ++nanCount;
    } else if (std::isinf(l) && l < 0) {
      ++emptyRows;
    } else {
      lseMin = std::min(lseMin, l);
      lseMax = std::max(lseMax, l);
    }
  }
  for (double v : result.out)
    nanCount += std::isnan(v) ? 1 : 0;

  auto &os = llvm::outs();
  std::string lens;
  for (size_t b = 0; b < qLens.size(); ++b)
    lens += fmt::format("{}{}x{}", b ? ", " : "", qLens[b], kvLens[b]);
  os << fmt::format("variant {}: {} request(s) [q_len x kv_len: {}], heads {}:{}, "
                    "head_dim {}:{}, seed {}\n",
                    variant.getSymName().str(), qLens.size(), lens, hq,
                    variant.getNumKvHeads(), variant.getHeadDimQk(), dvo, seed);
  os << fmt::format("output: {} values, mean |o| {:.6g}, max |o| {:.6g}, checksum {:.9g}\n",
                    result.out.size(), result.out.empty() ? 0.0 : sumAbs / result.out.size(),
                    maxAbs, checksum);
  if (emptyRows == static_cast<int64_t>(result.lse.size()))
    os << fmt::format("lse: every row kept no key ({} rows: output 0, lse -inf)\n", emptyRows);
  else
    os << fmt::format("lse: min {:.6g}, max {:.6g}; rows with no kept key: {} of {}\n",
                      lseMin, lseMax, emptyRows, result.lse.size());
  os << fmt::format("nan values: {}\n", nanCount);
  for (int64_t r = 0; r < std::min<int64_t>(printRows, totalQ); ++r) {
    os << fmt::format("row {} head 0: lse {:.6g}, o[0..{}] =", r, result.lse[r * hq],
                      std::min<int64_t>(dvo, 4));
    for (int64_t d = 0; d < std::min<int64_t>(dvo, 4); ++d)
      os << fmt::format(" {:.6g}", result.out[(r * hq) * dvo + d]);
    os << "\n";
  }
  os << fmt::format("reference time: {:.1f} ms ({} scores)\n", ms, pairs * hq);
  return kOk;
}

} // namespace attnc
