//===- CudaUtil.h - Driver-API helpers shared by the CUDA-side files ------===//
#ifndef ATTNRT_SRC_CUDAUTIL_H
#define ATTNRT_SRC_CUDAUTIL_H

#include "attnrt/Module.h"

#include <cuda.h>

// Turns a failing driver call into a Status naming the call.
#define ATTNRT_CU(call) ATTNRT_RETURN_IF_ERROR(::attnrt::cudaStatus((call), #call))

namespace attnrt {

// Makes `ctx` current for a scope when it is not already (engines usually
// have it current; tools may not), and restores the previous one.
class ScopedContext {
public:
  explicit ScopedContext(CUcontext ctx) {
    CUcontext current = nullptr;
    if (ctx && cuCtxGetCurrent(&current) == CUDA_SUCCESS && current != ctx)
      pushed_ = cuCtxPushCurrent(ctx) == CUDA_SUCCESS;
  }
  ~ScopedContext() {
    if (pushed_) {
      CUcontext popped;
      cuCtxPopCurrent(&popped);
    }
  }
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;

private:
  bool pushed_ = false;
};

} // namespace attnrt

#endif // ATTNRT_SRC_CUDAUTIL_H
