//===- NVRTC.cpp - In-process CUDA compilation ----------------------------===//
#include "attn/Target/NVRTC/NVRTC.h"

#include <nvrtc.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#ifndef ATTN_CUDA_INCLUDE_DIR
#error "ATTN_CUDA_INCLUDE_DIR must be defined by CMake (CUDAToolkit_INCLUDE_DIRS)"
#endif

namespace attn::target {

namespace {

/// Deletes the program on every path out.
struct ProgramDeleter {
  void operator()(nvrtcProgram *p) const {
    if (p && *p)
      nvrtcDestroyProgram(p);
    delete p;
  }
};
using Program = std::unique_ptr<nvrtcProgram, ProgramDeleter>;

std::string programLog(nvrtcProgram prog) {
  size_t size = 0;
  if (nvrtcGetProgramLogSize(prog, &size) != NVRTC_SUCCESS || size == 0)
    return "";
  std::string log(size, '\0');
  if (nvrtcGetProgramLog(prog, log.data()) != NVRTC_SUCCESS)
    return "";
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n'))
    log.pop_back();
  return log;
}

bool fileExists(const std::string &path) { return std::ifstream(path).good(); }

} // namespace

std::string nvrtcVersionString() {
  int major = 0, minor = 0;
  if (nvrtcVersion(&major, &minor) != NVRTC_SUCCESS)
    return "unknown";
  return fmt::format("{}.{}", major, minor);
}

bool findCudaIncludeDir(std::string &dir, std::string &error) {
  const char *env = std::getenv("ATTNC_CUDA_INCLUDE");
  std::string configured = ATTN_CUDA_INCLUDE_DIR;
  dir = env && *env ? env : configured;
  if (fileExists(dir + "/cuda_fp16.h"))
    return true;
  error = fmt::format("cannot find the CUDA headers NVRTC needs (cuda_fp16.h) in '{}'{}; set "
                      "ATTNC_CUDA_INCLUDE to the CUDA toolkit's include directory",
                      dir, env && *env ? " (from ATTNC_CUDA_INCLUDE)" : " (found at configure time)");
  return false;
}

bool compileWithNVRTC(const NVRTCRequest &request, NVRTCOutput &output, std::string &error) {
  std::vector<const char *> headerTexts, headerNames;
  // NVRTC wants NUL-terminated header texts; keep copies alive for the call.
  std::vector<std::string> storage;
  storage.reserve(request.headers.size() * 2);
  for (const auto &[name, text] : request.headers) {
    storage.push_back(name.str());
    headerNames.push_back(storage.back().c_str());
    storage.push_back(text.str());
    headerTexts.push_back(storage.back().c_str());
  }
  Program prog(new nvrtcProgram(nullptr));
  nvrtcResult rc = nvrtcCreateProgram(prog.get(), request.source.c_str(),
                                      request.programName.c_str(),
                                      static_cast<int>(headerTexts.size()),
                                      headerTexts.data(), headerNames.data());
  if (rc != NVRTC_SUCCESS) {
    error = fmt::format("nvrtcCreateProgram failed: {}", nvrtcGetErrorString(rc));
    return false;
  }
  std::vector<std::string> options = {"--gpu-architecture=" + request.arch};
  options.insert(options.end(), request.options.begin(), request.options.end());
  std::vector<const char *> argv;
  for (const std::string &o : options)
    argv.push_back(o.c_str());
  rc = nvrtcCompileProgram(*prog, static_cast<int>(argv.size()), argv.data());
  output.log = programLog(*prog);
  if (rc != NVRTC_SUCCESS) {
    error = fmt::format("NVRTC failed for {} ({}):\n{}", request.arch, nvrtcGetErrorString(rc),
                        output.log);
    return false;
  }
  size_t size = 0;
  rc = nvrtcGetCUBINSize(*prog, &size);
  if (rc != NVRTC_SUCCESS || size == 0) {
    error = fmt::format("NVRTC produced no cubin for {}: {}", request.arch,
                        nvrtcGetErrorString(rc));
    return false;
  }
  output.cubin.resize(size);
  if ((rc = nvrtcGetCUBIN(*prog, output.cubin.data())) != NVRTC_SUCCESS) {
    error = fmt::format("nvrtcGetCUBIN failed: {}", nvrtcGetErrorString(rc));
    return false;
  }
  if (request.wantPTX) {
    if ((rc = nvrtcGetPTXSize(*prog, &size)) != NVRTC_SUCCESS) {
      error = fmt::format("nvrtcGetPTXSize failed: {}", nvrtcGetErrorString(rc));
      return false;
    }
    output.ptx.assign(size, '\0');
    if ((rc = nvrtcGetPTX(*prog, output.ptx.data())) != NVRTC_SUCCESS) {
      error = fmt::format("nvrtcGetPTX failed: {}", nvrtcGetErrorString(rc));
      return false;
    }
    while (!output.ptx.empty() && output.ptx.back() == '\0')
      output.ptx.pop_back();
  }
  return true;
}

} // namespace attn::target
