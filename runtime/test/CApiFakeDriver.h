//===- CApiFakeDriver.h - Knobs of the fake driver seam ---------*- C++ -*-===//
#ifndef ATTNRT_TEST_CAPIFAKEDRIVER_H
#define ATTNRT_TEST_CAPIFAKEDRIVER_H

#include "attnrt/Launch.h"
#include "attnrt/Status.h"

namespace attnrt::capi::fakedriver {

// The next driver call (load, create runner, plan, run, merge) returns this
// instead of doing its work; reset to ok once taken.
inline Status nextFailure;
// Objects the seam holds now: the C API must free what it creates.
inline int liveModules = 0;
inline int liveRunners = 0;
// Successful runs, and the options of the last successful plan.
inline int runs = 0;
inline RunOptions lastOptions;
// The "current device" (0: no context).
inline int deviceMajor = 0, deviceMinor = 0;
// The last accepted attn_runner_set_programmatic_launch.
inline bool programmatic = false;

} // namespace attnrt::capi::fakedriver

#endif
