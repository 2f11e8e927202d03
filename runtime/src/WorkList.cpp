//===- WorkList.cpp - Batch -> AttnWorkItems and AttnMergeItems -----------===//
//
// The policy (which kernel, whether and how to split keys, item order) is
// deliberately simple and lives only here; the next issue's planner replaces
// it with cost-based scheduling from the tile classifier.
//
//===----------------------------------------------------------------------===//
#include "attnrt/WorkList.h"

#include "Guard.h"

#include <algorithm>
#include <climits>
#include <numeric>

namespace attnrt {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// Per-request query tile: how many query rows one item covers.
int64_t rowsPerItem(const Manifest &m, KernelKind kind, const KernelInfo &k,
                    int32_t qLen) {
  if (kind == KernelKind::kDecode)
    return qLen; // the whole request's queries in one tile (checked by chooseKernel)
  return k.blockM / m.groupSize;
}

} // namespace

Status chooseKernel(const Manifest &m, const BatchInfo &info, const PlanOptions &opts,
                    KernelKind *kind) {
  const KernelInfo *prefill = m.kernel(KernelKind::kPrefill);
  const KernelInfo *decode = m.kernel(KernelKind::kDecode);
  // The first request a decode tile cannot hold, if any.
  int64_t tooLong = -1;
  if (decode)
    for (size_t b = 0; b < info.qLens.size() && tooLong < 0; ++b)
      if (int64_t(info.qLens[b]) * m.groupSize > decode->blockM)
        tooLong = static_cast<int64_t>(b);

  auto decodeError = [&]() {
    return Status(StatusCode::kUnsupported,
                  "request " + std::to_string(tooLong) + " has q_len " +
                      std::to_string(info.qLens[tooLong]) + ": q_len x group (" +
                      std::to_string(int64_t(info.qLens[tooLong]) * m.groupSize) +
                      ") exceeds the decode kernel's block_m " +
                      std::to_string(decode->blockM));
  };

  switch (opts.forceKernel) {
  case KernelKind::kPrefill:
    if (!prefill)
      return Status(StatusCode::kUnsupported, "the module has no prefill kernel");
    *kind = KernelKind::kPrefill;
    break;
  case KernelKind::kDecode:
    if (!decode)
      return Status(StatusCode::kUnsupported, "the module has no decode kernel");
    if (tooLong >= 0)
      return decodeError();
    *kind = KernelKind::kDecode;
    break;
  case KernelKind::kMerge: // automatic
    if (decode && tooLong < 0) {
      *kind = KernelKind::kDecode;
    } else if (prefill) {
      *kind = KernelKind::kPrefill;
    } else {
      return Status(StatusCode::kUnsupported,
                    decodeError().message() + ", and the module has no prefill kernel");
    }
    break;
  }
  const KernelInfo *k = m.kernel(*kind);
  if (*kind == KernelKind::kPrefill && k->blockM < m.groupSize)
    return Status(StatusCode::kUnsupported,
                  "the prefill kernel's block_m " + std::to_string(k->blockM) +
                      " is smaller than the group size " + std::to_string(m.groupSize));
  return Status::Ok();
}

static Status buildWorkListImpl(const Manifest &m, const BatchInfo &info, const PlanOptions &opts,
                     WorkList *out) {
  if (!out)
    return invalidArgument("buildWorkList: null output");
  if (info.qLens.size() != info.kvLens.size() ||
      info.qIndptr.size() != info.qLens.size() + 1)
    return invalidArgument("buildWorkList: the batch info is not validated");
  WorkList wl;
  ATTNRT_RETURN_IF_ERROR(chooseKernel(m, info, opts, &wl.kernel));
  const KernelInfo &k = *m.kernel(wl.kernel);
  wl.kernelInfo = &k;
  const int64_t B = static_cast<int64_t>(info.qLens.size());
  const int64_t H = m.numKVHeads, G = m.groupSize;

  // Items before any split: every (request, kv head, query tile).
  int64_t baseItems = 0;
  for (int64_t b = 0; b < B; ++b)
    if (info.qLens[b] > 0)
      baseItems += ceilDiv(info.qLens[b], rowsPerItem(m, wl.kernel, k, info.qLens[b])) * H;

  // Split decision. Chunks are a multiple of block_n so each chunk's tiles
  // start where the unsplit kernel's would (and of block_kv for block-sparse,
  // so no key block straddles two chunks).
  int64_t align = k.blockN;
  if (m.kvLayout == KvLayout::kBlockSparse)
    align = std::lcm<int64_t>(align, m.blockKV);
  int64_t chunk = 0; // 0: no split
  const bool canSplit = !opts.noSplit && m.kernel(KernelKind::kMerge) != nullptr;
  if (!opts.noSplit && opts.kvChunk > 0) {
    if (!m.kernel(KernelKind::kMerge))
      return Status(StatusCode::kUnsupported,
                    "a KV split was requested but the module has no merge kernel");
    chunk = roundUp(opts.kvChunk, align);
  } else if (canSplit && wl.kernel == KernelKind::kDecode && opts.numSMs > 0 &&
             baseItems > 0) {
    // The fair share of one item if ~target items spread the keys (x kv
    // heads) evenly. Split when the batch has too few items to fill the GPU,
    // or when one request is so long that its items would run long after the
    // rest (skew). Long requests get many chunks, short ones stay whole and
    // skip the merge.
    int64_t keys = 0, longest = 0;
    for (int64_t b = 0; b < B; ++b)
      if (info.qLens[b] > 0) {
        keys += info.kvLens[b];
        longest = std::max<int64_t>(longest, info.kvLens[b]);
      }
    int64_t target = std::max<int64_t>(1, int64_t(opts.splitTargetPerSM) * opts.numSMs);
    int64_t fair = roundUp(std::max<int64_t>(1, ceilDiv(keys * H, target)), align);
    if (baseItems < int64_t(opts.splitBelowPerSM) * opts.numSMs ||
        longest > int64_t(opts.skewRatio) * fair)
      chunk = fair;
  }

  int64_t slots = 0;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t qLen = info.qLens[b], kvLen = info.kvLens[b];
    if (qLen == 0)
      continue;
    const int64_t rows = rowsPerItem(m, wl.kernel, k, qLen);
    const int64_t chunks = chunk > 0 ? std::max<int64_t>(1, ceilDiv(kvLen, chunk)) : 1;
    for (int64_t q0 = 0, q1; q0 < qLen; q0 = q1) {
      q1 = std::min(qLen, q0 + rows);
      // Block-sparse kernels read one query block's key list per item, so an
      // item never straddles a block_q boundary.
      if (m.kvLayout == KvLayout::kBlockSparse && m.blockQ > 0)
        q1 = std::min(q1, (q0 / m.blockQ + 1) * m.blockQ);
      for (int64_t h = 0; h < H; ++h) {
        AttnWorkItem it{};
        it.request = static_cast<int32_t>(b);
        it.kv_head = static_cast<int32_t>(h);
        it.q_begin = static_cast<int32_t>(q0);
        it.q_end = static_cast<int32_t>(q1);
        if (chunks == 1) {
          it.kv_begin = 0;
          it.kv_end = static_cast<int32_t>(kvLen);
          it.partial_slot = -1;
          wl.items.push_back(it);
          continue;
        }
        // Slots of this (tile, kv head): chunk c, row r, group head g at
        // base + c * stride + (r - q0) * G + g.
        const int64_t stride = (q1 - q0) * G;
        const int64_t base = slots;
        slots += stride * chunks;
        if (slots > INT32_MAX)
          return Status(StatusCode::kUnsupported, "the split needs more than 2^31-1 partial slots");
        for (int64_t c = 0; c < chunks; ++c) {
          it.kv_begin = static_cast<int32_t>(c * chunk);
          it.kv_end = static_cast<int32_t>(std::min(kvLen, (c + 1) * chunk));
          it.partial_slot = static_cast<int32_t>(base + c * stride);
          wl.items.push_back(it);
        }
        for (int64_t r = q0; r < q1; ++r)
          for (int64_t g = 0; g < G; ++g) {
            AttnMergeItem mi{};
            mi.q_row = static_cast<int32_t>(info.qIndptr[b] + r); // global row
            mi.head = static_cast<int32_t>(h * G + g);
            mi.request = static_cast<int32_t>(b);
            mi.first_slot = static_cast<int32_t>(base + (r - q0) * G + g);
            mi.slot_stride = static_cast<int32_t>(stride);
            mi.num_slots = static_cast<int32_t>(chunks);
            wl.merges.push_back(mi);
          }
      }
    }
    if (wl.items.size() > size_t(INT32_MAX))
      return Status(StatusCode::kUnsupported, "more than 2^31-1 work items");
  }
  wl.numPartialSlots = static_cast<int32_t>(slots);
  wl.kvChunk = wl.merges.empty() ? 0 : static_cast<int32_t>(chunk);

  // Longest first: the persistent CTAs pick items in order, so a long item
  // started last would leave the rest of the GPU idle (the skewed-decode
  // case). Stable, so equal items keep their (request, tile, head) locality.
  std::stable_sort(wl.items.begin(), wl.items.end(),
                   [](const AttnWorkItem &a, const AttnWorkItem &b) {
                     // Tiles are padded to block_m rows, so keys are the cost.
                     return a.kv_end - a.kv_begin > b.kv_end - b.kv_begin;
                   });
  *out = std::move(wl);
  return Status::Ok();
}

Status buildWorkList(const Manifest &m, const BatchInfo &info, const PlanOptions &opts,
                     WorkList *out) {
  return guarded("buildWorkList", [&] { return buildWorkListImpl(m, info, opts, out); });
}

} // namespace attnrt
