//===- CApiDriverTypes.h - What the driver seam's handles hold --*- C++ -*-===//
//
// Only the real driver implementation (CApiDriver*.cpp) includes this; the
// host side of the C API sees the types as opaque.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_SRC_CAPIDRIVERTYPES_H
#define ATTNRT_SRC_CAPIDRIVERTYPES_H

#include "CApiDriver.h"

#include "attnrt/Launch.h"
#include "attnrt/Module.h"

namespace attnrt::capi {

struct DriverModule {
  Module module;
};

struct DriverRunner {
  explicit DriverRunner(const Module *m) : runner(m) {}
  Runner runner;
};

} // namespace attnrt::capi

#endif // ATTNRT_SRC_CAPIDRIVERTYPES_H
