//===- Status.h - The result of every attnrt call ---------------*- C++ -*-===//
//
// attnrt never throws and never aborts on bad input: every call that can fail
// returns a Status. The code says what kind of failure it is (a caller can
// branch on it); the message says what exactly was wrong, for a human.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_STATUS_H
#define ATTNRT_STATUS_H

#include <string>
#include <utility>

namespace attnrt {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument, // bad batch, bad params, bad options
  kParseError,      // malformed JSON
  kInvalidManifest, // well-formed JSON that is not a valid manifest
  kAbiMismatch,     // manifest abi_version != ATTN_ABI_VERSION
  kArchMismatch,    // the artifact cannot run on this GPU
  kNotFound,        // a kernel, symbol or file that is not there
  kUnsupported,     // valid, but this module cannot run it (e.g. no kernel fits)
  kCudaError,       // a CUDA driver call failed; the message names the error
  kOutOfMemory,     // host memory exhausted (device OOM is kCudaError)
  kInternal,        // a bug in attnrt
};

// The name of a code ("invalid argument"...), for messages.
const char *statusCodeName(StatusCode code);

class Status {
public:
  Status() = default; // ok
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }
  // "<code name>: <message>", or "ok".
  std::string toString() const;

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Shorthands that keep error sites one line long.
inline Status invalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status invalidManifest(std::string m) {
  return Status(StatusCode::kInvalidManifest, std::move(m));
}

} // namespace attnrt

// Propagates a non-ok Status to the caller.
#define ATTNRT_RETURN_IF_ERROR(expr)                                           \
  do {                                                                         \
    ::attnrt::Status attnrt_status_ = (expr);                                  \
    if (!attnrt_status_.ok())                                                  \
      return attnrt_status_;                                                   \
  } while (0)

#endif // ATTNRT_STATUS_H
