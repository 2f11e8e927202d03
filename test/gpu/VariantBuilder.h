//===- VariantBuilder.h - An example, re-laid-out, through the pipeline --*- C++ -*-===//
//
// The GPU tests run every example under every KV layout and dtype, so they
// take the example's spec and override its layout / dtype / heads on the IR
// right after MLIRGen (the same variant with another config), then run the
// attnc pipeline exactly as `attnc compile` does.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_GPU_VARIANTBUILDER_H
#define ATTN_TEST_GPU_VARIANTBUILDER_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <optional>
#include <string>

namespace attn::gputest {

struct Overrides {
  std::optional<int> layout;       ///< ATTN_KV_* code
  int64_t pageSize = 16;           ///< with ATTN_KV_PAGED
  int64_t blockQ = 64, blockKV = 64; ///< with ATTN_KV_BLOCK_SPARSE
  std::optional<bool> bf16;
  std::optional<int64_t> groupSize;  ///< keeps num_q_heads; num_kv_heads = num_q_heads / this
  std::optional<int64_t> headDim;    ///< sets both head_dim_qk and head_dim_vo
};

struct BuiltVariant {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  VariantOp op;
};

/// Parses `path`, applies `o`, runs the pipeline. False with a message on error.
bool buildVariant(const std::string &path, const Overrides &o, BuiltVariant &out,
                  std::string &error);

/// "bf16/paged(16)/32:8"-style label of a built variant's config.
std::string configLabel(VariantOp v);

} // namespace attn::gputest

#endif
