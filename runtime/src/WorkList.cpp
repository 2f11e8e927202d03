//===- WorkList.cpp - Batch -> AttnWorkItems and AttnMergeItems -----------===//
//
// The policy (which kernel, whether and how to split keys, which CTA runs
// what) lives only here; WorkList.h describes it.
//
//===----------------------------------------------------------------------===//
#include "attnrt/WorkList.h"

#include "Guard.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>
#include <queue>
#include <string>

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

int64_t TileCounter::countTiles(const AttnWorkItem &item, const BatchInfo &, int,
                                int blockN) const {
  return ceilDiv(std::max<int64_t>(0, int64_t(item.kv_end) - item.kv_begin), blockN);
}

// Mirrors classify_packed (tile_schedule.cuh): over the group's heads when
// the classifier reads the head, empty only if empty for all, full only if
// full for all.
int ClassifierTileCounter::classifyPacked(const AttnWorkItem &it, const BatchInfo &info,
                                          int q0, int q1, int k0, int k1) const {
  const int b = it.request, G = c_.groupSize();
  const int qLen = info.qLens[b], kvLen = info.kvLens[b];
  if (!c_.readsHead() || G <= 1)
    return c_.classify(q0, q1, k0, k1, it.kv_head * G, it.kv_head, b, qLen, kvLen);
  bool any = false, allFull = true;
  for (int g = 0; g < G; ++g) {
    const int c = c_.classify(q0, q1, k0, k1, it.kv_head * G + g, it.kv_head, b, qLen, kvLen);
    any |= c != kTileEmpty;
    allFull &= c == kTileFull;
  }
  return !any ? kTileEmpty : (allFull ? kTileFull : kTilePartial);
}

int64_t ClassifierTileCounter::countRange(const AttnWorkItem &it, const BatchInfo &info, int q0,
                                          int q1, int k0, int k1, int blockN) const {
  const int64_t tiles = ceilDiv(int64_t(k1) - k0, blockN);
  if (tiles <= 0)
    return 0;
  const int c = classifyPacked(it, info, q0, q1, k0, k1 - 1);
  if (c == kTileEmpty)
    return 0;
  if (c == kTileFull || tiles == 1)
    return tiles;
  const int mid = static_cast<int>(k0 + (tiles / 2) * int64_t(blockN));
  return countRange(it, info, q0, q1, k0, mid, blockN) +
         countRange(it, info, q0, q1, mid, k1, blockN);
}

int64_t ClassifierTileCounter::countTiles(const AttnWorkItem &it, const BatchInfo &info, int,
                                          int blockN) const {
  const int qLen = info.qLens[it.request], kvLen = info.kvLens[it.request];
  const int q0 = kvLen - qLen + it.q_begin, q1 = kvLen - qLen + it.q_end - 1;
  return countRange(it, info, q0, q1, it.kv_begin, it.kv_end, blockN);
}

namespace {

// One (request, query tile, kv head) before any split.
struct BaseItem {
  AttnWorkItem item;
  int64_t cost = 0;    // tiles + overhead over all its keys
  int64_t chunk = 0;   // keys per chunk when split, else 0
};

struct Planner {
  const Manifest &m;
  const BatchInfo &info;
  const PlanOptions &opts;
  const KernelInfo &k;
  KernelKind kind;
  TileCounter dense;
  const TileCounter &counter;
  int64_t align = 1;

  Planner(const Manifest &m, const BatchInfo &info, const PlanOptions &opts,
          const KernelInfo &k, KernelKind kind)
      : m(m), info(info), opts(opts), k(k), kind(kind),
        counter(opts.tiles ? *opts.tiles : dense) {
    // Chunks are a multiple of block_n so each chunk's tiles start where the
    // unsplit kernel's would (and of block_kv for block-sparse, so no key
    // block straddles two chunks).
    align = k.blockN;
    if (m.kvLayout == KvLayout::kBlockSparse)
      align = std::lcm<int64_t>(align, m.blockKV);
  }

  int64_t cost(const AttnWorkItem &it) const {
    return counter.countTiles(it, info, k.blockM, k.blockN) + opts.itemOverheadTiles;
  }

  std::vector<BaseItem> baseItems() const {
    std::vector<BaseItem> out;
    const int64_t B = static_cast<int64_t>(info.qLens.size()), H = m.numKVHeads;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t qLen = info.qLens[b], kvLen = info.kvLens[b];
      if (qLen == 0)
        continue;
      const int64_t rows = rowsPerItem(m, kind, k, static_cast<int32_t>(qLen));
      for (int64_t q0 = 0, q1; q0 < qLen; q0 = q1) {
        q1 = std::min(qLen, q0 + rows);
        // Block-sparse kernels read one query block's key list per item, so
        // an item never straddles a block_q boundary.
        if (m.kvLayout == KvLayout::kBlockSparse && m.blockQ > 0)
          q1 = std::min(q1, (q0 / m.blockQ + 1) * m.blockQ);
        int64_t headCost = -1; // the tile count is the same for every head unless it depends on it
        for (int64_t h = 0; h < H; ++h) {
          BaseItem bi;
          bi.item.request = static_cast<int32_t>(b);
          bi.item.kv_head = static_cast<int32_t>(h);
          bi.item.q_begin = static_cast<int32_t>(q0);
          bi.item.q_end = static_cast<int32_t>(q1);
          bi.item.kv_begin = 0;
          bi.item.kv_end = static_cast<int32_t>(kvLen);
          bi.item.partial_slot = -1;
          bi.item.merge_group = -1;
          bi.item.q_row0 = info.qIndptr[b];
          bi.item.q_len = static_cast<int32_t>(qLen);
          bi.item.kv_len = static_cast<int32_t>(kvLen);
          bi.item.kv_base = info.kvIndptr[b];
          if (headCost < 0 || counter.dependsOnKvHead())
            headCost = cost(bi.item);
          bi.cost = headCost;
          out.push_back(bi);
        }
      }
    }
    return out;
  }

  // Chunk sizes for a split with per-CTA target `target` (tile units).
  void autoSplit(std::vector<BaseItem> &base, double target) const {
    const double threshold = opts.splitAbove * target;
    const double chunkCost = std::max<double>(target / std::max(1, opts.splitGranularity),
                                              double(opts.minChunkTiles + opts.itemOverheadTiles));
    for (BaseItem &bi : base) {
      bi.chunk = 0;
      if (double(bi.cost) <= threshold)
        continue;
      const int64_t kvLen = bi.item.kv_end;
      const int64_t n = std::max<int64_t>(1, int64_t(std::ceil(double(bi.cost) / chunkCost)));
      const int64_t chunk = roundUp(std::max<int64_t>(1, ceilDiv(kvLen, n)), align);
      if (chunk < kvLen)
        bi.chunk = chunk;
    }
  }

  // Estimated item costs of a split decision (a chunk costs its share of
  // the item's tiles plus the per-item overhead): enough to compare plans.
  std::vector<int64_t> chunkCosts(const std::vector<BaseItem> &base) const {
    std::vector<int64_t> costs;
    for (const BaseItem &bi : base) {
      if (bi.chunk == 0) {
        costs.push_back(bi.cost);
        continue;
      }
      const int64_t chunks = ceilDiv(bi.item.kv_end, bi.chunk);
      const int64_t tiles = bi.cost - opts.itemOverheadTiles;
      for (int64_t c = 0; c < chunks; ++c)
        costs.push_back(ceilDiv(tiles, chunks) + opts.itemOverheadTiles);
    }
    return costs;
  }

  struct Counts {
    int64_t items = 0, slots = 0, merges = 0;
  };
  Counts count(const std::vector<BaseItem> &base) const {
    Counts c;
    for (const BaseItem &bi : base) {
      if (bi.chunk == 0) {
        ++c.items;
        continue;
      }
      const int64_t chunks = ceilDiv(bi.item.kv_end, bi.chunk);
      const int64_t rows = int64_t(bi.item.q_end - bi.item.q_begin) * m.groupSize;
      c.items += chunks;
      c.slots += chunks * rows;
      c.merges += rows;
    }
    return c;
  }
  bool fits(const Counts &c) const {
    return (opts.maxWorkItems <= 0 || c.items <= opts.maxWorkItems) &&
           (opts.maxPartialSlots <= 0 || c.slots <= opts.maxPartialSlots) &&
           (opts.maxMergeItems <= 0 || c.merges <= opts.maxMergeItems) &&
           c.items <= INT32_MAX && c.slots <= INT32_MAX && c.merges <= INT32_MAX;
  }
};

// The most loaded CTA after longest-first assignment of `costs` to `ctas`.
int64_t lptMaxLoad(std::vector<int64_t> costs, int64_t ctas) {
  std::sort(costs.begin(), costs.end(), std::greater<int64_t>());
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<int64_t>> heap;
  for (int64_t c = 0; c < ctas; ++c)
    heap.push(0);
  int64_t most = 0;
  for (int64_t c : costs) {
    int64_t l = heap.top() + c;
    heap.pop();
    heap.push(l);
    most = std::max(most, l);
  }
  return most;
}

Status capacityError(const char *what, int64_t need, int64_t cap) {
  return invalidArgument(std::string("capacity exceeded: the batch needs ") +
                         std::to_string(need) + " " + what + ", the plan holds " +
                         std::to_string(cap));
}

} // namespace

static Status buildWorkListImpl(const Manifest &m, const BatchInfo &info,
                                const PlanOptions &opts, WorkList *out) {
  if (!out)
    return invalidArgument("buildWorkList: null output");
  if (info.qLens.size() != info.kvLens.size() ||
      info.qIndptr.size() != info.qLens.size() + 1)
    return invalidArgument("buildWorkList: the batch info is not validated");
  if (opts.numCtas < 0 || opts.kvChunk < 0 || opts.deterministicChunk <= 0 ||
      opts.minChunkTiles < 1 || opts.itemOverheadTiles < 0 || !(opts.splitAbove >= 1.0) ||
      opts.splitGranularity < 1)
    return invalidArgument("buildWorkList: invalid planner options");
  WorkList wl;
  ATTNRT_RETURN_IF_ERROR(chooseKernel(m, info, opts, &wl.kernel));
  const KernelInfo &k = *m.kernel(wl.kernel);
  wl.kernelInfo = &k;
  Planner p(m, info, opts, k, wl.kernel);

  std::vector<BaseItem> base = p.baseItems();
  int64_t totalCost = 0;
  for (const BaseItem &bi : base)
    totalCost += bi.cost;
  const int64_t numCtas =
      opts.numCtas > 0 ? opts.numCtas
                       : std::max<int64_t>(1, static_cast<int64_t>(base.size()));

  // Split decision.
  const bool decode = wl.kernel == KernelKind::kDecode;
  if (opts.noSplit) {
    // nothing
  } else if (opts.kvChunk > 0) {
    const int64_t chunk = roundUp(opts.kvChunk, p.align);
    for (BaseItem &bi : base)
      bi.chunk = chunk < bi.item.kv_end ? chunk : 0;
  } else if (opts.deterministic) {
    if (decode) {
      const int64_t chunk = roundUp(opts.deterministicChunk, p.align);
      for (BaseItem &bi : base)
        bi.chunk = chunk < bi.item.kv_end ? chunk : 0;
    }
  } else if (decode && opts.numCtas > 0 && !base.empty()) {
    // Split items longer than the per-CTA average; back off (a coarser
    // split) until the result fits the capacities. Keep the split only if
    // it really lowers the most loaded CTA.
    const int64_t unsplitMax = lptMaxLoad(p.chunkCosts(base), numCtas);
    double target = double(totalCost) / double(numCtas);
    for (int attempt = 0; attempt < 40; ++attempt) {
      p.autoSplit(base, target);
      if (p.fits(p.count(base)))
        break;
      target *= 2;
    }
    if (double(lptMaxLoad(p.chunkCosts(base), numCtas)) > 0.95 * double(unsplitMax))
      for (BaseItem &bi : base)
        bi.chunk = 0;
  }
  Planner::Counts need = p.count(base);
  if (!p.fits(need)) {
    if (opts.maxWorkItems > 0 && need.items > opts.maxWorkItems)
      return capacityError("work items", need.items, opts.maxWorkItems);
    if (opts.maxPartialSlots > 0 && need.slots > opts.maxPartialSlots)
      return capacityError("partial-state slots", need.slots, opts.maxPartialSlots);
    if (opts.maxMergeItems > 0 && need.merges > opts.maxMergeItems)
      return capacityError("merge items", need.merges, opts.maxMergeItems);
    return Status(StatusCode::kUnsupported, "the plan needs more than 2^31-1 items or slots");
  }

  // Materialize items (with costs) and merge groups.
  std::vector<AttnWorkItem> items;
  std::vector<int64_t> costs;
  items.reserve(size_t(need.items));
  costs.reserve(size_t(need.items));
  int64_t slots = 0, maxChunk = 0;
  const int64_t G = m.groupSize;
  int32_t chunkedRequest = -1, chunkedQBegin = -1;
  std::vector<int64_t> chunkCosts;
  for (const BaseItem &bi : base) {
    if (bi.chunk == 0) {
      items.push_back(bi.item);
      costs.push_back(bi.cost);
      continue;
    }
    maxChunk = std::max(maxChunk, bi.chunk);
    const AttnWorkItem &it0 = bi.item;
    const int64_t kvLen = it0.kv_end, chunks = ceilDiv(kvLen, bi.chunk);
    // Slots of this (tile, kv head): chunk c, row r, group head g at
    // base + c * stride + (r - q0) * G + g.
    const int64_t stride = int64_t(it0.q_end - it0.q_begin) * G;
    const int64_t firstSlot = slots;
    slots += stride * chunks;
    const int32_t group = static_cast<int32_t>(wl.mergeGroupIndptr.empty()
                                                   ? 0
                                                   : wl.mergeGroupIndptr.size() - 1);
    if (wl.mergeGroupIndptr.empty())
      wl.mergeGroupIndptr.push_back(0);
    // The previous base item's chunks (same rows, the previous KV head) cost
    // the same unless the tile count depends on the head.
    const bool reuse = !p.counter.dependsOnKvHead() && chunkedRequest == it0.request &&
                       chunkedQBegin == it0.q_begin && chunkCosts.size() == size_t(chunks);
    chunkedRequest = it0.request;
    chunkedQBegin = it0.q_begin;
    chunkCosts.resize(size_t(chunks));
    for (int64_t c = 0; c < chunks; ++c) {
      AttnWorkItem it = it0;
      it.kv_begin = static_cast<int32_t>(c * bi.chunk);
      it.kv_end = static_cast<int32_t>(std::min(kvLen, (c + 1) * bi.chunk));
      it.partial_slot = static_cast<int32_t>(firstSlot + c * stride);
      it.merge_group = group;
      items.push_back(it);
      costs.push_back(reuse ? chunkCosts[size_t(c)] : p.cost(it));
      if (!reuse)
        chunkCosts[size_t(c)] = costs.back();
    }
    for (int64_t r = it0.q_begin; r < it0.q_end; ++r)
      for (int64_t g = 0; g < G; ++g) {
        AttnMergeItem mi{};
        mi.q_row = static_cast<int32_t>(info.qIndptr[it0.request] + r); // global row
        mi.head = static_cast<int32_t>(it0.kv_head * G + g);
        mi.request = it0.request;
        mi.first_slot = static_cast<int32_t>(firstSlot + (r - it0.q_begin) * G + g);
        mi.slot_stride = static_cast<int32_t>(stride);
        mi.num_slots = static_cast<int32_t>(chunks);
        wl.merges.push_back(mi);
      }
    wl.mergeGroupIndptr.push_back(static_cast<int32_t>(wl.merges.size()));
  }
  wl.numPartialSlots = static_cast<int32_t>(slots);
  wl.kvChunk = static_cast<int32_t>(maxChunk);

  // Longest processing time first onto the least loaded CTA: the most loaded
  // CTA ends at most one item above the average. Ties keep the enumeration
  // order (request, tile, head), so equal items stay together.
  std::vector<int32_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return costs[a] > costs[b]; });
  using Load = std::pair<int64_t, int32_t>; // (cost so far, cta)
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> heap;
  for (int64_t c = 0; c < numCtas; ++c)
    heap.push({0, static_cast<int32_t>(c)});
  std::vector<int32_t> ctaOf(items.size());
  std::vector<int64_t> ctaCount(size_t(numCtas), 0);
  wl.ctaCost.assign(size_t(numCtas), 0);
  for (int32_t i : order) {
    Load l = heap.top();
    heap.pop();
    ctaOf[i] = l.second;
    ++ctaCount[l.second];
    l.first += costs[i];
    wl.ctaCost[l.second] = l.first;
    wl.maxItemCost = std::max(wl.maxItemCost, costs[i]);
    heap.push(l);
  }
  // Group by CTA, each CTA's items in LPT order (longest first).
  wl.ctaIndptr.assign(size_t(numCtas) + 1, 0);
  for (int64_t c = 0; c < numCtas; ++c)
    wl.ctaIndptr[c + 1] = wl.ctaIndptr[c] + static_cast<int32_t>(ctaCount[c]);
  std::vector<int32_t> fill(wl.ctaIndptr.begin(), wl.ctaIndptr.end() - 1);
  wl.items.resize(items.size());
  for (int32_t i : order)
    wl.items[fill[ctaOf[i]]++] = items[i];
  *out = std::move(wl);
  return Status::Ok();
}

DeviceWorkList layOutForKernels(const WorkList &wl) {
  const int32_t ctas = wl.numCtas();
  DeviceWorkList d;
  AttnWorkItem none{};
  none.request = -1;
  none.partial_slot = -1;
  none.merge_group = -1;
  d.items.assign(size_t(ctas), none);
  d.ctaIndptr.assign(size_t(ctas) + 1, ctas);
  for (int32_t c = 0; c < ctas; ++c) {
    const int32_t b = wl.ctaIndptr[c], e = wl.ctaIndptr[c + 1];
    if (b < e)
      d.items[size_t(c)] = wl.items[size_t(b)];
    for (int32_t i = b + 1; i < e; ++i)
      d.items.push_back(wl.items[size_t(i)]);
    d.ctaIndptr[size_t(c) + 1] = static_cast<int32_t>(d.items.size());
  }
  return d;
}

Status buildWorkList(const Manifest &m, const BatchInfo &info, const PlanOptions &opts,
                     WorkList *out) {
  return guarded("buildWorkList", [&] { return buildWorkListImpl(m, info, opts, out); });
}

} // namespace attnrt
