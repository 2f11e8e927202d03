//===- EdgeSupport.cpp - Shared pieces of the edge and large GPU tests ----===//
#include "EdgeSupport.h"

#include "attnrt/Module.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace attn::gputest {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
double secondsSince(double t0) { return nowSeconds() - t0; }

std::vector<CompiledConfig> compileConfigs(const std::vector<ConfigRequest> &requests,
                                           const std::string &arch, unsigned jobs) {
  std::vector<CompiledConfig> compiled(requests.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  unsigned n = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(requests.size())));
  for (unsigned j = 0; j < n; ++j)
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < requests.size();) {
        double t0 = nowSeconds();
        CompiledConfig &c = compiled[i];
        std::string file = requests[i].path.substr(requests[i].path.rfind('/') + 1);
        if (buildVariant(requests[i].path, requests[i].overrides, c.built, c.error)) {
          c.label = file + " " + configLabel(c.built.op);
          target::CompileOptions opts;
          opts.archs = {arch};
          opts.useCache = false;
          if (!target::compileVariant(c.built.op, opts, c.artifact, c.error) && c.error.empty())
            c.error = "compile failed";
        } else {
          c.label = file + " ?";
        }
        c.seconds = secondsSince(t0);
      }
    });
  for (auto &t : pool)
    t.join();
  return compiled;
}

int reportCompileOnly(const std::vector<CompiledConfig> &compiled) {
  int failed = 0;
  for (const CompiledConfig &c : compiled) {
    unsigned spill = c.error.empty() ? c.artifact.artifacts.front().spillBytes : 0;
    if (!c.error.empty()) {
      std::printf("FAIL compile %s: %s\n", c.label.c_str(), c.error.c_str());
      ++failed;
    } else if (spill) {
      std::printf("FAIL compile %s: spills %u bytes\n", c.label.c_str(), spill);
      ++failed;
    } else {
      std::printf("PASS compile %s (%.1f s)\n", c.label.c_str(), c.seconds);
    }
  }
  std::printf("%zu passed, %d failed\n", compiled.size() - failed, failed);
  return failed;
}

int startGpu(std::string &arch, std::string &deviceName) {
  CUresult init = cuInit(0);
  int devices = 0;
  if (init == CUDA_SUCCESS)
    cuDeviceGetCount(&devices);
  if (init != CUDA_SUCCESS || devices == 0) {
    std::printf("GPU tests skipped: no CUDA device (%s)\n",
                init == CUDA_SUCCESS ? "no devices" : cudaError(init, "cuInit").c_str());
    std::printf("0 passed, 0 failed, 1 skipped\n");
    return 1;
  }
  CUcontext ctx = nullptr;
  attnrt::Status st = attnrt::initDevice(0, &ctx);
  if (!st.ok()) {
    std::printf("cannot initialize the GPU: %s\n", st.toString().c_str());
    return 2;
  }
  CUdevice dev;
  cuCtxGetDevice(&dev);
  char name[256] = {};
  cuDeviceGetName(name, sizeof name, dev);
  deviceName = name;
  int major = 0, minor = 0;
  cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
  arch = "sm_" + std::to_string(major) + std::to_string(minor) + (major == 9 ? "a" : "");
  return 0;
}

bool isDeviceFault(const std::string &error) {
  return error.find("CUDA_ERROR_ILLEGAL") != std::string::npos ||
         error.find("LAUNCH_FAILED") != std::string::npos ||
         error.find("MISALIGNED") != std::string::npos ||
         error.find("CUDA_ERROR_ASSERT") != std::string::npos;
}

void exitAfterDeviceFault(int passed, int failed) {
  std::printf("the context is lost after a device fault; stopping\n");
  std::printf("%d passed, %d failed\n", passed, failed);
  std::fflush(stdout);
  std::_Exit(1);
}

std::string StrictComparison::describe() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "rel err %.2e, lse err %.2e, class mismatches %lld (NaN where ref is not: %lld), "
                "lse mismatches %lld, empty rows %lld (violations %lld), NaN rows ref %lld gpu %lld",
                relErr, lseErr, static_cast<long long>(classMismatch),
                static_cast<long long>(nanWhereFinite), static_cast<long long>(lseMismatch),
                static_cast<long long>(emptyRows), static_cast<long long>(emptyRowViolations),
                static_cast<long long>(refNaNRows), static_cast<long long>(gpuNaNRows));
  std::string s = buf;
  if (!firstProblem.empty())
    s += "; first: " + firstProblem;
  return s;
}

StrictComparison compareStrict(const GpuOutput &gpu, const ref::Result &ref, bool bf16,
                               int64_t hq, int64_t dvo, const StrictOptions &o) {
  StrictComparison c;
  const double maxFinite = bf16 ? 3.3895313892515355e38 : 65504.0;
  const double big = o.nearMax * maxFinite;
  auto note = [&](const char *what, int64_t row, int64_t head, int64_t dim, double r, double g) {
    if (!c.firstProblem.empty())
      return;
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s at row %lld head %lld dim %lld: ref %g gpu %g", what,
                  static_cast<long long>(row), static_cast<long long>(head),
                  static_cast<long long>(dim), r, g);
    c.firstProblem = buf;
  };
  if (gpu.o.size() != ref.out.size()) {
    c.classMismatch = 1;
    c.firstProblem = "output sizes differ";
    return c;
  }
  int64_t rows = hq > 0 && dvo > 0 ? static_cast<int64_t>(ref.out.size()) / (hq * dvo) : 0;
  double diff2 = 0, ref2 = 0;
  bool haveLse = gpu.lse.size() == ref.lse.size();
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t h = 0; h < hq; ++h) {
      size_t base = static_cast<size_t>((row * hq + h) * dvo);
      size_t lseAt = static_cast<size_t>(row * hq + h);
      double rl = ref.lse[lseAt];
      bool empty = std::isinf(rl) && rl < 0;
      bool refNaN = false, gpuNaN = false;
      if (empty)
        ++c.emptyRows;
      for (int64_t d = 0; d < dvo; ++d) {
        double r = ref.out[base + d], g = fromBits(gpu.o[base + d], bf16);
        refNaN |= std::isnan(r);
        gpuNaN |= std::isnan(g);
        if (empty && g != 0) {
          ++c.emptyRowViolations;
          note("empty row not 0", row, h, d, r, g);
        }
        if (std::isnan(r)) {
          if (!std::isnan(g)) {
            ++c.classMismatch;
            note("ref NaN", row, h, d, r, g);
          }
          continue;
        }
        if (std::isnan(g)) {
          ++c.classMismatch;
          ++c.nanWhereFinite;
          note("gpu NaN", row, h, d, r, g);
          continue;
        }
        if (std::isinf(r) || std::isinf(g)) {
          // The same infinity, or both at the edge of the range with one sign.
          bool same = r == g;
          bool edge = (r > 0) == (g > 0) && std::fabs(r) >= big && std::fabs(g) >= big;
          bool weightOverflow = std::isinf(g) && (r > 0) == (g > 0) && rl > o.lseInfAbove;
          if (!same && !edge && !weightOverflow) {
            ++c.classMismatch;
            note("inf class", row, h, d, r, g);
          }
          continue;
        }
        diff2 += (g - r) * (g - r);
        ref2 += r * r;
      }
      if (refNaN)
        ++c.refNaNRows;
      if (gpuNaN)
        ++c.gpuNaNRows;
      if (!haveLse)
        continue;
      double g = gpu.lse[lseAt];
      if (empty) {
        if (!(std::isinf(g) && g < 0)) {
          ++c.emptyRowViolations;
          note("empty row lse not -inf", row, h, -1, rl, g);
        }
        continue;
      }
      bool ok;
      if (std::isnan(rl))
        ok = std::isnan(g);
      else if (std::isinf(rl))
        ok = g == rl;
      else if (std::isinf(g) && g > 0 && rl > o.lseInfAbove)
        ok = true;
      else if (!std::isfinite(g))
        ok = false;
      else {
        ok = true;
        c.lseErr = std::max(c.lseErr, std::fabs(g - rl) / (1 + std::fabs(rl)));
      }
      if (!ok) {
        ++c.lseMismatch;
        note("lse class", row, h, -1, rl, g);
      }
    }
  c.relErr = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  return c;
}

} // namespace attn::gputest
