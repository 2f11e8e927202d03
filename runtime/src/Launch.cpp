//===- Launch.cpp - reserve() sizes, plan() uploads, run() launches -------===//
#include "attnrt/Launch.h"

#include "CudaUtil.h"
#include "Guard.h"
#include "Workspace.h"

#include <algorithm>

namespace attnrt {

Runner::Runner(const Module *module) : module_(module) {}

Runner::~Runner() = default; // the Workspace frees in the module's context

namespace {
template <typename T> const T *at(CUdeviceptr p) {
  return reinterpret_cast<const T *>(static_cast<uintptr_t>(p));
}
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
size_t words(int64_t n) { return size_t(std::max<int64_t>(0, n)) * sizeof(int32_t); }
} // namespace

// Persistent grid: every CTA that fits on the GPU at once (or the options'
// override); CTAs with no items return at once.
int Runner::gridFor(const LoadedKernel &k, const RunOptions &opts) const {
  int perSM = opts.ctasPerSM > 0 ? std::min(opts.ctasPerSM, std::max(1, k.maxBlocksPerSM))
                                 : std::max(1, k.maxBlocksPerSM);
  int64_t g = int64_t(module_->numSMs()) * perSM;
  if (opts.maxGrid > 0)
    g = std::min<int64_t>(g, opts.maxGrid);
  return static_cast<int>(std::max<int64_t>(1, g));
}

Status Runner::reserve(const Capacities &caps) {
  return guarded("Runner::reserve", [&]() -> Status {
    if (!module_ || !module_->loaded())
      return invalidArgument("Runner: the module is not loaded");
    if (reserved_)
      return invalidArgument("Runner::reserve: capacities are already fixed");
    const Manifest &m = module_->manifest();
    if (caps.maxBatch <= 0 || caps.maxQRows <= 0)
      return invalidArgument("Runner::reserve: maxBatch and maxQRows must be > 0");
    if (caps.maxPageIndices < 0 || caps.maxBsrRows < 0 || caps.maxBsrIndices < 0 ||
        caps.maxWorkItems < 0 || caps.maxPartialSlots < 0)
      return invalidArgument("Runner::reserve: capacities must be >= 0");
    if (m.kvLayout == KvLayout::kPaged && caps.maxPageIndices <= 0)
      return invalidArgument("Runner::reserve: a paged module needs maxPageIndices > 0");
    if (m.kvLayout == KvLayout::kBlockSparse && (caps.maxBsrRows <= 0 || caps.maxBsrIndices <= 0))
      return invalidArgument(
          "Runner::reserve: a block-sparse module needs maxBsrRows and maxBsrIndices > 0");

    // Bounds over both attention kernels (the first plan picks one).
    const int64_t H = m.numKVHeads, B = caps.maxBatch;
    int64_t grid = 1, baseItems = 0, splitRows = 0;
    for (KernelKind kind : {KernelKind::kPrefill, KernelKind::kDecode}) {
      const LoadedKernel *k = module_->kernel(kind);
      if (!k)
        continue;
      grid = std::max<int64_t>(grid, gridFor(*k, RunOptions()));
      int64_t items = B * H; // decode: one per (request, kv head)
      if (kind == KernelKind::kPrefill) {
        const int64_t rows = std::max<int64_t>(1, k->info.blockM / m.groupSize);
        items = (ceilDiv(caps.maxQRows, rows) + B) * H;
        if (m.kvLayout == KvLayout::kBlockSparse)
          items += (caps.maxBsrRows + B) * H; // tiles never straddle a block_q row
      } else {
        splitRows = std::max<int64_t>(splitRows, k->info.blockM);
      }
      baseItems = std::max(baseItems, items);
    }
    // The automatic split adds at most about one chunk per CTA (chunks are
    // sized to the per-CTA average); twice that is the slack.
    const int64_t workItems = caps.maxWorkItems > 0 ? caps.maxWorkItems : baseItems + 2 * grid;
    const int64_t slots =
        caps.maxPartialSlots > 0 ? caps.maxPartialSlots : (B * H + 2 * grid) * splitRows;

    SectionSizes sz{};
    sz[size_t(Section::kQIndptr)] = words(B + 1);
    sz[size_t(Section::kKvIndptr)] = words(B + 1);
    sz[size_t(Section::kKvLens)] = words(B);
    sz[size_t(Section::kTokenOffsets)] = words(B + 1);
    if (m.kvLayout == KvLayout::kPaged)
      sz[size_t(Section::kPages)] = words(caps.maxPageIndices);
    if (m.kvLayout == KvLayout::kBlockSparse) {
      sz[size_t(Section::kBsrRowOffsets)] = words(B);
      sz[size_t(Section::kBsrIndptr)] = words(caps.maxBsrRows + 1);
      sz[size_t(Section::kBsrIndices)] = words(caps.maxBsrIndices);
    }
    // The kernels' layout adds each idle CTA's empty first slot (layOutForKernels).
    sz[size_t(Section::kWork)] = size_t(workItems + grid) * sizeof(AttnWorkItem);
    sz[size_t(Section::kCtaIndptr)] = words(grid + 1);
    sz[size_t(Section::kMerges)] = size_t(slots) * sizeof(AttnMergeItem);
    sz[size_t(Section::kGroupIndptr)] = words(workItems + 1);

    ScopedContext scope(module_->context());
    if (!workspace_)
      workspace_.reset(new Workspace(module_->context()));
    ATTNRT_RETURN_IF_ERROR(workspace_->reserveFixed(sz, workItems, slots, m.headDimVO));
    caps_ = caps;
    caps_.maxWorkItems = workItems;
    caps_.maxPartialSlots = slots;
    reserved_ = true;
    planned_ = false;
    return Status::Ok();
  });
}

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
  if (reserved_ && batch.batchSize > caps_.maxBatch)
    return invalidArgument("capacity exceeded: the batch has " + std::to_string(batch.batchSize) +
                           " requests, the plan holds " + std::to_string(caps_.maxBatch));
  if (reserved_ && info.totalQ > caps_.maxQRows)
    return invalidArgument("capacity exceeded: the batch has " + std::to_string(info.totalQ) +
                           " query rows, the plan holds " + std::to_string(caps_.maxQRows));

  PlanOptions po;
  po.kvChunk = opts.kvChunk;
  po.noSplit = opts.noSplit;
  po.forceKernel = opts.forceKernel;
  po.deterministic = opts.deterministic;
  if (opts.minChunkTiles > 0)
    po.minChunkTiles = opts.minChunkTiles;
  if (opts.splitGranularity > 0)
    po.splitGranularity = opts.splitGranularity;
  if (reserved_) {
    if (pinned_ && po.forceKernel == KernelKind::kMerge)
      po.forceKernel = pinnedKernel_;
    po.maxWorkItems = caps_.maxWorkItems;
    po.maxPartialSlots = caps_.maxPartialSlots;
    po.maxMergeItems = caps_.maxPartialSlots;
  }
  KernelKind kind;
  ATTNRT_RETURN_IF_ERROR(chooseKernel(m, info, po, &kind));
  if (reserved_ && pinned_ && kind != pinnedKernel_)
    return Status(StatusCode::kUnsupported,
                  std::string("this runner's capacities were fixed with the ") +
                      kernelKindName(pinnedKernel_) + " kernel; the batch needs " +
                      kernelKindName(kind) + " (create another runner, or force " +
                      kernelKindName(kind) + " before the first plan)");
  const LoadedKernel *lk = module_->kernel(kind);
  if (!lk)
    return Status(StatusCode::kInternal, "the chosen kernel is not loaded");
  const int grid = reserved_ && pinned_ ? pinnedGrid_ : gridFor(*lk, opts);
  po.numCtas = grid;
  // Tile costs from the classifier when it binds to this batch's values;
  // otherwise every tile of an item's range counts.
  if (!classifier_)
    classifier_.reset(new HostClassifier(m));
  std::unique_ptr<ClassifierTileCounter> counter;
  if (classifier_->exact()) {
    static const ParamSet kNoParams;
    static const HostArrays kNoArrays;
    if (classifier_->bind(opts.hostParams ? *opts.hostParams : kNoParams,
                          opts.hostArrays ? *opts.hostArrays : kNoArrays, info)
            .ok()) {
      counter.reset(new ClassifierTileCounter(*classifier_));
      po.tiles = counter.get();
    }
  }
  WorkList work;
  ATTNRT_RETURN_IF_ERROR(buildWorkList(m, info, po, &work));
  const DeviceWorkList laid = layOutForKernels(work);

  // Section sizes of this plan, then (fixed mode) the capacity check or
  // (growing mode) the layout; nothing is uploaded before both passed.
  const int64_t B = batch.batchSize;
  const bool paged = m.kvLayout == KvLayout::kPaged;
  const bool sparse = m.kvLayout == KvLayout::kBlockSparse;
  const size_t rows1 = sparse ? batch.bsrIndptr.size : 0;
  const int64_t pages = paged && B > 0 ? info.kvIndptr[B] : 0;
  const int64_t bsrIdx = sparse && rows1 > 0 ? batch.bsrIndptr[rows1 - 1] : 0;
  SectionSizes sz{};
  sz[size_t(Section::kQIndptr)] = words(int64_t(info.qIndptr.size()));
  sz[size_t(Section::kKvIndptr)] = words(int64_t(info.kvIndptr.size()));
  sz[size_t(Section::kKvLens)] = words(int64_t(info.kvLens.size()));
  sz[size_t(Section::kTokenOffsets)] = words(int64_t(info.kvTokenOffsets.size()));
  sz[size_t(Section::kPages)] = words(pages);
  sz[size_t(Section::kBsrRowOffsets)] = sparse ? words(B) : 0;
  sz[size_t(Section::kBsrIndptr)] = words(int64_t(rows1));
  sz[size_t(Section::kBsrIndices)] = words(bsrIdx);
  sz[size_t(Section::kWork)] = laid.items.size() * sizeof(AttnWorkItem);
  sz[size_t(Section::kCtaIndptr)] = words(int64_t(laid.ctaIndptr.size()));
  sz[size_t(Section::kMerges)] = work.merges.size() * sizeof(AttnMergeItem);
  sz[size_t(Section::kGroupIndptr)] = words(int64_t(work.mergeGroupIndptr.size()));
  ATTNRT_RETURN_IF_ERROR(workspace_->prepare(sz, work.numMergeGroups(), work.numPartialSlots,
                                             m.headDimVO, stream));

  Workspace &ws = *workspace_;
  auto up = [&](Section s, const void *data) {
    return ws.upload(s, data, sz[size_t(s)], stream);
  };
  ATTNRT_RETURN_IF_ERROR(up(Section::kQIndptr, info.qIndptr.data()));
  ATTNRT_RETURN_IF_ERROR(up(Section::kKvIndptr, info.kvIndptr.data()));
  ATTNRT_RETURN_IF_ERROR(up(Section::kKvLens, info.kvLens.data()));
  ATTNRT_RETURN_IF_ERROR(up(Section::kTokenOffsets, info.kvTokenOffsets.data()));
  if (paged)
    ATTNRT_RETURN_IF_ERROR(up(Section::kPages, batch.pageIndices.data));
  if (sparse) {
    ATTNRT_RETURN_IF_ERROR(up(Section::kBsrRowOffsets, batch.bsrRowOffsets.data));
    ATTNRT_RETURN_IF_ERROR(up(Section::kBsrIndptr, batch.bsrIndptr.data));
    ATTNRT_RETURN_IF_ERROR(up(Section::kBsrIndices, batch.bsrIndices.data));
  }
  ATTNRT_RETURN_IF_ERROR(up(Section::kWork, laid.items.data()));
  ATTNRT_RETURN_IF_ERROR(up(Section::kCtaIndptr, laid.ctaIndptr.data()));
  ATTNRT_RETURN_IF_ERROR(up(Section::kMerges, work.merges.data()));
  ATTNRT_RETURN_IF_ERROR(up(Section::kGroupIndptr, work.mergeGroupIndptr.data()));

  AttnArgs a{};
  a.q_indptr = at<int32_t>(ws.section(Section::kQIndptr));
  a.kv_indptr = at<int32_t>(ws.section(Section::kKvIndptr));
  a.kv_lens = at<int32_t>(ws.section(Section::kKvLens));
  if (paged)
    a.kv_page_indices = at<int32_t>(ws.section(Section::kPages));
  if (sparse) {
    a.bsr_row_offsets = at<int32_t>(ws.section(Section::kBsrRowOffsets));
    a.bsr_indptr = at<int32_t>(ws.section(Section::kBsrIndptr));
    a.bsr_indices = at<int32_t>(ws.section(Section::kBsrIndices));
  }
  a.work = at<AttnWorkItem>(ws.section(Section::kWork));
  a.cta_work_indptr = at<int32_t>(ws.section(Section::kCtaIndptr));
  a.batch_size = static_cast<int32_t>(B);
  // Fixed mode keeps every pointer, even unused ones, so that a graph
  // captured with one plan replays every later one.
  if (work.numPartialSlots > 0 || ws.fixed()) {
    a.partial_o = reinterpret_cast<void *>(static_cast<uintptr_t>(ws.partialO()));
    a.partial_lse = reinterpret_cast<float *>(static_cast<uintptr_t>(ws.partialLse()));
  }
  a.merge = at<AttnMergeItem>(ws.section(Section::kMerges));
  a.merge_group_indptr = at<int32_t>(ws.section(Section::kGroupIndptr));
  a.merge_counters = reinterpret_cast<int32_t *>(static_cast<uintptr_t>(ws.counters()));

  planArgs_ = a;
  tokenOffsets_ = ws.section(Section::kTokenOffsets);
  info_ = std::move(info);
  work_ = std::move(work);
  opts_ = opts;
  opts_.hostParams = nullptr; // only valid during plan()
  opts_.hostArrays = nullptr;
  grid_ = grid;
  if (reserved_ && !pinned_) {
    pinned_ = true;
    pinnedKernel_ = kind;
    pinnedGrid_ = grid;
  }
  planned_ = true;
  return Status::Ok();
}

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
  // Growing mode skips empty launches; fixed mode always launches, so the
  // launch a graph captured stays valid (its CTAs find no items).
  if (work_.items.empty() && !reserved_)
    return Status::Ok();

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
  // A programmatic launch's CTAs may wait for the kernel ahead: decode
  // prefetches its first key tiles into L2 meanwhile (abi.h).
  a.flags = programmatic_ ? ATTN_ARGS_PREFETCH_BEFORE_WAIT : 0;

  ScopedContext scope(module_->context());
  // Both arguments by value: cuLaunchKernelEx copies them at launch, so the
  // locals may die when we return.
  void *args[] = {&a, blob.data()};

  const LoadedKernel *k = module_->kernel(work_.kernel);
  if (!k)
    return Status(StatusCode::kInternal, "the planned kernel is not loaded");
  LaunchRecord rec;
  rec.kernel = work_.kernel;
  rec.grid = grid_;
  rec.threads = k->info.threads;
  rec.smemBytes = k->smemBytes;
  rec.merged = work_.split();
  rec.programmatic = programmatic_;
  CUlaunchAttribute attr{};
  attr.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  attr.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig cfg{};
  cfg.gridDimX = static_cast<unsigned>(rec.grid);
  cfg.gridDimY = cfg.gridDimZ = 1;
  cfg.blockDimX = static_cast<unsigned>(rec.threads);
  cfg.blockDimY = cfg.blockDimZ = 1;
  cfg.sharedMemBytes = static_cast<unsigned>(rec.smemBytes);
  cfg.hStream = stream;
  cfg.attrs = programmatic_ ? &attr : nullptr;
  cfg.numAttrs = programmatic_ ? 1 : 0;
  ATTNRT_CU(cuLaunchKernelEx(&cfg, k->function, args, nullptr));
  last_ = rec;
  return Status::Ok();
}

Status Runner::setProgrammaticLaunch(bool enable) {
  if (!enable) {
    programmatic_ = false;
    return Status::Ok();
  }
  Status st = checkProgrammaticLaunch(module_->manifest(), module_->ccMajor(), module_->ccMinor());
  if (!st.ok())
    return Status(st.code(), "Runner::setProgrammaticLaunch: " + st.message());
  programmatic_ = true;
  return Status::Ok();
}

Status Runner::forward(const BatchDesc &batch, const DeviceTensors &tensors,
                       const ParamSet &params, CUstream stream, const RunOptions &opts) {
  RunOptions withParams = opts;
  if (!withParams.hostParams)
    withParams.hostParams = &params; // scalars are host values already
  ATTNRT_RETURN_IF_ERROR(plan(batch, withParams, stream));
  return run(tensors, params, stream);
}

} // namespace attnrt
