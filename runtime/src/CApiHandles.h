//===- CApiHandles.h - Live handles and the last error of the C API -*- C++ -*-===//
//
// A C caller can pass anything as a handle: NULL, a handle it destroyed, one
// of another kind, garbage. Handles are therefore not pointers but serial
// numbers (serial << 3 | kind) looked up in a process-wide, mutex-protected
// table before anything is touched; the table holds shared_ptrs, so an object
// stays alive for the duration of a call even if another thread destroys its
// handle meanwhile. Serials are never reused, so a destroyed handle stays
// invalid forever (and can be told apart from a forged one).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_SRC_CAPIHANDLES_H
#define ATTNRT_SRC_CAPIHANDLES_H

#include "attn.h"

#include "CApiDriver.h"
#include "Guard.h"
#include "attnrt/Manifest.h"
#include "attnrt/Params.h"
#include "attnrt/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace attnrt::capi {

// ATTN_INVALID_HANDLE carried through a Status (StatusCode has no such value;
// only the C API produces and reads it).
constexpr StatusCode kInvalidHandle = static_cast<StatusCode>(ATTN_INVALID_HANDLE);

enum class HandleKind : uintptr_t { kModule = 1, kRunner = 2, kParams = 3 };

struct ModuleObject {
  Manifest manifest; // our own parse: queries never touch the driver
  DriverModule *driver = nullptr;
  ModuleObject() = default;
  ModuleObject(const ModuleObject &) = delete;
  ModuleObject &operator=(const ModuleObject &) = delete;
  ~ModuleObject() { driverDestroyModule(driver); }
};

struct RunnerObject {
  // Keeps the module loaded while the runner lives (attnrt::Runner holds a
  // raw pointer to it).
  std::shared_ptr<ModuleObject> module;
  DriverRunner *driver = nullptr;
  RunnerObject() = default;
  RunnerObject(const RunnerObject &) = delete;
  RunnerObject &operator=(const RunnerObject &) = delete;
  ~RunnerObject() { driverDestroyRunner(driver); } // before `module` goes
};

struct ParamsObject {
  ParamSet set;
};

// Registers `object` and returns its handle value.
uintptr_t registerHandle(HandleKind kind, std::shared_ptr<void> object);
// The object behind `handle` if it is live and of `kind`; otherwise a
// kInvalidHandle status saying what is wrong with the handle.
Status lookupHandle(uintptr_t handle, HandleKind kind, std::shared_ptr<void> *object);
// Removes `handle` (same checks as lookupHandle) and hands the object back,
// so that it is destroyed outside the registry's lock.
Status releaseHandle(uintptr_t handle, HandleKind kind, std::shared_ptr<void> *object);

template <typename T>
Status lookup(uintptr_t handle, HandleKind kind, std::shared_ptr<T> *out) {
  std::shared_ptr<void> p;
  ATTNRT_RETURN_IF_ERROR(lookupHandle(handle, kind, &p));
  *out = std::static_pointer_cast<T>(p);
  return Status::Ok();
}

// Records `s` as this thread's last error ("<fn>: <message>", "" when ok)
// and returns its code.
attn_status finish(const char *fn, const Status &s);

// The body of every C entry point: exceptions become a Status, the Status
// becomes the last error and the returned code.
template <typename F> attn_status entry(const char *fn, F &&body) {
  return finish(fn, guarded(fn, std::forward<F>(body)));
}

} // namespace attnrt::capi

#endif // ATTNRT_SRC_CAPIHANDLES_H
