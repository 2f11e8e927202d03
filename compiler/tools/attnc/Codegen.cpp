//===- Codegen.cpp - `attnc compile --emit=cuda|ptx|cubin|header` ---------===//
//
// Everything past the MLIR stage: prints the CUDA translation unit, or
// compiles it with NVRTC (through the disk cache) and writes PTX, cubins with
// their manifests, or the self-contained engine header. ptxas spills are
// always reported as warnings; --verbose adds the per-kernel resource report.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include "attn/Target/CUDA/Compile.h"
#include "attn/Target/NVRTC/NVRTC.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

namespace attnc {

namespace {

int writeFile(const std::string &path, llvm::StringRef bytes, bool binary) {
  if (path == "-") {
    llvm::outs() << bytes;
    return kOk;
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, binary ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text);
  if (ec) {
    reportError(path, fmt::format("cannot write output: {}", ec.message()));
    return kUserError;
  }
  os << bytes;
  os.close();
  if (os.has_error()) {
    reportError(path, fmt::format("cannot write output: {}", os.error().message()));
    os.clear_error();
    return kUserError;
  }
  return kOk;
}

/// Spills always warn; --verbose also prints the resource report per kernel.
void reportResources(const std::string &path, const attn::target::CompiledVariant &compiled,
                     bool verbose) {
  if (verbose)
    llvm::errs() << fmt::format("attnc: {}: {} ({} ms NVRTC)\n", compiled.variant,
                                compiled.fromCache ? "from the compile cache" : "compiled",
                                static_cast<int64_t>(compiled.compileMillis + 0.5));
  for (const attn::target::ArchArtifact &a : compiled.artifacts) {
    for (const attn::target::KernelResources &k : a.resources) {
      if (verbose && k.isEntry)
        llvm::errs() << fmt::format(
            "attnc: {} {}: {} registers, {} bytes static smem, {} bytes stack, "
            "{} bytes spill stores, {} bytes spill loads\n",
            a.arch, k.function, k.registers, k.sharedBytes, k.stackBytes, k.spillStores,
            k.spillLoads);
      if (k.spillBytes())
        llvm::errs() << fmt::format("{}: warning: {} spills registers on {} ({} bytes "
                                    "stored, {} bytes loaded)\n",
                                    path, k.function, a.arch, k.spillStores, k.spillLoads);
    }
    if (verbose && a.resources.empty())
      llvm::errs() << fmt::format("attnc: {}: ptxas reported no resources\n", a.arch);
  }
  for (const std::string &w : compiled.warnings)
    llvm::errs() << fmt::format("{}: warning: {}\n", path, w);
  if (verbose)
    for (const std::string &n : compiled.notes)
      llvm::errs() << fmt::format("attnc: {}\n", n);
}

/// -o foo.cubin with several archs: foo.sm_80.cubin, foo.sm_90a.cubin.
std::string cubinPath(const std::string &output, const std::string &variant,
                      const std::string &arch, bool severalArchs) {
  if (output.empty() || output == "-")
    return fmt::format("{}.{}.cubin", variant, arch);
  if (!severalArchs)
    return output;
  llvm::StringRef stem = output;
  stem.consume_back(".cubin");
  return fmt::format("{}.{}.cubin", stem.str(), arch);
}

int writeCubins(const std::string &path, attn::VariantOp variant,
                const attn::target::CompiledVariant &compiled, const std::string &output) {
  bool several = compiled.artifacts.size() > 1;
  for (const attn::target::ArchArtifact &a : compiled.artifacts) {
    std::string file = cubinPath(output, compiled.variant, a.arch, several);
    std::string manifest, error;
    if (!attn::target::writeManifest(variant, a.arch, llvm::sys::path::filename(file), manifest,
                                     error)) {
      reportError(path, fmt::format("internal error: {}", error));
      return kInternalError;
    }
    if (int rc = writeFile(file, llvm::StringRef(a.cubin.data(), a.cubin.size()), true))
      return rc;
    if (int rc = writeFile(file + ".manifest.json", manifest, false))
      return rc;
  }
  return kOk;
}

} // namespace

int runCodegen(attn::VariantOp variant, const std::string &path, const CodegenRequest &req) {
  std::string error;
  if (req.emit == "cuda") {
    attn::target::EmitOptions options;
    options.inlineTemplates = req.inlineTemplates;
    std::string source;
    if (!attn::target::emitCUDA(variant, options, source, error)) {
      reportError(path, fmt::format("internal error: {}", error));
      return kInternalError;
    }
    return writeFile(req.output, source, false);
  }

  // NVRTC needs the CUDA headers: a missing toolkit is the user's setup, not
  // a compiler bug, so it is reported before compiling.
  std::string includeDir;
  if (!attn::target::findCudaIncludeDir(includeDir, error)) {
    reportError(path, error);
    return kUserError;
  }
  attn::target::CompileOptions options;
  options.archs = req.archs;
  // Always keep the PTX: one cache entry then serves every --emit form.
  options.keepPTX = true;
  options.ptxasVerbose = req.verbose;
  options.useCache = !req.noCache;
  attn::target::CompiledVariant compiled;
  if (!attn::target::compileVariant(variant, options, compiled, error)) {
    reportError(path, fmt::format("internal error: {}", error));
    return kInternalError;
  }
  reportResources(path, compiled, req.verbose);
  if (req.verbose)
    for (const attn::target::ArchArtifact &a : compiled.artifacts)
      if (!a.ptxasLog.empty())
        llvm::errs() << fmt::format("attnc: ptxas report for {}:\n{}\n", a.arch, a.ptxasLog);

  if (req.emit == "ptx") {
    for (const attn::target::ArchArtifact &a : compiled.artifacts)
      if (!a.ptx.empty())
        return writeFile(req.output, a.ptx, false);
    reportError(path, "internal error: NVRTC returned no PTX");
    return kInternalError;
  }
  if (req.emit == "cubin")
    return writeCubins(path, variant, compiled, req.output);
  // header
  std::string header;
  if (!attn::target::writeEngineHeader(variant, compiled, header, error)) {
    reportError(path, fmt::format("internal error: {}", error));
    return kInternalError;
  }
  return writeFile(req.output, header, false);
}

} // namespace attnc
