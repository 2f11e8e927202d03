//===- Jit.h - A .attn source to a loadable image, in-process ---*- C++ -*-===//
//
// What `attnc compile --emit=cubin` does, as a function: parse and check the
// source, lower it, run the pipeline, NVRTC-compile it for one arch through
// the on-disk cache. attn_jit_compile (attn_jit.h) loads the result; tests
// and tools without a GPU stop here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_JIT_JIT_H
#define ATTN_JIT_JIT_H

#include <string>
#include <string_view>
#include <vector>

namespace attn::jit {

struct JitOptions {
  std::string arch = "sm_90a"; ///< one of attn::target::supportedArchs()
  std::string cacheDir;        ///< empty: $ATTNC_CACHE_DIR or ~/.cache/attnc
  bool useCache = true;
  std::string variant;         ///< empty: the file's only variant
};

struct JitArtifact {
  std::string variant;
  std::string arch;
  std::vector<char> image;  ///< the cubin
  std::string manifestJson; ///< its manifest (docs/codegen.md section 3)
  bool fromCache = false;
};

/// Why compileSource failed, as attn.h codes (the C entry returns them).
enum class JitError {
  kNone,
  kUserError,       ///< the source, the variant name: diagnostics say what
  kUnsupportedArch, ///< not an arch the back end compiles for
  kNoCudaHeaders,   ///< NVRTC cannot find the CUDA include directory
  kInternal,        ///< the compiler failed on a valid source
};

/// Compiles `source` (`filename` names it in diagnostics). On failure returns
/// the kind and, in `diagnostics`, clang-style diagnostics or a message.
JitError compileSource(std::string_view source, const std::string &filename,
                       const JitOptions &options, JitArtifact &out, std::string &diagnostics);

/// The arch compileSource should target on a compute capability major.minor
/// device: the arch-specific build when the back end has one ("sm_90a" on
/// 9.0), else sm_<major><minor>; empty when attnc supports none.
std::string archForDevice(int major, int minor);

} // namespace attn::jit

#endif
