//===- VariantDesc.h - What the emitter and manifest need of a variant -*- C++ -*-===//
//
// A plain-data summary of a lowered variant: its config, the byte layout of
// its Params blob and its entry points. Built once from the VariantOp, then
// read by the TU printer, the manifest writer and the header writer, so the
// three cannot disagree on an offset or a name.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_CUDA_VARIANTDESC_H
#define ATTN_TARGET_CUDA_VARIANTDESC_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/IR/KernelConfig.h"

#include <optional>
#include <string>
#include <vector>

namespace attn::target {

/// Every Params field is one 8-byte slot (scalars are widened, arrays are
/// device pointers), so the blob's layout is the same on every host ABI.
constexpr int64_t kParamSlotBytes = 8;

struct ParamSlot {
  std::string name;      ///< the .attn name (manifest)
  std::string field;     ///< the C++ field name in Params (mangled if needed)
  bool isFloat = false;  ///< f32, else i32
  ParamDomain domain = ParamDomain::scalar;
  int64_t offset = 0;    ///< byte offset in the Params blob
  /// The default as a JSON number, for scalars that have one.
  std::optional<std::string> defaultJson;
};

struct EntryPoint {
  std::string kind;        ///< "prefill", "decode", "merge"
  std::string symbol;      ///< attn_<variant>_<kind>
  std::string smemSymbol;  ///< attn_<variant>_<kind>_smem_bytes; empty for merge
  KernelConfig config;
};

struct VariantDesc {
  std::string name;
  std::string genNamespace;  ///< attn_gen_<variant>
  std::string dtype;         ///< "bf16" or "f16"
  int64_t headDimQK = 0, headDimVO = 0, numQHeads = 0, numKVHeads = 0, groupSize = 0;
  std::string kvLayout;      ///< contiguous | ragged | paged | block_sparse
  int64_t pageSize = 0, blockQ = 0, blockKV = 0;
  bool softmax = true;
  double scale = 0;
  std::vector<ParamSlot> params;  ///< in declaration order; slot 0 is not listed
  int64_t paramsBytes = 0;
  std::vector<EntryPoint> kernels;  ///< prefill, decode, merge
  /// The tile classifier as the manifest's "tile_classifier" program
  /// (ClassifierProgram.h), indented for the manifest; empty when the variant
  /// has no classifier or it cannot be encoded (then `classifierProgramError`
  /// says why).
  std::string classifierProgram;
  std::string classifierProgramError;
};

/// Summarizes `variant`, which must have been through attn-select-kernels.
bool describeVariant(VariantOp variant, VariantDesc &desc, std::string &error);

} // namespace attn::target

#endif
