//===- Launch.h - Plan a batch and launch the kernels -----------*- C++ -*-===//
//
// Runner = the launch path: plan() validates the batch, builds the work list
// (WorkList.h) and enqueues the upload of every index array into device
// buffers the runner owns; run() packs the params blob and launches the
// persistent attention kernel (grid = min(items, SMs x blocks per SM)) and,
// when keys were split, the merge kernel, on the caller's stream.
//
// Ordering: the uploads and launches are stream-ordered; a runner must be
// used with one stream at a time (a later plan() on another stream could
// overwrite buffers an earlier launch still reads). All device memory lives
// in one workspace (src/Workspace.h) so the next issue can give it fixed
// capacities for CUDA-graph capture.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_LAUNCH_H
#define ATTNRT_LAUNCH_H

#include "attnrt/Batch.h"
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
  // Bit-identical output for a request whatever else is in the batch: split
  // sizes depend only on the request's own length, merges run in chunk order.
  bool deterministic = false;
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
  bool merged = false;
  int mergeGrid = 0, mergeThreads = 0;
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

  bool planned() const { return planned_; }
  const WorkList &workList() const { return work_; }
  const BatchInfo &batchInfo() const { return info_; }
  const LaunchRecord &lastLaunch() const { return last_; }

private:
  Status planImpl(const BatchDesc &batch, const RunOptions &opts, CUstream stream);
  Status runImpl(const DeviceTensors &tensors, const ParamSet &params, CUstream stream);
  const Module *module_;
  std::unique_ptr<Workspace> workspace_;
  BatchInfo info_;
  WorkList work_;
  RunOptions opts_;
  // The index-array and work-list pointers of the last plan (tensors are
  // filled by run()).
  AttnArgs planArgs_{};
  DevPtr tokenOffsets_ = 0; // params slot 0
  bool planned_ = false;
  bool reserved_ = false;
  Capacities caps_;
  LaunchRecord last_;
};

} // namespace attnrt

#endif // ATTNRT_LAUNCH_H
