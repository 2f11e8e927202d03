//===- Workspace.h - All device memory a Runner owns ----------------------===//
//
// Every device allocation of the launch path, in three buffers:
//  - the index buffer: one section per array a launch reads (batch
//    metadata, the work list, the per-CTA ranges, the merge list);
//  - the merge counters (zeroed once; the kernels leave them zero);
//  - the partial states of split-KV.
// Two modes. Growing (no reserve): sections are sized by each plan and the
// buffers grow (a grow waits for the stream). Fixed (reserve): sections get
// their capacities once, so every device address a launch sees stays the
// same from plan to plan: what a CUDA graph captured around run() needs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_SRC_WORKSPACE_H
#define ATTNRT_SRC_WORKSPACE_H

#include "attnrt/Status.h"

#include <cuda.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace attnrt {

enum class Section {
  kQIndptr,
  kKvIndptr,
  kKvLens,
  kTokenOffsets,
  kPages,
  kBsrRowOffsets,
  kBsrIndptr,
  kBsrIndices,
  kWork,
  kCtaIndptr,
  kMerges,
  kGroupIndptr,
  kCount
};
constexpr size_t kNumSections = static_cast<size_t>(Section::kCount);
const char *sectionName(Section s);
size_t sectionElementBytes(Section s); // int32 words, or one work / merge item

// Bytes per section.
using SectionSizes = std::array<size_t, kNumSections>;

class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  // Ensures at least `bytes` of capacity. Growing frees the old allocation,
  // which a launch on `stream` may still read: wait for the stream first.
  // *grew tells whether the allocation changed (new memory is uninitialized).
  Status reserve(size_t bytes, CUstream stream, bool *grew = nullptr);
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

  // Fixed mode: allocates every buffer at these capacities, once.
  Status reserveFixed(const SectionSizes &sections, int64_t mergeGroups, int64_t partialSlots,
                      int headDimVO);
  bool fixed() const { return fixed_; }

  // Makes room for one plan: in fixed mode checks the capacities (a
  // "capacity exceeded" error naming the section), else grows.
  Status prepare(const SectionSizes &sections, int64_t mergeGroups, int64_t partialSlots,
                 int headDimVO, CUstream stream);
  // Stream-ordered copy of `bytes` host bytes into a section. The host data
  // may be reused after the call (pageable copies are staged first).
  Status upload(Section s, const void *data, size_t bytes, CUstream stream);
  CUdeviceptr section(Section s) const { return index_.ptr() + offsets_[size_t(s)]; }

  CUdeviceptr counters() const { return counters_.ptr(); }
  CUdeviceptr partialO() const { return partials_.ptr(); }
  CUdeviceptr partialLse() const { return partialLse_; }

private:
  Status layout(const SectionSizes &sections, int64_t mergeGroups, int64_t partialSlots,
                int headDimVO, CUstream stream);
  CUcontext context_;
  bool fixed_ = false;
  SectionSizes capacity_{};
  std::array<size_t, kNumSections> offsets_{};
  int64_t groupCapacity_ = 0, slotCapacity_ = 0;
  DeviceBuffer index_;
  DeviceBuffer counters_;
  DeviceBuffer partials_;
  CUdeviceptr partialLse_ = 0;
};

} // namespace attnrt

#endif // ATTNRT_SRC_WORKSPACE_H
