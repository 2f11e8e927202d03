//===- KernelConfig.h - The kernel_configs attribute of a variant -*- C++ -*-===//
//
// attn-select-kernels writes, and the CUDA emitter reads, one dictionary per
// entry point on the variant:
//
//   kernel_configs = {template = "sm80",
//                     prefill = {block_m = 128, block_n = 64, num_warps = 8, stages = 2},
//                     (+ rolled_hooks = true where the per-score hooks are large)
//                     decode  = {block_m = 16,  block_n = 64, num_warps = 4, stages = 3},
//                     merge   = {num_warps = 4}}
//
// Both sides go through these helpers so the attribute's spelling lives in one
// place.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTN_IR_KERNELCONFIG_H
#define ATTN_DIALECT_ATTN_IR_KERNELCONFIG_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include <optional>

namespace attn {

constexpr llvm::StringLiteral kKernelConfigsAttrName = "kernel_configs";

/// One entry point's template arguments. Fields a kind does not use (merge
/// has only num_warps) are 0.
struct KernelConfig {
  int64_t blockM = 0, blockN = 0, numWarps = 0, stages = 0;
  /// Per-score hooks in a rolled loop (config.cuh's ROLLED_HOOKS): less code
  /// to compile for variants with large hooks, a few moves per score more.
  bool rolledHooks = false;
  int64_t threads() const { return numWarps * 32; }
  /// Same tiles, warps and stages (the candidate lists carry no hook choice).
  bool sameTiles(const KernelConfig &o) const {
    return blockM == o.blockM && blockN == o.blockN && numWarps == o.numWarps &&
           stages == o.stages;
  }
  bool operator==(const KernelConfig &o) const {
    return sameTiles(o) && rolledHooks == o.rolledHooks;
  }
};

/// The dictionary attribute for `configs`, keyed by kind ("prefill",
/// "decode", "merge"), plus the template family name.
mlir::DictionaryAttr buildKernelConfigsAttr(
    mlir::MLIRContext *ctx, llvm::StringRef templateFamily,
    llvm::ArrayRef<std::pair<llvm::StringRef, KernelConfig>> configs);

/// The config of entry point `kind` ("prefill", "decode", "merge"), or
/// nullopt when the variant has not been through attn-select-kernels or the
/// entry is malformed.
std::optional<KernelConfig> getKernelConfig(VariantOp variant, llvm::StringRef kind);

/// The template family ("sm80"), or empty.
llvm::StringRef getKernelTemplateFamily(VariantOp variant);

/// Replaces the config of entry point `kind` ("prefill", "decode") in the
/// variant's kernel_configs attribute.
void setKernelConfig(VariantOp variant, llvm::StringRef kind, const KernelConfig &config);

/// The configs worth trying for an entry point, fastest first (measured on the
/// H100, kernels-gen/README.md). attn-select-kernels records the first;
/// compileVariant moves to the next when ptxas reports a spill for it, since a
/// spill in the inner loop costs more than the smaller tile.
/// `rowBytes` is the widest of head_dim_qk / head_dim_vo times the element size.
std::vector<KernelConfig> prefillCandidates(int64_t rowBytes);
std::vector<KernelConfig> decodeCandidates(int64_t rowBytes, int64_t groupSize);

} // namespace attn

#endif
