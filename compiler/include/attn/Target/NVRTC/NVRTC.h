//===- NVRTC.h - In-process CUDA compilation --------------------*- C++ -*-===//
//
// A thin layer over the NVRTC C API: one program per arch, headers handed
// over from memory, the program log returned whole (it carries the ptxas
// resource report, see PtxasReport.h). No MLIR here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_NVRTC_NVRTC_H
#define ATTN_TARGET_NVRTC_NVRTC_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace attn::target {

struct NVRTCRequest {
  std::string source;
  std::string programName = "attn_generated.cu";
  std::string arch;  ///< a real arch: "sm_80" ... "sm_90a"
  /// In-memory headers, (include name, text); NVRTC resolves #include
  /// "name" against these before the -I paths.
  std::vector<std::pair<llvm::StringRef, llvm::StringRef>> headers;
  std::vector<std::string> options;  ///< besides -arch, which comes from `arch`
  bool wantPTX = false;
};

struct NVRTCOutput {
  std::vector<char> cubin;
  std::string ptx;
  std::string log;
};

/// Compiles `request`. On failure `error` holds the NVRTC status and log.
bool compileWithNVRTC(const NVRTCRequest &request, NVRTCOutput &output, std::string &error);

/// "13.0": the NVRTC library in use (a cache key component).
std::string nvrtcVersionString();

/// The CUDA include directory for NVRTC's -I: $ATTNC_CUDA_INCLUDE when set,
/// else the one CMake found at configure time. Fails (with a message naming
/// both) when it has no cuda_fp16.h.
bool findCudaIncludeDir(std::string &dir, std::string &error);

} // namespace attn::target

#endif
