//===- Workspace.h - All device memory a Runner owns ----------------------===//
//
// One place for every device allocation of the launch path: the index buffer
// (batch metadata + work list + merge list, uploaded in one copy) and the
// partial-state buffer of split-KV. Today they grow on demand; the next issue
// (CUDA graphs) gives them fixed capacities at setup, and only this file
// changes.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_SRC_WORKSPACE_H
#define ATTNRT_SRC_WORKSPACE_H

#include "attnrt/Status.h"

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace attnrt {

// Host image of the index buffer: sections appended at 256-byte alignment,
// then uploaded with a single copy.
class IndexImage {
public:
  void clear() { bytes_.clear(); }
  // Appends `count` elements; returns the byte offset of the section.
  size_t append(const void *data, size_t bytes);
  const std::vector<uint8_t> &bytes() const { return bytes_; }

private:
  std::vector<uint8_t> bytes_;
};

class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  // Ensures at least `bytes` of capacity. Growing frees the old allocation,
  // which a launch on `stream` may still read: wait for the stream first.
  Status reserve(size_t bytes, CUstream stream);
  CUdeviceptr ptr() const { return ptr_; }
  size_t capacity() const { return capacity_; }
  void release();

private:
  CUdeviceptr ptr_ = 0;
  size_t capacity_ = 0;
};

class Workspace {
public:
  explicit Workspace(CUcontext ctx) : context_(ctx) {}
  ~Workspace();

  // Uploads the index image (stream-ordered). The image may be reused after
  // the call: pageable host->device copies are staged before they return.
  Status uploadIndex(const IndexImage &image, CUstream stream);
  CUdeviceptr indexBase() const { return index_.ptr(); }

  // partial_o [slots][head_dim_vo] floats and partial_lse [slots] floats.
  Status reservePartials(int64_t slots, int headDimVO, CUstream stream);
  CUdeviceptr partialO() const { return partials_.ptr(); }
  CUdeviceptr partialLse() const { return partialLse_; }

private:
  CUcontext context_;
  DeviceBuffer index_;
  DeviceBuffer partials_;
  CUdeviceptr partialLse_ = 0;
};

} // namespace attnrt

#endif // ATTNRT_SRC_WORKSPACE_H
