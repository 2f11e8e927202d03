//===- PtxasReport.h - Parsing ptxas -v output ------------------*- C++ -*-===//
#ifndef ATTN_TARGET_NVRTC_PTXASREPORT_H
#define ATTN_TARGET_NVRTC_PTXASREPORT_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace attn::target {

/// Resources ptxas reported for one function (from --ptxas-options=-v).
struct KernelResources {
  std::string function;
  bool isEntry = false;     ///< a __global__ ("Compiling entry function")
  unsigned registers = 0;
  unsigned sharedBytes = 0; ///< static shared memory
  unsigned stackBytes = 0;
  unsigned spillStores = 0, spillLoads = 0;
  unsigned spillBytes() const { return spillStores + spillLoads; }
};

/// Every function the log reports on, in order of appearance. Lines it does
/// not recognize are skipped, so a newer ptxas wording degrades to zeros
/// rather than failing the compile.
std::vector<KernelResources> parsePtxasLog(llvm::StringRef log);

} // namespace attn::target

#endif
