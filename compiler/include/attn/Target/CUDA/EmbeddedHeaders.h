//===- EmbeddedHeaders.h - The kernel templates, compiled into attnc -*- C++ -*-===//
//
// kernels-gen/include/** is embedded at build time (embed_headers.py), so
// attnc hands the templates to NVRTC from memory and works from any
// directory, and --emit=cuda --inline-templates can print a TU that needs no
// template headers at all.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_CUDA_EMBEDDEDHEADERS_H
#define ATTN_TARGET_CUDA_EMBEDDEDHEADERS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace attn::target {

struct EmbeddedHeader {
  llvm::StringRef name;  ///< include path, e.g. "attn_kernels/abi.h"
  llvm::StringRef text;
};

llvm::ArrayRef<EmbeddedHeader> embeddedKernelHeaders();

/// The header included as `name`, or null.
const EmbeddedHeader *findEmbeddedHeader(llvm::StringRef name);

/// Hex SHA-256 over every embedded header's name and bytes (part of the
/// compile cache key: new templates must not hit old cubins).
const std::string &embeddedHeadersDigest();

/// Replaces each `#include "X"` of `source` that names an embedded header
/// (as given, or relative to the including header's folder) by that header's
/// text, recursively and once per header (they all have include guards or
/// #pragma once). Other includes are kept.
std::string inlineEmbeddedIncludes(llvm::StringRef source);

} // namespace attn::target

#endif
