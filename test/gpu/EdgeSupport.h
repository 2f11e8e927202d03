//===- EdgeSupport.h - Shared pieces of the edge and large GPU tests -*- C++ -*-===//
//
// What attn-gpu-edge-tests and attn-gpu-large-tests share: compiling a few
// configurations in parallel through NVRTC, starting the GPU (or saying that
// there is none), and a comparison with the reference that, unlike
// Compare.h's, also handles non-finite references: NaN where the reference is
// NaN, the same infinity where it is infinite, rows with no kept key exactly
// 0 with LSE -inf.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_GPU_EDGESUPPORT_H
#define ATTN_TEST_GPU_EDGESUPPORT_H

#include "GpuRun.h"
#include "VariantBuilder.h"

#include "attn/Target/CUDA/Compile.h"

#include <cmath>
#include <string>
#include <vector>

namespace attn::gputest {

struct ConfigRequest {
  std::string path;
  Overrides overrides;
};

struct CompiledConfig {
  BuiltVariant built;
  target::CompiledVariant artifact;
  std::string error;
  double seconds = 0;
  std::string label; ///< "file.attn bf16/paged(16)/8:2"
};

/// Builds and compiles every request for `arch`, `jobs` at a time.
std::vector<CompiledConfig> compileConfigs(const std::vector<ConfigRequest> &requests,
                                           const std::string &arch, unsigned jobs);

/// Prints FAIL lines for compile errors and spills; returns the failure count.
int reportCompileOnly(const std::vector<CompiledConfig> &compiled);

/// cuInit + the primary context of device 0. Returns 0 when ready (arch e.g.
/// "sm_90a"), 1 when there is no GPU (prints why), 2 on an error.
int startGpu(std::string &arch, std::string &deviceName);

/// Process exit after a device fault: the context is unusable, destructors
/// would only fault again.
[[noreturn]] void exitAfterDeviceFault(int passed, int failed);
bool isDeviceFault(const std::string &error);

struct StrictOptions {
  double tol = 1e-2;      ///< ||out - ref|| / ||ref|| over elements finite in both
  double lseTol = 1e-2;   ///< max |lse - ref| / (1 + |ref|) over finite LSEs
  /// normalize = none: where the reference LSE (float64) exceeds this, the
  /// f32 weights of the row (one of them, or their sum) may leave f32's range
  /// (hooks compute in f32, docs/language.md section 1): a GPU LSE of +inf is
  /// accepted, and so is an infinite output with the reference's sign.
  double lseInfAbove = INFINITY;
  /// Outputs within this fraction of the dtype's largest finite value may
  /// round to infinity on one side and not on the other.
  double nearMax = 0.98;
};

struct StrictComparison {
  double relErr = 0, lseErr = 0;
  int64_t classMismatch = 0;    ///< NaN/inf class differs from the reference's
  int64_t nanWhereFinite = 0;   ///< of those: GPU NaN where the reference is not NaN
  int64_t lseMismatch = 0;      ///< LSE class differs (NaN, +-inf, finite)
  int64_t emptyRows = 0;        ///< (row, head) pairs with no kept key in the reference
  int64_t emptyRowViolations = 0; ///< of those: GPU output not exactly 0 or LSE not -inf
  int64_t refNaNRows = 0, gpuNaNRows = 0; ///< (row, head) pairs with any NaN output
  std::string firstProblem;     ///< where the first mismatch is, for the log
  bool pass(const StrictOptions &o) const {
    return classMismatch == 0 && lseMismatch == 0 && emptyRowViolations == 0 &&
           relErr <= o.tol && lseErr <= o.lseTol;
  }
  std::string describe() const;
};

/// `hq` x `dvo` elements per query row. `lse` checked when the GPU wrote it.
StrictComparison compareStrict(const GpuOutput &gpu, const ref::Result &ref, bool bf16,
                               int64_t hq, int64_t dvo, const StrictOptions &o);

/// Seconds since `t0` (steady clock).
double secondsSince(double t0);
double nowSeconds();

} // namespace attn::gputest

#endif
