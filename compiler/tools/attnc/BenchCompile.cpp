//===- BenchCompile.cpp - `attnc bench-compile`: how long a compile takes -===//
//
// Prints (does not assert) the figures the design targets: a cold compile
// (NVRTC, cache bypassed; the first one in the process also pays NVRTC's own
// start-up) and a cached compile end to end (read the .attn, check, lower,
// optimize, emit, hash, read the cache entry), the median of several runs.
// The cache used is a fresh temporary directory, so neither a user's cache
// nor an earlier run can make the cold figure look warm.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include "attn/Target/CUDA/Compile.h"
#include "attn/Target/NVRTC/NVRTC.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace attnc {

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// One end-to-end compile from the .attn file; returns an ExitCode.
int compileOnce(const std::string &path, const std::string &variantName,
                const attn::target::CompileOptions &options,
                attn::target::CompiledVariant &compiled, double *frontMillis = nullptr) {
  auto start = Clock::now();
  mlir::MLIRContext context;
  LoadedFile file;
  if (int rc = loadFile(path, context, Stage::Optimized, file))
    return rc;
  attn::VariantOp v = selectVariant(*file.module, variantName, path);
  if (!v)
    return kUserError;
  if (frontMillis)
    *frontMillis = millisSince(start);
  std::string error;
  if (!attn::target::compileVariant(v, options, compiled, error)) {
    reportError(path, fmt::format("internal error: {}", error));
    return kInternalError;
  }
  return kOk;
}

} // namespace

int runBenchCompile(const std::string &path, const std::string &variantName,
                    const std::vector<std::string> &archs, int runs) {
  std::string includeDir, error;
  if (!attn::target::findCudaIncludeDir(includeDir, error)) {
    reportError(path, error);
    return kUserError;
  }
  llvm::SmallString<128> cacheDir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("attnc-bench", cacheDir)) {
    reportError(path, fmt::format("cannot create a temporary cache directory: {}", ec.message()));
    return kUserError;
  }
  attn::target::CompileOptions options;
  options.archs = archs;
  options.cacheDir = cacheDir.str().str();

  // Cold: no cache at all; the first NVRTC call of the process.
  options.useCache = false;
  attn::target::CompiledVariant compiled;
  double front = 0;
  auto start = Clock::now();
  int rc = compileOnce(path, variantName, options, compiled, &front);
  double coldTotal = millisSince(start);
  double coldNVRTC = compiled.compileMillis;
  // Cold again, NVRTC already loaded: what a long-lived process (a JIT) pays.
  double warmNVRTC = 0;
  if (rc == kOk) {
    rc = compileOnce(path, variantName, options, compiled);
    warmNVRTC = compiled.compileMillis;
  }
  // Fill the cache, then time cached compiles end to end.
  std::vector<double> cached;
  if (rc == kOk) {
    options.useCache = true;
    rc = compileOnce(path, variantName, options, compiled);
  }
  for (int i = 0; rc == kOk && i < runs; ++i) {
    start = Clock::now();
    rc = compileOnce(path, variantName, options, compiled);
    cached.push_back(millisSince(start));
    if (rc == kOk && !compiled.fromCache) {
      reportError(path, "internal error: the compile cache did not hit");
      rc = kInternalError;
    }
  }
  llvm::sys::fs::remove_directories(cacheDir);
  if (rc != kOk)
    return rc;

  std::string archList;
  for (const std::string &a : archs)
    archList += (archList.empty() ? "" : ", ") + a;
  size_t cubinBytes = 0;
  for (const attn::target::ArchArtifact &a : compiled.artifacts)
    cubinBytes += a.cubin.size();
  llvm::outs() << fmt::format("bench-compile {} ({}), archs {}, NVRTC {}\n", compiled.variant,
                              path, archList, attn::target::nvrtcVersionString());
  llvm::outs() << fmt::format("  front end (parse, check, MLIR passes): {:9.1f} ms\n", front);
  llvm::outs() << fmt::format("  cold compile, NVRTC (cache bypassed):  {:9.1f} ms   "
                              "(first NVRTC use in the process)\n",
                              coldNVRTC);
  llvm::outs() << fmt::format("  cold compile, end to end:              {:9.1f} ms\n",
                              coldTotal);
  llvm::outs() << fmt::format("  recompile, NVRTC already loaded:       {:9.1f} ms\n",
                              warmNVRTC);
  llvm::outs() << fmt::format("  cached compile, end to end (median of {}): {:6.2f} ms   "
                              "(min {:.2f}, max {:.2f})\n",
                              cached.size(), median(cached),
                              *std::min_element(cached.begin(), cached.end()),
                              *std::max_element(cached.begin(), cached.end()));
  llvm::outs() << fmt::format("  artifacts: {} cubin(s), {} bytes\n", compiled.artifacts.size(),
                              cubinBytes);
  return kOk;
}

} // namespace attnc
