//===- GpuRun.h - One problem through attnrt on the GPU ---------*- C++ -*-===//
#ifndef ATTN_TEST_GPU_GPURUN_H
#define ATTN_TEST_GPU_GPURUN_H

#include "HostTensors.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attnrt/Launch.h"
#include "attnrt/Module.h"

#include <cuda.h>

#include <algorithm>
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
  double graphPdlMs = 0;     ///< the same with programmatic launch, when timeProgrammatic
};

struct GpuRunOptions {
  attnrt::RunOptions run;
  int timedReps = 0;         ///< > 0: also time this many replays (median)
  /// > 0 (with timedReps): also time, as the torch anchors time decode, a CUDA
  /// graph of graphSets run() calls each over its own copy of K and V (so
  /// the KV cannot sit in L2 from one call to the next and no call pays a
  /// host launch); graphMs is the median graph time / graphSets.
  int graphSets = 0;
  /// With graphSets: also time the graph with Runner::setProgrammaticLaunch
  /// (graphPdlMs), after the plain one; the downloaded outputs are then the
  /// programmatic launches'.
  bool timeProgrammatic = false;
  bool writeLse = true;
};

/// Uploads `data` (and the params of `p`), poisons the outputs with NaN bits,
/// runs the module through attnrt::Runner, downloads the results.
bool runOnGpu(const attnrt::Module &module, VariantOp variant, const ref::Problem &p,
              const LayoutData &data, const GpuRunOptions &options, GpuOutput &out,
              std::string &error);

/// The batch description of `d` as attnrt's planner takes it.
attnrt::BatchDesc batchOf(const LayoutData &d);

/// attnrt's view of `d` uploaded to q, k, v, o and lse (lse may be 0).
attnrt::DeviceTensors tensorsOf(const LayoutData &d, CUdeviceptr q, CUdeviceptr k,
                                CUdeviceptr v, CUdeviceptr o, CUdeviceptr lse);

/// "CUDA_ERROR_X (what)" or empty.
std::string cudaError(CUresult r, const char *what);

/// Median of `reps` timed calls of `launch` (returns "" or an error) on
/// `stream`: events around each call, synchronized; each time is divided by
/// `callsPerLaunch` (a graph that replays several calls).
template <typename F>
bool timeMedian(int reps, CUstream stream, F &&launch, double &medianMs, std::string &error,
                int callsPerLaunch = 1) {
  CUevent start, stop;
  cuEventCreate(&start, CU_EVENT_DEFAULT);
  cuEventCreate(&stop, CU_EVENT_DEFAULT);
  std::vector<float> times;
  for (int r = 0; r < reps && error.empty(); ++r) {
    cuEventRecord(start, stream);
    error = launch();
    cuEventRecord(stop, stream);
    if (error.empty())
      error = cudaError(cuEventSynchronize(stop), "timed run");
    float ms = 0;
    cuEventElapsedTime(&ms, start, stop);
    times.push_back(ms / callsPerLaunch);
  }
  cuEventDestroy(start);
  cuEventDestroy(stop);
  if (!error.empty())
    return false;
  std::sort(times.begin(), times.end());
  medianMs = times[times.size() / 2];
  return true;
}

/// A CUDA graph captured on a stream of its own; everything is destroyed
/// with the object.
class CapturedGraph {
public:
  CapturedGraph() = default;
  ~CapturedGraph();
  CapturedGraph(const CapturedGraph &) = delete;
  CapturedGraph &operator=(const CapturedGraph &) = delete;
  /// Creates the (non-blocking) stream; plan uploads may go on it before capture.
  bool createStream(std::string &error);
  /// Captures body() (returns "" or an error; it launches on stream()),
  /// instantiates the graph, replays it once and synchronizes (warm-up).
  template <typename F> bool capture(F &&body, std::string &error) {
    if (!stream_ && !createStream(error))
      return false;
    if ((error = cudaError(cuStreamBeginCapture(stream_, CU_STREAM_CAPTURE_MODE_RELAXED),
                           "cuStreamBeginCapture")).size())
      return false;
    std::string bodyError = body();
    CUresult end = cuStreamEndCapture(stream_, &graph_);
    if ((error = bodyError).size() || (error = cudaError(end, "cuStreamEndCapture")).size() ||
        (error = cudaError(cuGraphInstantiate(&exec_, graph_, 0), "cuGraphInstantiate")).size() ||
        (error = replay()).size() ||
        (error = cudaError(cuStreamSynchronize(stream_), "graph execution")).size())
      return false;
    return true;
  }
  /// One replay on stream(): "" or an error.
  std::string replay() { return cudaError(cuGraphLaunch(exec_, stream_), "cuGraphLaunch"); }
  CUstream stream() const { return stream_; }

private:
  CUstream stream_ = nullptr;
  CUgraph graph_ = nullptr;
  CUgraphExec exec_ = nullptr;
};

} // namespace attn::gputest

#endif
