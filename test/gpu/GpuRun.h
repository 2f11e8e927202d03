//===- GpuRun.h - One problem through attnrt on the GPU ---------*- C++ -*-===//
#ifndef ATTN_TEST_GPU_GPURUN_H
#define ATTN_TEST_GPU_GPURUN_H

#include "HostTensors.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attnrt/Launch.h"
#include "attnrt/Module.h"

#include <cuda.h>

#include <string>
#include <vector>

namespace attn::gputest {

/// Device memory owned by the test; freed on destruction.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  bool alloc(size_t bytes, std::string &error);
  bool upload(const void *data, size_t bytes, std::string &error);
  CUdeviceptr ptr() const { return ptr_; }
  size_t bytes() const { return bytes_; }

private:
  CUdeviceptr ptr_ = 0;
  size_t bytes_ = 0;
};

struct GpuOutput {
  std::vector<uint16_t> o;   ///< dtype bits, [total_q][Hq][Dvo]
  std::vector<float> lse;    ///< [total_q][Hq]
  double medianMs = 0;       ///< when timed
  double graphMs = 0;        ///< per call, when graphSets > 0
};

struct GpuRunOptions {
  attnrt::RunOptions run;
  int timedReps = 0;         ///< > 0: also time this many replays (median)
  /// > 0 (with timedReps): also time, as the torch anchors time decode, a CUDA
  /// graph of graphSets run() calls each over its own copy of K and V (so
  /// the KV cannot sit in L2 from one call to the next and no call pays a
  /// host launch); graphMs is the median graph time / graphSets.
  int graphSets = 0;
  bool writeLse = true;
};

/// Uploads `data` (and the params of `p`), poisons the outputs with NaN bits,
/// runs the module through attnrt::Runner, downloads the results.
bool runOnGpu(const attnrt::Module &module, VariantOp variant, const ref::Problem &p,
              const LayoutData &data, const GpuRunOptions &options, GpuOutput &out,
              std::string &error);

/// "CUDA_ERROR_X (what)" or empty.
std::string cudaError(CUresult r, const char *what);

} // namespace attn::gputest

#endif
