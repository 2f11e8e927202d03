//===- CApiFakeDriver.cpp - The C API's driver seam without a GPU ---------===//
//
// Stands in for CApiDriver.cpp in the CPU unit tests: a module "loads"
// without a device, and a runner does the host half of attnrt::Runner (the
// same validateBatch / buildWorkList / validateTensors / packParams calls, in
// the same order, plus the capacity check of a reserved runner) without
// uploading or launching. What it cannot mirror (occupancy, uploads,
// launches, arch checks) the GPU test covers (test/gpu/CApiGpuTest.cpp).
// CApiFakeDriver.h lets a test make the next driver call fail.
//
//===----------------------------------------------------------------------===//
#include "CApiDriver.h"
#include "CApiFakeDriver.h"

#include "attnrt/WorkList.h"

#include <string>

namespace attnrt::capi {

struct DriverModule {
  Manifest manifest;
};

struct DriverRunner {
  const DriverModule *module = nullptr;
  bool reserved = false;
  Capacities caps;
  bool planned = false;
  BatchInfo info;
};

namespace {
Status takeInjected() {
  Status s = fakedriver::nextFailure;
  fakedriver::nextFailure = Status::Ok();
  return s;
}
} // namespace

Status driverLoadModule(const void *, size_t, std::string_view manifestJson,
                        DriverModule **out) {
  ATTNRT_RETURN_IF_ERROR(takeInjected());
  auto *m = new DriverModule();
  Status s = parseManifest(manifestJson, &m->manifest);
  if (!s.ok()) {
    delete m;
    return s;
  }
  ++fakedriver::liveModules;
  *out = m;
  return Status::Ok();
}

void driverDestroyModule(DriverModule *module) {
  if (module)
    --fakedriver::liveModules;
  delete module;
}

Status driverCreateRunner(DriverModule *module, const Capacities *caps, DriverRunner **out) {
  ATTNRT_RETURN_IF_ERROR(takeInjected());
  auto *r = new DriverRunner();
  r->module = module;
  if (caps) {
    if (caps->maxBatch <= 0 || caps->maxQRows <= 0) {
      delete r;
      return invalidArgument("Runner::reserve: max_batch and max_q_rows are required");
    }
    r->reserved = true;
    r->caps = *caps;
  }
  ++fakedriver::liveRunners;
  *out = r;
  return Status::Ok();
}

void driverDestroyRunner(DriverRunner *runner) {
  if (runner)
    --fakedriver::liveRunners;
  delete runner;
}

Status driverPlan(DriverRunner *r, const BatchDesc &batch, const RunOptions &opts, void *) {
  r->planned = false;
  ATTNRT_RETURN_IF_ERROR(takeInjected());
  const Manifest &m = r->module->manifest;
  BatchInfo info;
  ATTNRT_RETURN_IF_ERROR(validateBatch(m, batch, &info));
  if (r->reserved && (batch.batchSize > r->caps.maxBatch || info.totalQ > r->caps.maxQRows))
    return invalidArgument("capacity exceeded: batch " + std::to_string(batch.batchSize) +
                           " / " + std::to_string(info.totalQ) + " query rows, reserved " +
                           std::to_string(r->caps.maxBatch) + " / " +
                           std::to_string(r->caps.maxQRows));
  PlanOptions po;
  po.numSMs = 132;
  po.kvChunk = opts.kvChunk;
  po.noSplit = opts.noSplit;
  po.forceKernel = opts.forceKernel;
  WorkList work;
  ATTNRT_RETURN_IF_ERROR(buildWorkList(m, info, po, &work));
  r->info = std::move(info);
  r->planned = true;
  fakedriver::lastOptions = opts;
  return Status::Ok();
}

Status driverRun(DriverRunner *r, const DeviceTensors &t, const ParamSet &params, void *) {
  if (!r->planned)
    return invalidArgument("Runner::run: call plan() first (or the last plan failed)");
  ATTNRT_RETURN_IF_ERROR(takeInjected());
  const Manifest &m = r->module->manifest;
  ATTNRT_RETURN_IF_ERROR(validateTensors(m, r->info, t));
  std::vector<uint8_t> blob;
  ATTNRT_RETURN_IF_ERROR(packParams(m, params, domainSizes(m, r->info), 0x1000, &blob));
  ++fakedriver::runs;
  return Status::Ok();
}

Status driverSetProgrammaticLaunch(DriverRunner *r, bool enable) {
  ATTNRT_RETURN_IF_ERROR(takeInjected());
  if (enable)
    ATTNRT_RETURN_IF_ERROR(checkProgrammaticLaunch(r->module->manifest, fakedriver::deviceMajor,
                                                   fakedriver::deviceMinor));
  fakedriver::programmatic = enable;
  return Status::Ok();
}

Status driverMergeStates(DriverModule *, const MergeStatesArgs &args, void *) {
  ATTNRT_RETURN_IF_ERROR(takeInjected());
  if (args.rows < 0)
    return invalidArgument("mergeStates: rows is negative");
  return Status::Ok();
}

Status driverInitDevice(int) {
  return Status(StatusCode::kCudaError, "no CUDA driver in the CPU unit tests");
}

Status driverReleaseDevice(int) {
  return Status(StatusCode::kCudaError, "no CUDA driver in the CPU unit tests");
}

Status driverCurrentDevice(int *ccMajor, int *ccMinor) {
  if (fakedriver::deviceMajor == 0)
    return Status(StatusCode::kCudaError, "there is no current CUDA context (fake driver)");
  *ccMajor = fakedriver::deviceMajor;
  *ccMinor = fakedriver::deviceMinor;
  return Status::Ok();
}

} // namespace attnrt::capi
