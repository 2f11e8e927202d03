//===- VariantBuilder.cpp - An example, re-laid-out, through the pipeline -===//
#include "VariantBuilder.h"

#include "attn/Frontend/LoadSpec.h"

#include "attn_kernels/abi.h"


#include <cmath>

namespace attn::gputest {

static void applyOverrides(VariantOp v, const Overrides &o) {
  mlir::MLIRContext *ctx = v.getContext();
  mlir::Builder b(ctx);
  if (o.layout) {
    KVLayout layout = *o.layout == ATTN_KV_PAGED         ? KVLayout::paged
                      : *o.layout == ATTN_KV_RAGGED      ? KVLayout::ragged
                      : *o.layout == ATTN_KV_BLOCK_SPARSE ? KVLayout::block_sparse
                                                          : KVLayout::contiguous;
    v.setKvLayoutAttr(KVLayoutAttr::get(ctx, layout));
    v.removePageSizeAttr();
    v.removeBlockQAttr();
    v.removeBlockKvAttr();
    if (layout == KVLayout::paged)
      v.setPageSizeAttr(b.getI64IntegerAttr(o.pageSize));
    if (layout == KVLayout::block_sparse) {
      v.setBlockQAttr(b.getI64IntegerAttr(o.blockQ));
      v.setBlockKvAttr(b.getI64IntegerAttr(o.blockKV));
    }
  }
  if (o.bf16)
    v.setDtypeAttr(mlir::TypeAttr::get(*o.bf16 ? mlir::Type(b.getBF16Type())
                                               : mlir::Type(b.getF16Type())));
  if (o.groupSize && *o.groupSize > 0 && v.getNumQHeads() % *o.groupSize == 0)
    v.setNumKvHeadsAttr(b.getI64IntegerAttr(v.getNumQHeads() / *o.groupSize));
  if (o.headDim) {
    v.setHeadDimQkAttr(b.getI64IntegerAttr(*o.headDim));
    v.setHeadDimVoAttr(b.getI64IntegerAttr(*o.headDim));
    // The default scale follows the head dim; an explicit one is kept.
    v.setScaleAttr(b.getF64FloatAttr(1.0 / std::sqrt(static_cast<double>(*o.headDim))));
  }
}

bool buildVariant(const std::string &path, const Overrides &o, BuiltVariant &out,
                  std::string &error) {
  out.context = std::make_unique<mlir::MLIRContext>();
  out.module = loadSpec(path, *out.context, error, [&](mlir::ModuleOp m) {
    auto variants = m.getOps<VariantOp>();
    if (!variants.empty())
      applyOverrides(*variants.begin(), o);
  });
  if (!out.module)
    return false;
  auto variants = out.module->getOps<VariantOp>();
  if (variants.empty()) {
    error = "no variant in " + path;
    return false;
  }
  out.op = *variants.begin();
  return true;
}

std::string configLabel(VariantOp v) {
  std::string layout = stringifyKVLayout(v.getKvLayout()).str();
  if (auto ps = v.getPageSize())
    layout += "(" + std::to_string(*ps) + ")";
  if (auto bq = v.getBlockQ())
    layout += "(" + std::to_string(*bq) + "," + std::to_string(*v.getBlockKv()) + ")";
  return std::string(v.getDtype().isBF16() ? "bf16" : "f16") + "/" + layout + "/" +
         std::to_string(v.getNumQHeads()) + ":" + std::to_string(v.getNumKvHeads());
}

} // namespace attn::gputest
