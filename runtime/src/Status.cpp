//===- Status.cpp ---------------------------------------------------------===//
#include "attnrt/Status.h"

namespace attnrt {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::kOk: return "ok";
  case StatusCode::kInvalidArgument: return "invalid argument";
  case StatusCode::kParseError: return "parse error";
  case StatusCode::kInvalidManifest: return "invalid manifest";
  case StatusCode::kAbiMismatch: return "ABI mismatch";
  case StatusCode::kArchMismatch: return "architecture mismatch";
  case StatusCode::kNotFound: return "not found";
  case StatusCode::kUnsupported: return "unsupported";
  case StatusCode::kCudaError: return "CUDA error";
  case StatusCode::kOutOfMemory: return "out of memory";
  case StatusCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Status::toString() const {
  if (ok())
    return "ok";
  return std::string(statusCodeName(code_)) + ": " + message_;
}

} // namespace attnrt
