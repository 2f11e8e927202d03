//===- Module.cpp - Loading a compiled variant through the driver API -----===//
//
// Each check here turns a launch-time mystery into a load-time message: an
// image for the wrong GPU, a manifest that does not match the kernels
// (parameter sizes), a kernel that needs more shared memory than the GPU has.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Module.h"

#include "CudaUtil.h"
#include "Guard.h"
#include "attn_kernels/abi.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace attnrt {

Status cudaStatus(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return Status::Ok();
  const char *name = nullptr, *desc = nullptr;
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "CUDA_ERROR_UNKNOWN";
  if (cuGetErrorString(result, &desc) != CUDA_SUCCESS || !desc)
    desc = "no description";
  return Status(StatusCode::kCudaError, std::string(name) + " (" + desc + ") in " + what);
}

Status initDevice(int ordinal, CUcontext *ctx) {
  ATTNRT_CU(cuInit(0));
  int count = 0;
  ATTNRT_CU(cuDeviceGetCount(&count));
  if (ordinal < 0 || ordinal >= count)
    return invalidArgument("device " + std::to_string(ordinal) + " does not exist (" +
                           std::to_string(count) + " CUDA devices)");
  CUdevice dev;
  ATTNRT_CU(cuDeviceGet(&dev, ordinal));
  CUcontext c = nullptr;
  ATTNRT_CU(cuDevicePrimaryCtxRetain(&c, dev));
  ATTNRT_CU(cuCtxSetCurrent(c));
  if (ctx)
    *ctx = c;
  return Status::Ok();
}

Status releaseDevice(int ordinal) {
  CUdevice dev;
  ATTNRT_CU(cuDeviceGet(&dev, ordinal));
  ATTNRT_CU(cuDevicePrimaryCtxRelease(dev));
  return Status::Ok();
}

Module::~Module() { reset(); }

Module::Module(Module &&o) noexcept { *this = std::move(o); }

Module &Module::operator=(Module &&o) noexcept {
  if (this != &o) {
    reset();
    manifest_ = std::move(o.manifest_);
    kernels_ = std::move(o.kernels_);
    module_ = o.module_;
    context_ = o.context_;
    device_ = o.device_;
    numSMs_ = o.numSMs_;
    ccMajor_ = o.ccMajor_;
    ccMinor_ = o.ccMinor_;
    o.module_ = nullptr;
    o.context_ = nullptr;
    o.kernels_.clear();
  }
  return *this;
}

void Module::reset() {
  if (module_) {
    ScopedContext scope(context_);
    cuModuleUnload(module_); // nothing useful to do with an error in teardown
  }
  module_ = nullptr;
  context_ = nullptr;
  kernels_.clear();
}

const LoadedKernel *Module::kernel(KernelKind kind) const {
  for (const LoadedKernel &k : kernels_)
    if (k.info.kind == kind)
      return &k;
  return nullptr;
}

namespace {

enum class ImageKind { kCubin, kFatbin, kPtx, kUnknown };

ImageKind classifyImage(const void *image, size_t size) {
  const unsigned char *p = static_cast<const unsigned char *>(image);
  if (size >= 4 && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F')
    return ImageKind::kCubin;
  if (size >= 4) {
    uint32_t magic;
    std::memcpy(&magic, p, 4);
    if (magic == 0xBA55ED50u) // fatbin (also inside a fatbin wrapper)
      return ImageKind::kFatbin;
  }
  // PTX is text; it starts with comments or a .version directive.
  std::string head(reinterpret_cast<const char *>(p), size < 256 ? size : 256);
  if (head.find(".version") != std::string::npos || head.rfind("//", 0) == 0)
    return ImageKind::kPtx;
  return ImageKind::kUnknown;
}

std::string smName(int major, int minor) {
  return "sm_" + std::to_string(major) + std::to_string(minor);
}

// cuFuncGetParamInfo exists from CUDA 12.4 on; look it up so the runtime
// still loads on an older driver (the check is then skipped).
using FuncGetParamInfoFn = CUresult (*)(CUfunction, size_t, size_t *, size_t *);
FuncGetParamInfoFn lookupParamInfo() {
  void *fn = nullptr;
  CUdriverProcAddressQueryResult found;
  if (cuGetProcAddress("cuFuncGetParamInfo", &fn, 12040, CU_GET_PROC_ADDRESS_DEFAULT,
                       &found) != CUDA_SUCCESS ||
      found != CU_GET_PROC_ADDRESS_SUCCESS)
    return nullptr;
  return reinterpret_cast<FuncGetParamInfoFn>(fn);
}

// Attention entry points take (const AttnArgs, const Params), the merge-states
// kernel (const AttnMergeStatesArgs): check the sizes so a manifest/kernel
// mismatch fails here instead of corrupting a launch.
Status checkParamSizes(CUfunction fn, const KernelInfo &info, uint32_t paramsBytes) {
  FuncGetParamInfoFn getInfo = lookupParamInfo();
  if (!getInfo)
    return Status::Ok();
  const std::string &name = info.name;
  const bool merge = info.kind == KernelKind::kMerge;
  const size_t want0 = merge ? sizeof(AttnMergeStatesArgs) : sizeof(AttnArgs);
  const char *want0Name = merge ? "AttnMergeStatesArgs" : "AttnArgs";
  size_t off = 0, size0 = 0, size1 = 0;
  if (getInfo(fn, 0, &off, &size0) != CUDA_SUCCESS ||
      (!merge && getInfo(fn, 1, &off, &size1) != CUDA_SUCCESS))
    return invalidManifest("kernel " + name + " does not take (" + want0Name +
                           (merge ? ")" : ", Params)"));
  // No probe past the last parameter for "too many": the driver answers it
  // with CUDA_ERROR_INVALID_VALUE, which compute-sanitizer reports as an API
  // error; the emitter writes exactly these parameters.
  if (size0 != want0)
    return invalidManifest("kernel " + name + " takes a first argument of " +
                           std::to_string(size0) + " bytes, but " + want0Name + " (ABI " +
                           std::to_string(ATTN_ABI_VERSION) + ") is " + std::to_string(want0));
  if (!merge && size1 != paramsBytes)
    return invalidManifest("kernel " + name + " takes params of " + std::to_string(size1) +
                           " bytes, but the manifest's params_bytes is " +
                           std::to_string(paramsBytes));
  return Status::Ok();
}

Status readSmemBytes(CUmodule mod, const KernelInfo &info, int *out) {
  *out = 0;
  if (info.kind == KernelKind::kMerge && info.smemSymbol.empty())
    return Status::Ok();
  std::string symbol = info.smemSymbol.empty() ? info.name + "_smem_bytes" : info.smemSymbol;
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
  CUresult r = cuModuleGetGlobal(&ptr, &bytes, mod, symbol.c_str());
  if (r == CUDA_ERROR_NOT_FOUND) {
    if (info.smemSymbol.empty())
      return Status::Ok(); // conventional name absent: the kernel uses none
    return Status(StatusCode::kNotFound, "the module has no global '" + symbol +
                                             "' (smem_symbol of kernel " + info.name + ")");
  }
  ATTNRT_CU(r);
  if (bytes != sizeof(int))
    return invalidManifest("global '" + symbol + "' has " + std::to_string(bytes) +
                           " bytes, expected an int");
  int value = 0;
  ATTNRT_CU(cuMemcpyDtoH(&value, ptr, sizeof(int)));
  if (value < 0)
    return invalidManifest("global '" + symbol + "' is negative");
  *out = value;
  return Status::Ok();
}

} // namespace

Status Module::load(const void *image, size_t size, std::string_view manifestJson,
                    Module *out) {
  return guarded("Module::load", [&] { return loadImpl(image, size, manifestJson, out); });
}

Status Module::loadImpl(const void *image, size_t size, std::string_view manifestJson,
                        Module *out) {
  if (!out)
    return invalidArgument("Module::load: null output");
  if (!image || size == 0)
    return invalidArgument("Module::load: empty image");
  Module m;
  ATTNRT_RETURN_IF_ERROR(parseManifest(manifestJson, &m.manifest_));

  CUcontext ctx = nullptr;
  CUresult cr = cuCtxGetCurrent(&ctx);
  if (cr == CUDA_ERROR_NOT_INITIALIZED || (cr == CUDA_SUCCESS && !ctx))
    return Status(StatusCode::kCudaError,
                  "Module::load needs a current CUDA context (see attnrt::initDevice)");
  ATTNRT_CU(cr);
  m.context_ = ctx;
  ATTNRT_CU(cuCtxGetDevice(&m.device_));
  ATTNRT_CU(cuDeviceGetAttribute(&m.ccMajor_, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                 m.device_));
  ATTNRT_CU(cuDeviceGetAttribute(&m.ccMinor_, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                 m.device_));
  ATTNRT_CU(cuDeviceGetAttribute(&m.numSMs_, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                                 m.device_));
  const std::string deviceArch = smName(m.ccMajor_, m.ccMinor_);
  const std::string &builtArch = m.manifest_.arch;

  // A cubin is SASS for one architecture family; say so before the driver
  // answers with a bare "no kernel image is available".
  ImageKind kind = classifyImage(image, size);
  ArchVersion built;
  if (kind == ImageKind::kCubin && parseArch(builtArch, &built) &&
      !archRunsOn(built, m.ccMajor_, m.ccMinor_))
    return Status(StatusCode::kArchMismatch,
                  "module compiled for " + builtArch + " cannot load on this GPU (" +
                      deviceArch + ")");

  // PTX must be NUL-terminated for cuModuleLoadData.
  std::string ptx;
  const void *data = image;
  if (kind == ImageKind::kPtx && static_cast<const char *>(image)[size - 1] != '\0') {
    ptx.assign(static_cast<const char *>(image), size);
    data = ptx.c_str();
  }
  CUresult lr = cuModuleLoadData(&m.module_, data);
  if (lr == CUDA_ERROR_NO_BINARY_FOR_GPU || lr == CUDA_ERROR_INVALID_IMAGE ||
      lr == CUDA_ERROR_UNSUPPORTED_PTX_VERSION || lr == CUDA_ERROR_INVALID_PTX) {
    m.module_ = nullptr;
    Status s = cudaStatus(lr, "cuModuleLoadData");
    return Status(StatusCode::kArchMismatch, "module compiled for " + builtArch +
                                                 " cannot load on this GPU (" + deviceArch +
                                                 "): " + s.message());
  }
  if (lr != CUDA_SUCCESS) {
    m.module_ = nullptr;
    return cudaStatus(lr, "cuModuleLoadData");
  }

  int optinSmem = 0;
  ATTNRT_CU(cuDeviceGetAttribute(&optinSmem,
                                 CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                                 m.device_));
  for (const KernelInfo &info : m.manifest_.kernels) {
    LoadedKernel k;
    k.info = info;
    CUresult fr = cuModuleGetFunction(&k.function, m.module_, info.name.c_str());
    if (fr == CUDA_ERROR_NOT_FOUND)
      return Status(StatusCode::kNotFound, "the module has no kernel '" + info.name +
                                               "' (named by the manifest)");
    ATTNRT_CU(fr);
    ATTNRT_RETURN_IF_ERROR(checkParamSizes(k.function, info, m.manifest_.paramsBytes));
    ATTNRT_RETURN_IF_ERROR(readSmemBytes(m.module_, info, &k.smemBytes));

    int staticSmem = 0, maxThreads = 0;
    ATTNRT_CU(cuFuncGetAttribute(&staticSmem, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, k.function));
    ATTNRT_CU(cuFuncGetAttribute(&maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                                 k.function));
    if (info.threads > maxThreads)
      return invalidManifest("kernel " + info.name + " is launched with " +
                             std::to_string(info.threads) + " threads but allows at most " +
                             std::to_string(maxThreads));
    if (staticSmem + k.smemBytes > optinSmem)
      return Status(StatusCode::kUnsupported,
                    "kernel " + info.name + " needs " + std::to_string(staticSmem + k.smemBytes) +
                        " bytes of shared memory; this GPU (" + deviceArch + ") allows " +
                        std::to_string(optinSmem));
    // Above 48 KB of shared memory (static + dynamic) a kernel must opt in:
    // the default dynamic limit is 48 KB minus the static part, so exactly
    // 48 KB of dynamic memory next to a static __shared__ int already needs it
    // (a 128 x 64 prefill at d = 64 failed to load on the H100 without it).
    if (staticSmem + k.smemBytes > 48 * 1024)
      ATTNRT_CU(cuFuncSetAttribute(k.function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                   k.smemBytes));
    ATTNRT_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&k.maxBlocksPerSM, k.function,
                                                          info.threads, k.smemBytes));
    if (k.maxBlocksPerSM < 1)
      return Status(StatusCode::kUnsupported,
                    "kernel " + info.name + " cannot be resident on an SM with " +
                        std::to_string(info.threads) + " threads and " +
                        std::to_string(k.smemBytes) + " bytes of shared memory");
    m.kernels_.push_back(k);
  }
  *out = std::move(m);
  return Status::Ok();
}

namespace {
Status readFile(const std::string &path, std::string *out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status(StatusCode::kNotFound, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return Status(StatusCode::kNotFound, "cannot read '" + path + "'");
  *out = ss.str();
  return Status::Ok();
}
} // namespace

Status Module::loadFiles(const std::string &imagePath, const std::string &manifestPath,
                         Module *out) {
  std::string image, manifest;
  ATTNRT_RETURN_IF_ERROR(readFile(imagePath, &image));
  ATTNRT_RETURN_IF_ERROR(readFile(manifestPath, &manifest));
  if (image.empty())
    return invalidArgument("'" + imagePath + "' is empty");
  return load(image.data(), image.size(), manifest, out);
}

} // namespace attnrt
