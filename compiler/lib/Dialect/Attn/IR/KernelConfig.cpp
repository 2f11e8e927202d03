//===- KernelConfig.cpp - The kernel_configs attribute of a variant -------===//
#include "attn/Dialect/Attn/IR/KernelConfig.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace attn {

DictionaryAttr buildKernelConfigsAttr(
    MLIRContext *ctx, StringRef templateFamily,
    ArrayRef<std::pair<StringRef, KernelConfig>> configs) {
  Builder b(ctx);
  SmallVector<NamedAttribute> entries;
  entries.push_back(b.getNamedAttr("template", b.getStringAttr(templateFamily)));
  for (const auto &[kind, c] : configs) {
    SmallVector<NamedAttribute> fields;
    // Only the fields a kind uses: merge has no tiles.
    if (c.blockM)
      fields.push_back(b.getNamedAttr("block_m", b.getI64IntegerAttr(c.blockM)));
    if (c.blockN)
      fields.push_back(b.getNamedAttr("block_n", b.getI64IntegerAttr(c.blockN)));
    fields.push_back(b.getNamedAttr("num_warps", b.getI64IntegerAttr(c.numWarps)));
    if (c.stages)
      fields.push_back(b.getNamedAttr("stages", b.getI64IntegerAttr(c.stages)));
    if (c.rolledHooks)
      fields.push_back(b.getNamedAttr("rolled_hooks", b.getBoolAttr(true)));
    entries.push_back(b.getNamedAttr(kind, b.getDictionaryAttr(fields)));
  }
  return b.getDictionaryAttr(entries);
}

std::optional<KernelConfig> getKernelConfig(VariantOp variant, StringRef kind) {
  auto all = variant->getAttrOfType<DictionaryAttr>(kKernelConfigsAttrName);
  if (!all)
    return std::nullopt;
  auto dict = all.getAs<DictionaryAttr>(kind);
  if (!dict)
    return std::nullopt;
  auto field = [&](StringRef name) -> int64_t {
    auto attr = dict.getAs<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  KernelConfig c{field("block_m"), field("block_n"), field("num_warps"), field("stages")};
  auto rolled = dict.getAs<BoolAttr>("rolled_hooks");
  c.rolledHooks = rolled && rolled.getValue();
  if (c.numWarps <= 0)
    return std::nullopt;
  return c;
}

StringRef getKernelTemplateFamily(VariantOp variant) {
  auto all = variant->getAttrOfType<DictionaryAttr>(kKernelConfigsAttrName);
  if (!all)
    return {};
  auto family = all.getAs<StringAttr>("template");
  return family ? family.getValue() : StringRef();
}

void setKernelConfig(VariantOp variant, StringRef kind, const KernelConfig &config) {
  auto all = variant->getAttrOfType<DictionaryAttr>(kKernelConfigsAttrName);
  SmallVector<std::pair<StringRef, KernelConfig>> configs;
  for (StringRef k : {"prefill", "decode", "merge"}) {
    if (k == kind)
      configs.push_back({k, config});
    else if (auto c = getKernelConfig(variant, k))
      configs.push_back({k, *c});
  }
  StringRef family = all ? getKernelTemplateFamily(variant) : StringRef("sm80");
  variant->setAttr(kKernelConfigsAttrName,
                   buildKernelConfigsAttr(variant.getContext(), family, configs));
}

std::vector<KernelConfig> prefillCandidates(int64_t rowBytes) {
  // Rows of <= 256 bytes (d <= 128 in 16-bit types): 32 rows per warp with a
  // narrow key tile reaches the most TFLOP/s (H100 causal 4x4096: 297 at 3
  // stages, 295 at 2) but sits at 255 registers, so heavy hooks can push it
  // over; the 2-stage one sometimes fits where the 3-stage one spills. 16 rows
  // per warp (265) never spilled.
  if (rowBytes <= 256)
    return {{128, 32, 4, 3}, {128, 32, 4, 2}, {128, 64, 8, 2}, {64, 64, 4, 2}, {64, 32, 4, 2}};
  // Wide rows (d = 192, 256): the O accumulator alone is d_vo / 2 registers
  // per thread at 16 rows per warp.
  return {{64, 64, 4, 2}, {64, 32, 4, 2}, {64, 32, 4, 3}};
}

std::vector<KernelConfig> decodeCandidates(int64_t rowBytes, int64_t groupSize) {
  // 16 packed rows (32 for GQA groups above 16, the template's maximum); the
  // warps split each key tile, 16 keys or more each.
  int64_t m = groupSize > 16 ? 32 : 16;
  // Rows of <= 256 bytes (d <= 128 in 16 bits): 4 warps x 64 keys first.
  // Measured on the H200 (bench/RESULTS.md, run 6) against {m, 32, 2, 3}:
  // 1 x 16384 decode 1827 vs 1134 GB/s, skewed mixes +3-8 %, 64 x 4096
  // within 1 %: with the planner's fused merge, fewer and larger CTAs keep
  // more bytes in flight per SM and merge faster.
  if (rowBytes <= 256)
    return {{m, 64, 4, 3}, {m, 32, 2, 3}, {m, 128, 8, 2}, {m, 64, 4, 2}};
  return {{m, 32, 2, 3}, {m, 32, 2, 4}, {m, 64, 4, 2}, {m, 128, 8, 2}};
}

} // namespace attn
