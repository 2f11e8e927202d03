//===- CApiDriver.h - The C API's seam to the CUDA driver -------*- C++ -*-===//
//
// The C API (CApi.cpp, CApiMerge.cpp) is host code: handles, argument checks,
// struct conversion, manifest parsing. Everything that needs libcuda goes
// through these functions, implemented over attnrt::Module / Runner in
// CApiDriver.cpp (and CApiDriverMerge.cpp). The CPU unit tests link a fake
// implementation instead (test/CApiFakeDriver.cpp), so every check of the C
// API runs in CI on machines without a GPU driver.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_SRC_CAPIDRIVER_H
#define ATTNRT_SRC_CAPIDRIVER_H

#include "attnrt/Batch.h"
#include "attnrt/Launch.h"
#include "attnrt/MergeStates.h"
#include "attnrt/Params.h"
#include "attnrt/Status.h"

#include <cstddef>
#include <string_view>

namespace attnrt::capi {

struct DriverModule; // an attnrt::Module
struct DriverRunner; // an attnrt::Runner

// The manifest text has already been parsed successfully by the caller.
Status driverLoadModule(const void *image, size_t size, std::string_view manifestJson,
                        DriverModule **out);
void driverDestroyModule(DriverModule *module);

// caps == nullptr: grow on demand; else Runner::reserve(*caps).
Status driverCreateRunner(DriverModule *module, const Capacities *caps, DriverRunner **out);
void driverDestroyRunner(DriverRunner *runner);

Status driverPlan(DriverRunner *runner, const BatchDesc &batch, const RunOptions &opts,
                  void *stream);
Status driverRun(DriverRunner *runner, const DeviceTensors &tensors, const ParamSet &params,
                 void *stream);
Status driverSetProgrammaticLaunch(DriverRunner *runner, bool enable);
Status driverMergeStates(DriverModule *module, const MergeStatesArgs &args, void *stream);

Status driverInitDevice(int ordinal);
Status driverReleaseDevice(int ordinal);
// The compute capability of the current context's device.
Status driverCurrentDevice(int *ccMajor, int *ccMinor);

} // namespace attnrt::capi

#endif // ATTNRT_SRC_CAPIDRIVER_H
