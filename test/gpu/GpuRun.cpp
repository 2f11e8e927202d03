//===- GpuRun.cpp - One problem through attnrt on the GPU -----------------===//
#include "GpuRun.h"

#include "attnrt/Params.h"

#include <algorithm>
#include <memory>

namespace attn::gputest {

std::string cudaError(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS)
    return {};
  const char *name = nullptr;
  cuGetErrorName(r, &name);
  return std::string(name ? name : "CUDA error") + " (" + what + ")";
}

CapturedGraph::~CapturedGraph() {
  if (exec_)
    cuGraphExecDestroy(exec_);
  if (graph_)
    cuGraphDestroy(graph_);
  if (stream_)
    cuStreamDestroy(stream_);
}

bool CapturedGraph::createStream(std::string &error) {
  error = cudaError(cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return error.empty();
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_)
    cuMemFree(ptr_);
}

bool DeviceBuffer::alloc(size_t bytes, std::string &error) {
  if (ptr_)
    cuMemFree(ptr_);
  ptr_ = 0;
  bytes_ = bytes;
  // Never a zero-byte allocation: an empty tensor still gets a valid pointer.
  error = cudaError(cuMemAlloc(&ptr_, std::max<size_t>(bytes, 16)), "cuMemAlloc");
  return error.empty();
}

bool DeviceBuffer::upload(const void *data, size_t bytes, std::string &error) {
  if (!alloc(bytes, error))
    return false;
  if (bytes)
    error = cudaError(cuMemcpyHtoD(ptr_, data, bytes), "cuMemcpyHtoD");
  return error.empty();
}

namespace {

template <typename T>
bool uploadVector(DeviceBuffer &buf, const std::vector<T> &v, std::string &error) {
  return buf.upload(v.data(), v.size() * sizeof(T), error);
}

/// Binds every param of the variant from the problem's values (scalars, flat
/// arrays, ragged token arrays flattened request after request).
bool bindParams(VariantOp variant, const ref::Problem &p, attnrt::ParamSet &set,
                std::vector<std::unique_ptr<DeviceBuffer>> &keep, std::string &error) {
  for (ParamOp param : variant.getBody().front().getOps<ParamOp>()) {
    std::string name = param.getSymName().str();
    bool isF32 = param.getType().isF32();
    attnrt::ParamType type = isF32 ? attnrt::ParamType::kF32 : attnrt::ParamType::kI32;
    if (param.getDomain() == ParamDomain::scalar) {
      auto it = p.params.scalars.find(name);
      if (it == p.params.scalars.end())
        continue; // the runtime applies the manifest's default
      if (isF32)
        set.setF32(name, static_cast<float>(it->second));
      else
        set.setI32(name, static_cast<int32_t>(it->second));
      continue;
    }
    std::vector<double> flat;
    if (param.getDomain() == ParamDomain::tokens) {
      auto it = p.params.tokens.find(name);
      if (it != p.params.tokens.end())
        for (const auto &perRequest : it->second)
          flat.insert(flat.end(), perRequest.begin(), perRequest.end());
    } else {
      auto it = p.params.arrays.find(name);
      if (it != p.params.arrays.end())
        flat = it->second;
    }
    keep.push_back(std::make_unique<DeviceBuffer>());
    if (isF32) {
      std::vector<float> v(flat.begin(), flat.end());
      if (!uploadVector(*keep.back(), v, error))
        return false;
    } else {
      std::vector<int32_t> v;
      for (double x : flat)
        v.push_back(static_cast<int32_t>(x));
      if (!uploadVector(*keep.back(), v, error))
        return false;
    }
    set.setArray(name, type, keep.back()->ptr(), static_cast<int64_t>(flat.size()));
  }
  return true;
}

/// The anchors' decode timing (shared/anchors/anchors.py): one CUDA graph
/// replaying `run` over options.graphSets copies of K and V, median over
/// options.timedReps replays, divided by the number of calls.
bool timeGraphOverCopies(attnrt::Runner &runner, const attnrt::DeviceTensors &t,
                         const attnrt::ParamSet &params, const DeviceBuffer &k,
                         const DeviceBuffer &v, const GpuRunOptions &options, GpuOutput &out,
                         std::string &error) {
  const int sets = options.graphSets;
  std::vector<std::unique_ptr<DeviceBuffer>> copies;
  std::vector<attnrt::DeviceTensors> tensors(sets, t);
  for (int i = 1; i < sets; ++i) {
    for (const DeviceBuffer *src : {&k, &v}) {
      copies.push_back(std::make_unique<DeviceBuffer>());
      if (!copies.back()->alloc(src->bytes(), error) ||
          (error = cudaError(cuMemcpyDtoD(copies.back()->ptr(), src->ptr(), src->bytes()),
                             "copy K/V set")).size())
        return false;
    }
    tensors[i].k = copies[copies.size() - 2]->ptr();
    tensors[i].v = copies.back()->ptr();
  }
  auto timeGraph = [&](double &perCallMs) {
    CapturedGraph graph;
    auto body = [&]() -> std::string {
      attnrt::Status st;
      for (int i = 0; i < sets && st.ok(); ++i)
        st = runner.run(tensors[i], params, graph.stream());
      return st.ok() ? std::string() : "attnrt (graph capture): " + st.toString();
    };
    return graph.capture(body, error) &&
           timeMedian(options.timedReps, graph.stream(), [&] { return graph.replay(); },
                      perCallMs, error, sets);
  };
  if (!timeGraph(out.graphMs))
    return false;
  if (!options.timeProgrammatic)
    return true;
  attnrt::Status st = runner.setProgrammaticLaunch(true);
  if (!st.ok()) {
    error = "attnrt: " + st.toString();
    return false;
  }
  bool ok = timeGraph(out.graphPdlMs);
  runner.setProgrammaticLaunch(false);
  return ok;
}

} // namespace

attnrt::BatchDesc batchOf(const LayoutData &d) {
  attnrt::BatchDesc batch;
  batch.batchSize = static_cast<int32_t>(d.kvLens.size());
  batch.qIndptr = d.qIndptr;
  batch.kvLens = d.kvLens;
  batch.kvIndptr = d.kvIndptr;
  batch.pageIndices = d.pageIndices;
  batch.numPages = d.numPages;
  batch.bsrRowOffsets = d.bsrRowOffsets;
  batch.bsrIndptr = d.bsrIndptr;
  batch.bsrIndices = d.bsrIndices;
  return batch;
}

attnrt::DeviceTensors tensorsOf(const LayoutData &d, CUdeviceptr q, CUdeviceptr k,
                                CUdeviceptr v, CUdeviceptr o, CUdeviceptr lse) {
  attnrt::DeviceTensors t;
  t.q = q;
  t.k = k;
  t.v = v;
  t.o = o;
  t.lse = lse;
  t.qStrideRow = d.qStrideRow;
  t.qStrideHead = d.qStrideHead;
  t.oStrideRow = d.oStrideRow;
  t.oStrideHead = d.oStrideHead;
  t.kvStridePage = d.kStridePage;
  t.kvStrideRow = d.kStrideRow;
  t.kvStrideHead = d.kStrideHead;
  t.vStridePage = d.vStridePage;
  t.vStrideRow = d.vStrideRow;
  t.vStrideHead = d.vStrideHead;
  return t;
}

bool runOnGpu(const attnrt::Module &module, VariantOp variant, const ref::Problem &p,
              const LayoutData &d, const GpuRunOptions &options, GpuOutput &out,
              std::string &error) {
  int64_t hq = variant.getNumQHeads(), dvo = variant.getHeadDimVo();
  DeviceBuffer q, k, v, o, lse;
  size_t oElems = static_cast<size_t>(d.totalQ * hq * dvo);
  size_t lseElems = static_cast<size_t>(d.totalQ * hq);
  if (!uploadVector(q, d.q, error) || !uploadVector(k, d.k, error) ||
      !uploadVector(v, d.v, error) || !o.alloc(oElems * 2, error) ||
      !lse.alloc(lseElems * 4, error))
    return false;
  // Poison: 0xFF bytes are NaN in bf16, f16 and f32; every element must be written.
  if ((error = cudaError(cuMemsetD8(o.ptr(), 0xFF, std::max<size_t>(oElems * 2, 16)),
                         "poison o")).size() ||
      (error = cudaError(cuMemsetD8(lse.ptr(), 0xFF, std::max<size_t>(lseElems * 4, 16)),
                         "poison lse")).size())
    return false;

  attnrt::ParamSet params;
  std::vector<std::unique_ptr<DeviceBuffer>> paramBuffers;
  if (!bindParams(variant, p, params, paramBuffers, error))
    return false;

  const attnrt::BatchDesc batch = batchOf(d);
  const attnrt::DeviceTensors t =
      tensorsOf(d, q.ptr(), k.ptr(), v.ptr(), o.ptr(), options.writeLse ? lse.ptr() : 0);

  attnrt::Runner runner(&module);
  attnrt::Status st = runner.forward(batch, t, params, nullptr, options.run);
  if (!st.ok()) {
    error = "attnrt: " + st.toString();
    return false;
  }
  if ((error = cudaError(cuCtxSynchronize(), "kernel execution")).size())
    return false;

  if (options.timedReps > 0) {
    auto timedRun = [&]() -> std::string {
      attnrt::Status rs = runner.run(t, params, nullptr);
      return rs.ok() ? std::string() : "attnrt (timed): " + rs.toString();
    };
    if (!timeMedian(options.timedReps, nullptr, timedRun, out.medianMs, error))
      return false;
    if (options.graphSets > 0 &&
        !timeGraphOverCopies(runner, t, params, k, v, options, out, error))
      return false;
  }

  out.o.resize(oElems);
  out.lse.resize(lseElems);
  if (oElems &&
      (error = cudaError(cuMemcpyDtoH(out.o.data(), o.ptr(), oElems * 2), "download o")).size())
    return false;
  if (lseElems &&
      (error = cudaError(cuMemcpyDtoH(out.lse.data(), lse.ptr(), lseElems * 4),
                         "download lse")).size())
    return false;
  return true;
}

} // namespace attn::gputest
