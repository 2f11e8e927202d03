//===- Module.h - A compiled variant loaded into a CUDA context -*- C++ -*-===//
//
// Loads a cubin/fatbin/PTX image with its manifest through the CUDA driver
// API: resolves each kernel, reads its dynamic shared-memory size from the
// `<kernel>_smem_bytes` global, opts in to > 48 KB of dynamic smem, checks the
// kernel's parameter sizes against the ABI, and records the occupancy the
// launcher sizes the persistent grid with.
//
// Needs a current CUDA context (the engine's; initDevice makes one for tools
// and tests). The module belongs to that context.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_MODULE_H
#define ATTNRT_MODULE_H

#include "attnrt/Manifest.h"
#include "attnrt/Status.h"

#include <cuda.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace attnrt {

struct LoadedKernel {
  KernelInfo info;
  CUfunction function = nullptr;
  int smemBytes = 0;      // dynamic shared memory per CTA
  int maxBlocksPerSM = 0; // occupancy at info.threads and smemBytes
};

class Module {
public:
  Module() = default;
  ~Module();
  Module(Module &&other) noexcept;
  Module &operator=(Module &&other) noexcept;
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  // From an image in memory (a cubin, a fatbin, or NUL-terminated PTX) and
  // its manifest text: what an emitted header holds. kArchMismatch, with both
  // architectures named, when a cubin was built for another GPU.
  static Status load(const void *image, size_t size, std::string_view manifestJson,
                     Module *out);
  // From files: the artifact and its manifest (.json).
  static Status loadFiles(const std::string &imagePath,
                          const std::string &manifestPath, Module *out);

  bool loaded() const { return module_ != nullptr; }
  const Manifest &manifest() const { return manifest_; }
  // nullptr when the module has no kernel of this kind.
  const LoadedKernel *kernel(KernelKind kind) const;

  CUmodule handle() const { return module_; }
  CUcontext context() const { return context_; }
  CUdevice device() const { return device_; }
  int numSMs() const { return numSMs_; }
  int ccMajor() const { return ccMajor_; }
  int ccMinor() const { return ccMinor_; }

  // Unloads (in the module's context). Safe on an empty module.
  void reset();

private:
  static Status loadImpl(const void *image, size_t size, std::string_view manifestJson,
                         Module *out);
  Manifest manifest_;
  std::vector<LoadedKernel> kernels_;
  CUmodule module_ = nullptr;
  CUcontext context_ = nullptr;
  CUdevice device_ = 0;
  int numSMs_ = 0, ccMajor_ = 0, ccMinor_ = 0;
};

// For tools and tests: cuInit, retain device `ordinal`'s primary context and
// make it current. *ctx may be null. Pair with releaseDevice(ordinal).
Status initDevice(int ordinal, CUcontext *ctx);
Status releaseDevice(int ordinal);

// "CUDA_ERROR_X (description) in <what>" as a kCudaError Status; Ok on success.
Status cudaStatus(CUresult result, const char *what);

} // namespace attnrt

#endif // ATTNRT_MODULE_H
