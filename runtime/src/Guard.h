//===- Guard.h - Keep exceptions from escaping the API --------------------===//
//
// attnrt's own code throws nothing, but the standard library can (bad_alloc
// on a huge batch, length_error). Each public entry point runs its body
// through guarded() so the caller gets a Status instead. Built with
// -fno-exceptions (inside LLVM-flavoured builds) there is nothing to catch.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_SRC_GUARD_H
#define ATTNRT_SRC_GUARD_H

#include "attnrt/Status.h"

#include <exception>
#include <new>

namespace attnrt {

template <typename F> Status guarded(const char *where, F &&body) {
#if defined(__cpp_exceptions)
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return Status(StatusCode::kOutOfMemory, std::string(where) + ": out of host memory");
  } catch (const std::exception &e) {
    return Status(StatusCode::kInternal, std::string(where) + ": " + e.what());
  } catch (...) {
    return Status(StatusCode::kInternal, std::string(where) + ": unknown exception");
  }
#else
  (void)where;
  return body();
#endif
}

} // namespace attnrt

#endif // ATTNRT_SRC_GUARD_H
