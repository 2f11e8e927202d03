//===- Workspace.cpp ------------------------------------------------------===//
#include "Workspace.h"

#include "CudaUtil.h"

#include "attn_kernels/abi.h"

#include <string>

namespace attnrt {

namespace {
constexpr size_t kAlign = 256; // cudaMalloc's alignment; keeps every section aligned
size_t alignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
} // namespace

const char *sectionName(Section s) {
  switch (s) {
  case Section::kQIndptr: return "q_indptr entries";
  case Section::kKvIndptr: return "kv_indptr entries";
  case Section::kKvLens: return "kv_lens entries";
  case Section::kTokenOffsets: return "token offsets";
  case Section::kPages: return "page-table entries";
  case Section::kBsrRowOffsets: return "BSR row offsets";
  case Section::kBsrIndptr: return "BSR indptr entries";
  case Section::kBsrIndices: return "BSR indices";
  case Section::kWork: return "work items";
  case Section::kCtaIndptr: return "CTA ranges";
  case Section::kMerges: return "merge items";
  case Section::kGroupIndptr: return "merge groups";
  case Section::kCount: break;
  }
  return "?";
}

size_t sectionElementBytes(Section s) {
  switch (s) {
  case Section::kWork: return sizeof(AttnWorkItem);
  case Section::kMerges: return sizeof(AttnMergeItem);
  default: return sizeof(int32_t);
  }
}

DeviceBuffer::~DeviceBuffer() { release(); }

void DeviceBuffer::release() {
  if (ptr_)
    cuMemFree(ptr_);
  ptr_ = 0;
  capacity_ = 0;
}

Status DeviceBuffer::reserve(size_t bytes, CUstream stream, bool *grew) {
  if (grew)
    *grew = false;
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
  if (grew)
    *grew = true;
  return Status::Ok();
}

Workspace::~Workspace() {
  ScopedContext scope(context_);
  index_.release();
  counters_.release();
  partials_.release();
}

Status Workspace::layout(const SectionSizes &sections, int64_t mergeGroups,
                         int64_t partialSlots, int headDimVO, CUstream stream) {
  size_t total = 0;
  for (size_t i = 0; i < kNumSections; ++i) {
    offsets_[i] = total;
    total += alignUp(sections[i]);
  }
  ATTNRT_RETURN_IF_ERROR(index_.reserve(total, stream));
  if (mergeGroups > 0) {
    bool grew = false;
    ATTNRT_RETURN_IF_ERROR(
        counters_.reserve(size_t(mergeGroups) * sizeof(int32_t), stream, &grew));
    // The kernels leave every counter at zero; fresh memory starts there.
    if (grew)
      ATTNRT_CU(cuMemsetD32Async(counters_.ptr(), 0, counters_.capacity() / sizeof(int32_t),
                                 stream));
  }
  if (partialSlots > 0) {
    size_t oBytes = alignUp(size_t(partialSlots) * size_t(headDimVO) * sizeof(float));
    ATTNRT_RETURN_IF_ERROR(
        partials_.reserve(oBytes + size_t(partialSlots) * sizeof(float), stream));
    partialLse_ = partials_.ptr() + oBytes;
  }
  return Status::Ok();
}

Status Workspace::reserveFixed(const SectionSizes &sections, int64_t mergeGroups,
                               int64_t partialSlots, int headDimVO) {
  if (fixed_)
    return invalidArgument("reserve: the runner already has fixed capacities");
  ScopedContext scope(context_);
  // Allocation is not stream-ordered; the null stream is only used to wait
  // when replacing a growing-mode buffer.
  index_.release();
  counters_.release();
  partials_.release();
  ATTNRT_RETURN_IF_ERROR(layout(sections, mergeGroups, partialSlots, headDimVO, nullptr));
  ATTNRT_CU(cuStreamSynchronize(nullptr)); // the counters' memset
  capacity_ = sections;
  groupCapacity_ = mergeGroups;
  slotCapacity_ = partialSlots;
  fixed_ = true;
  return Status::Ok();
}

Status Workspace::prepare(const SectionSizes &sections, int64_t mergeGroups,
                          int64_t partialSlots, int headDimVO, CUstream stream) {
  if (!fixed_)
    return layout(sections, mergeGroups, partialSlots, headDimVO, stream);
  for (size_t i = 0; i < kNumSections; ++i)
    if (sections[i] > capacity_[i])
      return invalidArgument(std::string("capacity exceeded: the batch needs ") +
                             std::to_string(sections[i] / sectionElementBytes(Section(i))) +
                             " " + sectionName(Section(i)) + ", the plan holds " +
                             std::to_string(capacity_[i] / sectionElementBytes(Section(i))));
  if (mergeGroups > groupCapacity_)
    return invalidArgument("capacity exceeded: the batch needs " + std::to_string(mergeGroups) +
                           " merge groups, the plan holds " + std::to_string(groupCapacity_));
  if (partialSlots > slotCapacity_)
    return invalidArgument("capacity exceeded: the batch needs " +
                           std::to_string(partialSlots) +
                           " partial-state slots, the plan holds " +
                           std::to_string(slotCapacity_));
  return Status::Ok();
}

Status Workspace::upload(Section s, const void *data, size_t bytes, CUstream stream) {
  if (bytes == 0)
    return Status::Ok();
  ATTNRT_CU(cuMemcpyHtoDAsync(section(s), data, bytes, stream));
  return Status::Ok();
}

} // namespace attnrt
