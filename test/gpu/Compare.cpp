//===- Compare.cpp - GPU output against the float64 reference -------------===//
#include "Compare.h"

#include <cmath>
#include <cstdio>

namespace attn::gputest {

std::string Comparison::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "rel err %.2e, lse err %.2e, bad outputs %lld, lse -inf mismatches %lld",
                relErr, lseErr, static_cast<long long>(nanOutputs),
                static_cast<long long>(lseMismatch));
  return buf;
}

Comparison compare(const GpuOutput &gpu, const ref::Result &ref, bool bf16, bool checkLse) {
  Comparison c;
  double diff2 = 0, ref2 = 0;
  for (size_t i = 0; i < ref.out.size() && i < gpu.o.size(); ++i) {
    double r = ref.out[i], g = fromBits(gpu.o[i], bf16);
    if (!std::isfinite(g) && std::isfinite(r)) {
      ++c.nanOutputs;
      continue;
    }
    diff2 += (g - r) * (g - r);
    ref2 += r * r;
  }
  if (gpu.o.size() != ref.out.size())
    c.nanOutputs += 1;
  c.relErr = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  if (!checkLse)
    return c;
  for (size_t i = 0; i < ref.lse.size() && i < gpu.lse.size(); ++i) {
    double r = ref.lse[i], g = gpu.lse[i];
    bool rEmpty = std::isinf(r) && r < 0, gEmpty = std::isinf(g) && g < 0;
    if (rEmpty != gEmpty || std::isnan(g)) {
      ++c.lseMismatch;
      continue;
    }
    if (!rEmpty)
      c.lseErr = std::max(c.lseErr, std::fabs(g - r) / (1 + std::fabs(r)));
  }
  return c;
}

} // namespace attn::gputest
