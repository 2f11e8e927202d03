//===- Compile.h - attn dialect to CUDA C++, PTX and cubin ------*- C++ -*-===//
//
// The back end's public face, used by `attnc compile` and by in-process users
// (the GPU test harness, later the runtime's JIT entry). See docs/codegen.md
// for what the emitted code and the manifest contain.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_CUDA_COMPILE_H
#define ATTN_TARGET_CUDA_COMPILE_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Target/NVRTC/PtxasReport.h"

#include <string>
#include <vector>

namespace attn::target {

/// The attnc version recorded in manifests and cache keys.
constexpr const char *kAttncVersion = "0.1.0";

/// The CUDA architectures the back end accepts, oldest first.
llvm::ArrayRef<llvm::StringLiteral> supportedArchs();
bool isSupportedArch(llvm::StringRef arch);

struct EmitOptions {
  /// Print the extern "C" entry points (which instantiate the kernel
  /// templates). Without them the TU holds only Params, Variant and the hook
  /// helpers, and needs nothing but abi.h and the CUDA fp16/bf16 headers.
  bool entryPoints = true;
  /// Replace `#include "attn_kernels/..."` by the embedded headers' text, so
  /// the TU compiles with no -I for the templates (engines building it).
  bool inlineTemplates = false;
};


struct CompileOptions {
  /// Real architectures to build SASS for, e.g. {"sm_80", "sm_90a"}.
  std::vector<std::string> archs = {"sm_90a"};
  /// Also keep PTX (for the newest arch) so newer GPUs can JIT it.
  bool keepPTX = true;
  /// Ask ptxas for its resource report (registers, shared memory, spills).
  bool ptxasVerbose = false;
  /// On-disk cache; empty dir = $ATTNC_CACHE_DIR or ~/.cache/attnc.
  bool useCache = true;
  std::string cacheDir;
  /// Extra preprocessor definitions ("NAME" or "NAME=VALUE") for NVRTC; part
  /// of the cache key. For developer builds such as attn-bench --trace
  /// (ATTN_TRACE, kernels-gen/include/attn_kernels/trace.cuh).
  std::vector<std::string> defines;
};

struct ArchArtifact {
  std::string arch;         ///< "sm_90a"
  std::vector<char> cubin;  ///< SASS for `arch`
  std::string ptx;          ///< empty unless keepPTX and this is the newest arch
  std::string ptxasLog;     ///< the resource report when ptxasVerbose
  unsigned spillBytes = 0;  ///< spill stores + loads summed over all entry points
  std::vector<KernelResources> resources; ///< per function ptxas reported on
  std::string manifestJson; ///< the manifest for this artifact (docs/codegen.md section 3)
};

struct CompiledVariant {
  std::string variant;     ///< the variant's name
  std::string cudaSource;  ///< the generated translation unit
  std::vector<ArchArtifact> artifacts;
  bool fromCache = false;
  double compileMillis = 0; ///< wall time of the NVRTC part (0 when cached)
  std::vector<std::string> warnings; ///< e.g. the cache could not be written
  std::vector<std::string> notes;    ///< decisions worth a --verbose line (config fallbacks)
};

/// Prints the CUDA translation unit for `variant` (which must have been
/// through the attnc pipeline: it reads the tile classifier and the kernel
/// configs). Returns false with a message on anything it cannot emit.
bool emitCUDA(VariantOp variant, std::string &source, std::string &error);
bool emitCUDA(VariantOp variant, const EmitOptions &options, std::string &source,
              std::string &error);

/// Emits and compiles `variant` with NVRTC for every requested arch.
bool compileVariant(VariantOp variant, const CompileOptions &options,
                    CompiledVariant &result, std::string &error);

/// The manifest of `variant`'s artifact for `arch` (docs/codegen.md section
/// 3); `artifact` is the file name recorded in it.
bool writeManifest(VariantOp variant, llvm::StringRef arch, llvm::StringRef artifact,
                   std::string &json, std::string &error);

/// The self-contained engine header: the CUDA source with the templates
/// inlined, every arch's cubin, the PTX and the manifests, in namespace
/// `attn_<variant>`.
bool writeEngineHeader(VariantOp variant, const CompiledVariant &compiled,
                       std::string &header, std::string &error);

} // namespace attn::target

#endif
