//===- MergeStates.cpp - The public two-state merge -----------------------===//
#include "attnrt/MergeStates.h"

#include "CudaUtil.h"
#include "Guard.h"

#include "attn_kernels/abi.h"

#include <algorithm>

namespace attnrt {

namespace {
Status mergeStatesImpl(const Module &module, const MergeStatesArgs &x, CUstream stream) {
  if (!module.loaded())
    return invalidArgument("mergeStates: the module is not loaded");
  const Manifest &m = module.manifest();
  if (m.normalize != Normalize::kSoftmax)
    return Status(StatusCode::kUnsupported,
                  "mergeStates: variant '" + m.variant +
                      "' has normalize = none: its outputs carry no log-sum-exp to merge by");
  const LoadedKernel *k = module.kernel(KernelKind::kMerge);
  if (!k)
    return Status(StatusCode::kUnsupported, "mergeStates: the module has no merge kernel");
  if (x.rows < 0)
    return invalidArgument("mergeStates: rows is " + std::to_string(x.rows) + ", must be >= 0");
  if (x.rows == 0)
    return Status::Ok();
  if (!x.oA || !x.lseA || !x.oB || !x.lseB || !x.oOut)
    return invalidArgument("mergeStates: o_a, lse_a, o_b, lse_b and o_out must be non-null");
  if (x.oStrideHead < m.headDimVO || x.oStrideRow < x.oStrideHead * m.numQHeads)
    return invalidArgument("mergeStates: o strides (row " + std::to_string(x.oStrideRow) +
                           ", head " + std::to_string(x.oStrideHead) +
                           ") overlap: need head >= head_dim_vo (" +
                           std::to_string(m.headDimVO) + ") and row >= head x heads");
  if (x.oStrideRow % 2 != 0 || x.oStrideHead % 2 != 0)
    return invalidArgument("mergeStates: o strides must be even (rows are read in pairs)");

  AttnMergeStatesArgs a{};
  a.o_a = reinterpret_cast<const void *>(static_cast<uintptr_t>(x.oA));
  a.lse_a = reinterpret_cast<const float *>(static_cast<uintptr_t>(x.lseA));
  a.o_b = reinterpret_cast<const void *>(static_cast<uintptr_t>(x.oB));
  a.lse_b = reinterpret_cast<const float *>(static_cast<uintptr_t>(x.lseB));
  a.o_out = reinterpret_cast<void *>(static_cast<uintptr_t>(x.oOut));
  a.lse_out = reinterpret_cast<float *>(static_cast<uintptr_t>(x.lseOut));
  a.o_stride_row = x.oStrideRow;
  a.o_stride_head = x.oStrideHead;
  a.rows = x.rows;

  const int threads = k->info.threads > 0 ? k->info.threads : 128;
  const int warps = std::max(1, threads / 32);
  const int64_t want = (x.rows * m.numQHeads + warps - 1) / warps;
  const int64_t cap = int64_t(module.numSMs()) * std::max(1, k->maxBlocksPerSM);
  const unsigned grid = static_cast<unsigned>(std::max<int64_t>(1, std::min(want, cap)));
  ScopedContext scope(module.context());
  void *args[] = {&a};
  ATTNRT_CU(cuLaunchKernel(k->function, grid, 1, 1, threads, 1, 1, 0, stream, args, nullptr));
  return Status::Ok();
}
} // namespace

Status mergeStates(const Module &module, const MergeStatesArgs &args, CUstream stream) {
  return guarded("mergeStates", [&] { return mergeStatesImpl(module, args, stream); });
}

} // namespace attnrt
