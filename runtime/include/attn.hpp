//===- attn.hpp - A thin C++ wrapper over attn.h ----------------*- C++ -*-===//
//
// RAII owners for the C handles and an Error value instead of codes plus a
// thread-local string. Header-only and exception-free: every call that can
// fail returns attn::Error (code + message, ok() on success). It depends only
// on attn.h, so it works with any build of the library that exports the C
// API. C++17.
//
//   attn::Module mod;
//   if (attn::Error e = mod.loadForCurrentDevice(attn_causal::kArtifacts); !e.ok())
//     fprintf(stderr, "%s\n", e.message.c_str());
//   attn::Runner runner;
//   runner.create(mod);
//   attn::Params params;
//   params.setF32("cap", 30.f);
//   runner.forward(batch, mod.denseTensors(q, k, v, o, lse), params, stream);
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HPP
#define ATTN_HPP

#include "attn.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace attn {

struct Error {
  attn_status code = ATTN_OK;
  std::string message;
  bool ok() const { return code == ATTN_OK; }
  // "<code name>: <message>", or "ok".
  std::string toString() const {
    return ok() ? "ok" : std::string(attn_status_name(code)) + ": " + message;
  }
};

// The Error of the call that returned `s` (reads attn_last_error at once,
// before another attn_* call can replace it).
inline Error check(attn_status s) {
  if (s == ATTN_OK)
    return Error();
  return Error{s, attn_last_error()};
}

namespace detail {
// "sm_90a" -> 9, 0, true. False when `arch` is not sm_<major><minor>[a].
inline bool parseArch(std::string_view arch, int *major, int *minor, bool *specific) {
  if (arch.substr(0, 3) != "sm_")
    return false;
  std::string_view digits = arch.substr(3);
  *specific = !digits.empty() && digits.back() == 'a';
  if (*specific)
    digits.remove_suffix(1);
  if (digits.size() < 2)
    return false;
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  *major = value / 10;
  *minor = value % 10;
  return true;
}
} // namespace detail

// Whether SASS built for `arch` ("sm_90a", "sm_80") runs on a device of
// compute capability major.minor: same major and device minor >= built
// minor, exactly major.minor for arch-specific ("a") builds (the runtime's
// attnrt::archRunsOn rule).
inline bool archRunsOn(std::string_view arch, int major, int minor) {
  int builtMajor = 0, builtMinor = 0;
  bool specific = false;
  if (!detail::parseArch(arch, &builtMajor, &builtMinor, &specific))
    return false;
  if (specific)
    return builtMajor == major && builtMinor == minor;
  return builtMajor == major && minor >= builtMinor;
}

// From an attnc-emitted header's kArtifacts (struct Artifact {arch, cubin,
// cubin_size, manifest}): the artifact that runs on a major.minor device,
// preferring the arch-specific build (it may use sm_90a-only features), then
// the newest minor; nullptr when none runs. A template over the element type,
// so it does not depend on the header's namespace.
template <typename Artifact, size_t N>
const Artifact *pickArtifact(const Artifact (&artifacts)[N], int major, int minor) {
  const Artifact *best = nullptr;
  int bestScore = -1;
  for (const Artifact &a : artifacts) {
    int builtMajor = 0, builtMinor = 0;
    bool specific = false;
    if (!a.arch || !archRunsOn(a.arch, major, minor) ||
        !detail::parseArch(a.arch, &builtMajor, &builtMinor, &specific))
      continue;
    int score = specific ? 100 : builtMinor;
    if (score > bestScore) {
      best = &a;
      bestScore = score;
    }
  }
  return best;
}

// Owns an attn_module.
class Module {
public:
  Module() = default;
  ~Module() { reset(); }
  Module(Module &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Module &operator=(Module &&o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  Error load(const void *image, size_t size, std::string_view manifestJson) {
    reset();
    return check(attn_module_load(image, size, manifestJson.data(), manifestJson.size(), &h_));
  }
  Error loadFiles(const std::string &imagePath, const std::string &manifestPath) {
    reset();
    return check(attn_module_load_files(imagePath.c_str(), manifestPath.c_str(), &h_));
  }
  // Picks the artifact of an emitted header that runs on the current
  // context's device and loads it. ATTN_ARCH_MISMATCH naming the archs when
  // none does.
  template <typename Artifact, size_t N> Error loadForCurrentDevice(const Artifact (&artifacts)[N]) {
    reset();
    int32_t major = 0, minor = 0;
    Error e = check(attn_current_device(&major, &minor));
    if (!e.ok())
      return e;
    const Artifact *a = pickArtifact(artifacts, major, minor);
    if (!a) {
      std::string archs;
      for (const Artifact &x : artifacts)
        archs += (archs.empty() ? "" : ", ") + std::string(x.arch ? x.arch : "?");
      std::string msg = "no artifact for this GPU (sm_" + std::to_string(major) +
                        std::to_string(minor) + "); the header has " + archs;
      return Error{attn_report_error(ATTN_ARCH_MISMATCH, msg.c_str()), msg};
    }
    return load(a->cubin, a->cubin_size, a->manifest);
  }

  bool valid() const { return h_ != nullptr; }
  attn_module get() const { return h_; }
  attn_module release() { return std::exchange(h_, nullptr); }
  void reset() {
    if (h_)
      attn_module_destroy(h_);
    h_ = nullptr;
  }

  // Zero-filled when the module is not valid.
  attn_module_info info() const {
    attn_module_info i{};
    if (h_)
      attn_module_get_info(h_, &i);
    return i;
  }
  attn_tensors denseTensors(uint64_t q, uint64_t k, uint64_t v, uint64_t o,
                            uint64_t lse = 0) const {
    attn_tensors t{};
    if (h_)
      attn_dense_tensors(h_, q, k, v, o, lse, &t);
    return t;
  }
  Error mergeStates(const attn_merge_states_args &args, void *stream = nullptr) const {
    return check(attn_merge_states(h_, &args, stream));
  }

private:
  attn_module h_ = nullptr;
};

// Owns an attn_params (created on construction).
class Params {
public:
  Params() { error_ = check(attn_params_create(&h_)); }
  ~Params() {
    if (h_)
      attn_params_destroy(h_);
  }
  Params(Params &&o) noexcept : h_(std::exchange(o.h_, nullptr)), error_(std::move(o.error_)) {}
  Params &operator=(Params &&o) noexcept {
    if (this != &o) {
      if (h_)
        attn_params_destroy(h_);
      h_ = std::exchange(o.h_, nullptr);
      error_ = std::move(o.error_);
    }
    return *this;
  }
  Params(const Params &) = delete;
  Params &operator=(const Params &) = delete;

  // Whether creation succeeded (it fails only without host memory).
  bool ok() const { return h_ != nullptr; }
  const Error &creationError() const { return error_; }
  attn_params get() const { return h_; }

  Error setF32(const std::string &name, float v) {
    return check(attn_params_set_f32(h_, name.c_str(), v));
  }
  Error setI32(const std::string &name, int32_t v) {
    return check(attn_params_set_i32(h_, name.c_str(), v));
  }
  Error setArray(const std::string &name, attn_param_type type, uint64_t deviceData,
                 int64_t count) {
    return check(attn_params_set_array(h_, name.c_str(), type, deviceData, count));
  }
  Error clear() { return check(attn_params_clear(h_)); }

private:
  attn_params h_ = nullptr;
  Error error_;
};

// Owns an attn_runner. A runner keeps its module loaded, so the Module
// object may go first.
class Runner {
public:
  Runner() = default;
  ~Runner() { reset(); }
  Runner(Runner &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Runner &operator=(Runner &&o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;

  Error create(const Module &module, const attn_capacities *caps = nullptr) {
    reset();
    return check(attn_runner_create(module.get(), caps, &h_));
  }
  Error plan(const attn_batch &batch, const attn_run_options *options = nullptr,
             void *stream = nullptr) {
    return check(attn_runner_plan(h_, &batch, options, stream));
  }
  Error run(const attn_tensors &tensors, const Params &params, void *stream = nullptr) {
    return check(attn_runner_run(h_, &tensors, params.get(), stream));
  }
  Error setProgrammaticLaunch(bool enable) {
    return check(attn_runner_set_programmatic_launch(h_, enable ? 1 : 0));
  }
  Error forward(const attn_batch &batch, const attn_tensors &tensors, const Params &params,
                void *stream = nullptr, const attn_run_options *options = nullptr) {
    return check(attn_runner_forward(h_, &batch, &tensors, params.get(), stream, options));
  }

  bool valid() const { return h_ != nullptr; }
  attn_runner get() const { return h_; }
  void reset() {
    if (h_)
      attn_runner_destroy(h_);
    h_ = nullptr;
  }

private:
  attn_runner h_ = nullptr;
};

} // namespace attn

#endif // ATTN_HPP
