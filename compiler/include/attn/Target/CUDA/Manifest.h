//===- Manifest.h - The JSON beside every artifact --------------*- C++ -*-===//
#ifndef ATTN_TARGET_CUDA_MANIFEST_H
#define ATTN_TARGET_CUDA_MANIFEST_H

#include "attn/Target/CUDA/VariantDesc.h"

#include <string>

namespace attn::target {

/// The threads of the merge kernel when its config does not say (the
/// contract's default, docs/codegen.md section 3).
constexpr int64_t kDefaultMergeThreads = 128;

/// docs/codegen.md section 3, for `desc`'s artifact for `arch` named
/// `artifact`. Keys in a fixed order, strings escaped, one trailing newline.
std::string renderManifest(const VariantDesc &desc, llvm::StringRef arch,
                           llvm::StringRef artifact);

/// `text` as a JSON string literal (quotes included).
std::string jsonString(llvm::StringRef text);

} // namespace attn::target

#endif
