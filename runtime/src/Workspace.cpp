//===- Workspace.cpp ------------------------------------------------------===//
#include "Workspace.h"

#include "CudaUtil.h"

#include <cstring>

namespace attnrt {

namespace {
constexpr size_t kAlign = 256; // cudaMalloc's alignment; keeps every section aligned
size_t alignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
} // namespace

size_t IndexImage::append(const void *data, size_t bytes) {
  size_t offset = alignUp(bytes_.size());
  bytes_.resize(offset + bytes);
  if (bytes)
    std::memcpy(bytes_.data() + offset, data, bytes);
  return offset;
}

DeviceBuffer::~DeviceBuffer() { release(); }

void DeviceBuffer::release() {
  if (ptr_)
    cuMemFree(ptr_);
  ptr_ = 0;
  capacity_ = 0;
}

Status DeviceBuffer::reserve(size_t bytes, CUstream stream) {
  if (bytes <= capacity_)
    return Status::Ok();
  if (ptr_) {
    ATTNRT_CU(cuStreamSynchronize(stream));
    release();
  }
  // Grow by half again so a slowly growing batch does not reallocate each time.
  size_t want = alignUp(bytes + bytes / 2);
  ATTNRT_CU(cuMemAlloc(&ptr_, want));
  capacity_ = want;
  return Status::Ok();
}

Workspace::~Workspace() {
  ScopedContext scope(context_);
  index_.release();
  partials_.release();
}

Status Workspace::uploadIndex(const IndexImage &image, CUstream stream) {
  const std::vector<uint8_t> &bytes = image.bytes();
  if (bytes.empty())
    return Status::Ok();
  ATTNRT_RETURN_IF_ERROR(index_.reserve(bytes.size(), stream));
  ATTNRT_CU(cuMemcpyHtoDAsync(index_.ptr(), bytes.data(), bytes.size(), stream));
  return Status::Ok();
}

Status Workspace::reservePartials(int64_t slots, int headDimVO, CUstream stream) {
  if (slots <= 0)
    return Status::Ok();
  size_t oBytes = alignUp(size_t(slots) * size_t(headDimVO) * sizeof(float));
  ATTNRT_RETURN_IF_ERROR(partials_.reserve(oBytes + size_t(slots) * sizeof(float), stream));
  partialLse_ = partials_.ptr() + oBytes;
  return Status::Ok();
}

} // namespace attnrt
