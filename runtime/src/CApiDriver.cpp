//===- CApiDriver.cpp - The C API's driver seam over Module and Runner ----===//
#include "CApiDriverTypes.h"

#include "attnrt/Launch.h"
#include "attnrt/Module.h"

#include <memory>

namespace attnrt::capi {

Status driverLoadModule(const void *image, size_t size, std::string_view manifestJson,
                        DriverModule **out) {
  auto m = std::make_unique<DriverModule>();
  ATTNRT_RETURN_IF_ERROR(Module::load(image, size, manifestJson, &m->module));
  *out = m.release();
  return Status::Ok();
}

void driverDestroyModule(DriverModule *module) { delete module; }

Status driverCreateRunner(DriverModule *module, const Capacities *caps, DriverRunner **out) {
  auto r = std::make_unique<DriverRunner>(&module->module);
  if (caps)
    ATTNRT_RETURN_IF_ERROR(r->runner.reserve(*caps));
  *out = r.release();
  return Status::Ok();
}

void driverDestroyRunner(DriverRunner *runner) { delete runner; }

Status driverPlan(DriverRunner *runner, const BatchDesc &batch, const RunOptions &opts,
                  void *stream) {
  return runner->runner.plan(batch, opts, static_cast<CUstream>(stream));
}

Status driverRun(DriverRunner *runner, const DeviceTensors &tensors, const ParamSet &params,
                 void *stream) {
  return runner->runner.run(tensors, params, static_cast<CUstream>(stream));
}

Status driverSetProgrammaticLaunch(DriverRunner *runner, bool enable) {
  return runner->runner.setProgrammaticLaunch(enable);
}

Status driverInitDevice(int ordinal) { return initDevice(ordinal, nullptr); }

Status driverReleaseDevice(int ordinal) { return releaseDevice(ordinal); }

Status driverCurrentDevice(int *ccMajor, int *ccMinor) {
  CUcontext ctx = nullptr;
  CUresult r = cuCtxGetCurrent(&ctx);
  if (r == CUDA_ERROR_NOT_INITIALIZED || (r == CUDA_SUCCESS && !ctx))
    return Status(StatusCode::kCudaError,
                  "there is no current CUDA context (see attn_init_device)");
  ATTNRT_RETURN_IF_ERROR(cudaStatus(r, "cuCtxGetCurrent"));
  CUdevice dev;
  ATTNRT_RETURN_IF_ERROR(cudaStatus(cuCtxGetDevice(&dev), "cuCtxGetDevice"));
  ATTNRT_RETURN_IF_ERROR(cudaStatus(
      cuDeviceGetAttribute(ccMajor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev),
      "cuDeviceGetAttribute"));
  return cudaStatus(
      cuDeviceGetAttribute(ccMinor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev),
      "cuDeviceGetAttribute");
}

} // namespace attnrt::capi
