//===- Compare.h - GPU output against the float64 reference -----*- C++ -*-===//
#ifndef ATTN_TEST_GPU_COMPARE_H
#define ATTN_TEST_GPU_COMPARE_H

#include "GpuRun.h"

#include <string>

namespace attn::gputest {

struct Comparison {
  double relErr = 0;     ///< ||out - ref|| / ||ref|| (absolute when ref is 0)
  double lseErr = 0;     ///< max |lse - ref| / (1 + |ref|) over finite rows
  int64_t nanOutputs = 0;  ///< NaN/inf where the reference is finite: unwritten or broken
  int64_t lseMismatch = 0; ///< rows where one LSE is -inf and the other is not
  bool pass(double tol) const {
    return nanOutputs == 0 && lseMismatch == 0 && relErr <= tol && lseErr <= 1e-2;
  }
  std::string describe() const;
};

Comparison compare(const GpuOutput &gpu, const ref::Result &ref, bool bf16,
                   bool checkLse);

} // namespace attn::gputest

#endif
