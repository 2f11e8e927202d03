//===- Launch.h - Plan a batch and launch the kernels -----------*- C++ -*-===//
//
// Runner = the launch path: plan() validates the batch, runs the planner
// (WorkList.h) for the persistent grid and enqueues the upload of every index
// array into device buffers the runner owns; run() packs the params blob and
// launches the persistent attention kernel (grid = SMs x resident CTAs per
// SM, fixed), whose CTAs also merge split keys (one launch), on the caller's
// stream.
//
// Ordering: the uploads and launches are stream-ordered; a runner must be
// used with one stream at a time (a later plan() on another stream could
// overwrite buffers an earlier launch still reads). All device memory lives
// in one workspace (src/Workspace.h); reserve() fixes its capacities so that
// run() can be captured in a CUDA graph once and replayed after every plan.
// With fixed capacities the kernel (decode or prefill) and the grid are
// pinned by the first plan (or forceKernel): a later plan that needs the
// other kernel fails with kUnsupported.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_LAUNCH_H
#define ATTNRT_LAUNCH_H

#include "attnrt/Batch.h"
#include "attnrt/HostClassifier.h"
#include "attnrt/Module.h"
#include "attnrt/Params.h"
#include "attnrt/Status.h"
#include "attnrt/WorkList.h"

#include <cuda.h>

#include <memory>

namespace attnrt {

struct RunOptions {
  int kvChunk = 0;       // > 0: force split-KV with chunks of this many keys (tests)
  bool noSplit = false;  // never split
  KernelKind forceKernel = KernelKind::kMerge; // kMerge = choose automatically
  int maxGrid = 0;       // > 0: cap the persistent grid (tests, benchmarks)
  int ctasPerSM = 0;     // > 0: CTAs per SM of the grid (default: the kernel's occupancy)
  int minChunkTiles = 0; // > 0: smallest automatic split chunk, in key tiles
  int splitGranularity = 0; // > 0: chunks of 1/N of the per-CTA average (PlanOptions)
  // Bit-identical output for a request whatever else is in the batch: split
  // sizes depend only on the request's own length, merges run in chunk order.
  bool deterministic = false;
  // Host values for the planner's tile costs: the tile classifier may read
  // scalar params (a window size) and arrays (document ids), which then need
  // host mirrors. Optional: forward() passes its params; without values,
  // defaults are used and undecidable tiles count as visited. Only read
  // during plan().
  const ParamSet *hostParams = nullptr;
  const HostArrays *hostArrays = nullptr;
};

// Fixed capacities for CUDA-graph capture. With reserve(caps), every device
// buffer is allocated once; plan() then only rewrites their contents (never
// reallocates, never blocks on the device) and fails with kInvalidArgument
// ("capacity exceeded: ...") when a batch needs more; run() launches with a
// fixed grid, so a graph captured around run() replays each new plan.
// Zero fields are derived from the others where possible.
struct Capacities {
  int32_t maxBatch = 0;       // requests per plan (required)
  int64_t maxQRows = 0;       // total query rows (required)
  int64_t maxPageIndices = 0; // paged: entries of the page table
  int64_t maxBsrRows = 0;     // block_sparse: rows of the BSR structure
  int64_t maxBsrIndices = 0;  // block_sparse: kept blocks
  int64_t maxWorkItems = 0;   // 0: derived (base items + the planner's split budget)
  int64_t maxPartialSlots = 0; // 0: derived
};

// What the last run launched (for tests, benchmarks and debugging).
struct LaunchRecord {
  KernelKind kernel = KernelKind::kPrefill;
  int grid = 0, threads = 0, smemBytes = 0;
  bool merged = false; // keys were split (merged inside the same launch)
  bool programmatic = false; // launched with programmatic stream serialization
};

class Workspace; // src/Workspace.h

class Runner {
public:
  // `module` must outlive the runner and stay loaded.
  explicit Runner(const Module *module);
  ~Runner(); // frees device buffers (in the module's context)
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;

  // Allocates every device buffer at fixed capacities (see Capacities).
  // Call once, before the first plan; plans that need more fail.
  Status reserve(const Capacities &caps);
  bool reserved() const { return reserved_; }

  // Host work + async uploads on `stream`. The host arrays of `batch` may be
  // reused as soon as plan() returns.
  Status plan(const BatchDesc &batch, const RunOptions &opts, CUstream stream);
  // Launches the last plan on `stream` with these tensors and params.
  Status run(const DeviceTensors &tensors, const ParamSet &params, CUstream stream);
  // plan + run.
  Status forward(const BatchDesc &batch, const DeviceTensors &tensors,
                 const ParamSet &params, CUstream stream,
                 const RunOptions &opts = RunOptions());

  // Programmatic dependent launch (sm_90+; off by default). run() then
  // launches with programmatic stream serialization: the launch may begin
  // while the kernel before it in the stream is still running; its CTAs load
  // their first work item and wait (griddepcontrol.wait) for that kernel to
  // complete before they read q, k, v or params arrays or write anything.
  // The launch and the first work-item loads thus overlap the previous
  // kernel's tail (measured: ~0.5 us of a 30 us decode on the H100), and
  // each launch lets the next start early in turn. Also captured
  // by CUDA graphs (as a programmatic edge). kInvalidArgument, leaving the
  // setting as it was, when the module's kernels do not wait (manifest
  // "programmatic_launch" false: built for an arch before sm_90 or by an
  // older attnc) or the device's compute capability is below 9.0.
  Status setProgrammaticLaunch(bool enable);
  bool programmaticLaunch() const { return programmatic_; }

  bool planned() const { return planned_; }
  const WorkList &workList() const { return work_; }
  const BatchInfo &batchInfo() const { return info_; }
  const LaunchRecord &lastLaunch() const { return last_; }

private:
  Status planImpl(const BatchDesc &batch, const RunOptions &opts, CUstream stream);
  Status runImpl(const DeviceTensors &tensors, const ParamSet &params, CUstream stream);
  const Module *module_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<HostClassifier> classifier_; // the module's, rebound per plan
  BatchInfo info_;
  WorkList work_;
  RunOptions opts_;
  // The index-array and work-list pointers of the last plan (tensors are
  // filled by run()).
  AttnArgs planArgs_{};
  DevPtr tokenOffsets_ = 0; // params slot 0
  int gridFor(const LoadedKernel &k, const RunOptions &opts) const;
  bool planned_ = false;
  bool reserved_ = false;
  Capacities caps_;
  // Fixed mode: the kernel and grid of the first plan.
  bool pinned_ = false;
  KernelKind pinnedKernel_ = KernelKind::kPrefill;
  int pinnedGrid_ = 0;
  int grid_ = 0; // of the last plan
  bool programmatic_ = false;
  LaunchRecord last_;
};

} // namespace attnrt

#endif // ATTNRT_LAUNCH_H
