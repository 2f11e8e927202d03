//===- Launch.cpp - plan() uploads, run() launches ------------------------===//
#include "attnrt/Launch.h"

#include "CudaUtil.h"
#include "Guard.h"
#include "Workspace.h"

#include <algorithm>

namespace attnrt {

Runner::Runner(const Module *module) : module_(module) {}

Runner::~Runner() = default; // the Workspace frees in the module's context

namespace {
template <typename T> const T *at(CUdeviceptr base, size_t offset) {
  return reinterpret_cast<const T *>(static_cast<uintptr_t>(base + offset));
}
} // namespace

Status Runner::plan(const BatchDesc &batch, const RunOptions &opts, CUstream stream) {
  planned_ = false;
  return guarded("Runner::plan", [&] { return planImpl(batch, opts, stream); });
}

Status Runner::planImpl(const BatchDesc &batch, const RunOptions &opts, CUstream stream) {
  if (!module_ || !module_->loaded())
    return invalidArgument("Runner: the module is not loaded");
  const Manifest &m = module_->manifest();
  ScopedContext scope(module_->context());
  if (!workspace_)
    workspace_.reset(new Workspace(module_->context()));

  BatchInfo info;
  ATTNRT_RETURN_IF_ERROR(validateBatch(m, batch, &info));
  PlanOptions po;
  po.numSMs = module_->numSMs();
  po.kvChunk = opts.kvChunk;
  po.noSplit = opts.noSplit;
  po.forceKernel = opts.forceKernel;
  WorkList work;
  ATTNRT_RETURN_IF_ERROR(buildWorkList(m, info, po, &work));

  // One host image, one upload. Offsets are recorded, pointers made after
  // the (possibly reallocating) upload.
  const int64_t B = batch.batchSize;
  IndexImage img;
  auto add = [&](const void *p, size_t n) { return img.append(p, n * sizeof(int32_t)); };
  size_t oQ = add(info.qIndptr.data(), info.qIndptr.size());
  size_t oKvIndptr = add(info.kvIndptr.data(), info.kvIndptr.size());
  size_t oKvLens = add(info.kvLens.data(), info.kvLens.size());
  size_t oTok = add(info.kvTokenOffsets.data(), info.kvTokenOffsets.size());
  size_t oPages = 0, oRowOff = 0, oBsrIndptr = 0, oBsrIdx = 0;
  if (m.kvLayout == KvLayout::kPaged)
    oPages = add(batch.pageIndices.data, B > 0 ? size_t(info.kvIndptr[B]) : 0);
  if (m.kvLayout == KvLayout::kBlockSparse) {
    oRowOff = add(batch.bsrRowOffsets.data, size_t(B));
    size_t rows1 = batch.bsrIndptr.size;
    oBsrIndptr = add(batch.bsrIndptr.data, rows1);
    oBsrIdx = add(batch.bsrIndices.data, rows1 > 0 ? size_t(batch.bsrIndptr[rows1 - 1]) : 0);
  }
  size_t oWork = img.append(work.items.data(), work.items.size() * sizeof(AttnWorkItem));
  size_t oMerge = img.append(work.merges.data(), work.merges.size() * sizeof(AttnMergeItem));

  ATTNRT_RETURN_IF_ERROR(workspace_->uploadIndex(img, stream));
  ATTNRT_RETURN_IF_ERROR(
      workspace_->reservePartials(work.numPartialSlots, m.headDimVO, stream));

  const CUdeviceptr base = workspace_->indexBase();
  AttnArgs a{};
  a.q_indptr = at<int32_t>(base, oQ);
  a.kv_indptr = at<int32_t>(base, oKvIndptr);
  a.kv_lens = at<int32_t>(base, oKvLens);
  if (m.kvLayout == KvLayout::kPaged)
    a.kv_page_indices = at<int32_t>(base, oPages);
  if (m.kvLayout == KvLayout::kBlockSparse) {
    a.bsr_row_offsets = at<int32_t>(base, oRowOff);
    a.bsr_indptr = at<int32_t>(base, oBsrIndptr);
    a.bsr_indices = at<int32_t>(base, oBsrIdx);
  }
  a.work = at<AttnWorkItem>(base, oWork);
  a.num_work = static_cast<int32_t>(work.items.size());
  a.batch_size = static_cast<int32_t>(B);
  if (work.numPartialSlots > 0) {
    a.partial_o = reinterpret_cast<float *>(static_cast<uintptr_t>(workspace_->partialO()));
    a.partial_lse =
        reinterpret_cast<float *>(static_cast<uintptr_t>(workspace_->partialLse()));
  }
  a.merge = work.merges.empty() ? nullptr : at<AttnMergeItem>(base, oMerge);
  a.num_merge = static_cast<int32_t>(work.merges.size());

  planArgs_ = a;
  tokenOffsets_ = base + oTok;
  info_ = std::move(info);
  work_ = std::move(work);
  opts_ = opts;
  planned_ = true;
  return Status::Ok();
}

namespace {
// Persistent grid: never more CTAs than items, nor than fit at once.
int gridFor(int64_t items, const LoadedKernel &k, int numSMs, int maxGrid) {
  int64_t resident = int64_t(numSMs) * std::max(1, k.maxBlocksPerSM);
  int64_t g = std::min<int64_t>(items, resident);
  if (maxGrid > 0)
    g = std::min<int64_t>(g, maxGrid);
  return static_cast<int>(std::max<int64_t>(1, g));
}
} // namespace

Status Runner::run(const DeviceTensors &t, const ParamSet &params, CUstream stream) {
  return guarded("Runner::run", [&] { return runImpl(t, params, stream); });
}

Status Runner::runImpl(const DeviceTensors &t, const ParamSet &params, CUstream stream) {
  if (!planned_)
    return invalidArgument("Runner::run: call plan() first (or the last plan failed)");
  const Manifest &m = module_->manifest();
  ATTNRT_RETURN_IF_ERROR(validateTensors(m, info_, t));
  std::vector<uint8_t> blob;
  ATTNRT_RETURN_IF_ERROR(packParams(m, params, domainSizes(m, info_), tokenOffsets_, &blob));
  if (work_.items.empty())
    return Status::Ok(); // no query rows: nothing to launch

  AttnArgs a = planArgs_;
  a.q = reinterpret_cast<const void *>(static_cast<uintptr_t>(t.q));
  a.q_stride_row = t.qStrideRow;
  a.q_stride_head = t.qStrideHead;
  a.o = reinterpret_cast<void *>(static_cast<uintptr_t>(t.o));
  a.o_stride_row = t.oStrideRow;
  a.o_stride_head = t.oStrideHead;
  a.lse = reinterpret_cast<float *>(static_cast<uintptr_t>(t.lse));
  a.k = reinterpret_cast<const void *>(static_cast<uintptr_t>(t.k));
  a.v = reinterpret_cast<const void *>(static_cast<uintptr_t>(t.v));
  a.kv_stride_page = t.kvStridePage;
  a.kv_stride_row = t.kvStrideRow;
  a.kv_stride_head = t.kvStrideHead;
  a.v_stride_page = t.vStridePage;
  a.v_stride_row = t.vStrideRow;
  a.v_stride_head = t.vStrideHead;

  ScopedContext scope(module_->context());
  // Both arguments by value: cuLaunchKernel copies them at launch, so the
  // locals may die when we return.
  void *args[] = {&a, blob.data()};

  const LoadedKernel *k = module_->kernel(work_.kernel);
  if (!k)
    return Status(StatusCode::kInternal, "the planned kernel is not loaded");
  LaunchRecord rec;
  rec.kernel = work_.kernel;
  rec.grid = gridFor(a.num_work, *k, module_->numSMs(), opts_.maxGrid);
  rec.threads = k->info.threads;
  rec.smemBytes = k->smemBytes;
  ATTNRT_CU(cuLaunchKernel(k->function, rec.grid, 1, 1, rec.threads, 1, 1,
                           static_cast<unsigned>(rec.smemBytes), stream, args, nullptr));
  if (a.num_merge > 0) {
    const LoadedKernel *mk = module_->kernel(KernelKind::kMerge);
    if (!mk)
      return Status(StatusCode::kInternal, "the plan split keys but there is no merge kernel");
    rec.merged = true;
    rec.mergeGrid = gridFor(a.num_merge, *mk, module_->numSMs(), opts_.maxGrid);
    rec.mergeThreads = mk->info.threads;
    ATTNRT_CU(cuLaunchKernel(mk->function, rec.mergeGrid, 1, 1, rec.mergeThreads, 1, 1,
                             static_cast<unsigned>(mk->smemBytes), stream, args, nullptr));
  }
  last_ = rec;
  return Status::Ok();
}

Status Runner::forward(const BatchDesc &batch, const DeviceTensors &tensors,
                       const ParamSet &params, CUstream stream, const RunOptions &opts) {
  ATTNRT_RETURN_IF_ERROR(plan(batch, opts, stream));
  return run(tensors, params, stream);
}

} // namespace attnrt
