//===- CApiHandles.cpp - The handle registry and the last error -----------===//
#include "CApiHandles.h"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace attnrt::capi {

namespace {

constexpr unsigned kKindBits = 3;
constexpr uintptr_t kKindMask = (uintptr_t(1) << kKindBits) - 1;

const char *kindName(uintptr_t kind) {
  switch (static_cast<HandleKind>(kind)) {
  case HandleKind::kModule:
    return "module";
  case HandleKind::kRunner:
    return "runner";
  case HandleKind::kParams:
    return "params";
  }
  return "unknown";
}

bool validKind(uintptr_t kind) {
  return kind >= uintptr_t(HandleKind::kModule) && kind <= uintptr_t(HandleKind::kParams);
}

std::string hex(uintptr_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

struct Entry {
  HandleKind kind;
  std::shared_ptr<void> object;
};

class Registry {
public:
  uintptr_t add(HandleKind kind, std::shared_ptr<void> object) {
    std::lock_guard<std::mutex> lock(mutex_);
    uintptr_t handle = (nextSerial_++ << kKindBits) | uintptr_t(kind);
    live_.emplace(handle, Entry{kind, std::move(object)});
    return handle;
  }

  Status find(uintptr_t handle, HandleKind kind, bool remove, std::shared_ptr<void> *out) {
    const char *want = kindName(uintptr_t(kind));
    if (handle == 0)
      return Status(kInvalidHandle, std::string(want) + " handle is NULL");
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(handle);
    if (it == live_.end())
      return Status(kInvalidHandle, describeDead(handle, kind, want));
    if (it->second.kind != kind)
      return Status(kInvalidHandle, "handle " + hex(handle) + " is a " +
                                        kindName(uintptr_t(it->second.kind)) +
                                        " handle, not a " + want + " handle");
    *out = it->second.object;
    if (remove)
      live_.erase(it);
    return Status::Ok();
  }

private:
  // Serials are never reused: a well-formed handle below the next serial that
  // is not live was destroyed.
  std::string describeDead(uintptr_t handle, HandleKind wantKind, const char *want) const {
    uintptr_t kind = handle & kKindMask, serial = handle >> kKindBits;
    if (validKind(kind) && serial >= 1 && serial < nextSerial_) {
      std::string s = std::string(want) + " handle " + hex(handle) + " was already destroyed";
      if (static_cast<HandleKind>(kind) != wantKind)
        s += std::string(" (and was a ") + kindName(kind) + " handle)";
      return s;
    }
    return std::string(want) + " handle " + hex(handle) +
           " is not a handle this library returned";
  }

  std::mutex mutex_;
  std::unordered_map<uintptr_t, Entry> live_;
  uintptr_t nextSerial_ = 1;
};

// Never destroyed: handles may still be released from other static
// destructors or threads at exit.
Registry &registry() {
  static Registry *r = new Registry();
  return *r;
}

thread_local std::string lastError;

} // namespace

uintptr_t registerHandle(HandleKind kind, std::shared_ptr<void> object) {
  return registry().add(kind, std::move(object));
}

Status lookupHandle(uintptr_t handle, HandleKind kind, std::shared_ptr<void> *object) {
  return registry().find(handle, kind, /*remove=*/false, object);
}

Status releaseHandle(uintptr_t handle, HandleKind kind, std::shared_ptr<void> *object) {
  return registry().find(handle, kind, /*remove=*/true, object);
}

attn_status finish(const char *fn, const Status &s) {
#if defined(__cpp_exceptions)
  try {
#endif
    if (s.ok())
      lastError.clear();
    else
      lastError = std::string(fn) + ": " + s.message();
#if defined(__cpp_exceptions)
  } catch (...) {
    // Out of memory for the message itself: keep the code, drop the text.
    lastError.clear();
  }
#endif
  return static_cast<attn_status>(s.code());
}

} // namespace attnrt::capi

// Outside the namespace: part of the C API, but it belongs with the storage.
extern "C" const char *attn_last_error(void) {
  return attnrt::capi::lastError.c_str();
}

extern "C" attn_status attn_report_error(attn_status code, const char *message) {
#if defined(__cpp_exceptions)
  try {
#endif
    attnrt::capi::lastError = message ? message : "";
#if defined(__cpp_exceptions)
  } catch (...) {
    attnrt::capi::lastError.clear();
  }
#endif
  return code;
}
