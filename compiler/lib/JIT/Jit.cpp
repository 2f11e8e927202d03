//===- Jit.cpp - A .attn source to a loadable image, in-process -----------===//
//
// The same steps as attnc's Driver.cpp + Codegen.cpp (check, MLIRGen,
// attn-verify-config, the pipeline, compileVariant with the PTX kept so the
// cache entry is the one `attnc compile` reads and writes), with the
// diagnostics rendered into a string instead of stderr.
//
//===----------------------------------------------------------------------===//
#include "attn/JIT/Jit.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Frontend/MLIRGen.h"
#include "attn/Frontend/SourceDiagnostics.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn/Target/NVRTC/NVRTC.h"
#include "attn/dsl/Diagnostics.h"
#include "attn/dsl/Frontend.h"
#include "attn/dsl/SourceFile.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace attn::jit {

std::string archForDevice(int major, int minor) {
  std::string base = "sm_" + std::to_string(major) + std::to_string(minor);
  if (target::isSupportedArch(base + "a"))
    return base + "a";
  if (target::isSupportedArch(base))
    return base;
  return "";
}

namespace {

VariantOp selectVariant(mlir::ModuleOp module, const std::string &name,
                        const std::string &filename, std::string &error) {
  std::vector<VariantOp> all;
  for (auto v : module.getOps<VariantOp>())
    all.push_back(v);
  if (name.empty()) {
    if (all.size() == 1)
      return all.front();
    error = filename + ": error: " +
            (all.empty() ? std::string("the source defines no variant")
                         : "the source defines " + std::to_string(all.size()) +
                               " variants; choose one with the variant option");
    return nullptr;
  }
  for (auto v : all)
    if (v.getSymName() == name)
      return v;
  error = filename + ": error: no variant named '" + name + "' in this source";
  return nullptr;
}

} // namespace

JitError compileSource(std::string_view source, const std::string &filename,
                       const JitOptions &options, JitArtifact &out, std::string &diagnostics) {
  diagnostics.clear();
  if (!target::isSupportedArch(options.arch)) {
    diagnostics = "attnc does not compile for '" + options.arch + "' (supported:";
    for (llvm::StringRef a : target::supportedArchs())
      diagnostics += " " + a.str();
    diagnostics += ")";
    return JitError::kUnsupportedArch;
  }

  dsl::SourceFile file(filename, std::string(source));
  dsl::DiagnosticEngine diags(file);
  dsl::Module ast = dsl::parseAndCheck(file, diags);
  if (diags.hasErrors()) {
    diagnostics = diags.render();
    return JitError::kUserError;
  }

  mlir::MLIRContext context;
  std::string rendered;
  llvm::raw_string_ostream os(rendered);
  SourceDiagnosticHandler handler(context, file, os);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(context, ast, file);
  if (!module) {
    diagnostics = "MLIRGen failed: " + os.str();
    return JitError::kInternal;
  }
  // Configuration errors are the user's; a failure in the pipeline after
  // them is ours (as in attnc).
  mlir::PassManager verify(&context);
  verify.nest<VariantOp>().addPass(createAttnVerifyConfig());
  if (mlir::failed(verify.run(*module))) {
    diagnostics = os.str();
    return JitError::kUserError;
  }
  mlir::PassManager pm(&context);
  buildAttnPipeline(pm);
  if (mlir::failed(pm.run(*module))) {
    diagnostics = "the attn pass pipeline failed: " + os.str();
    return JitError::kInternal;
  }
  VariantOp variant = selectVariant(*module, options.variant, filename, diagnostics);
  if (!variant)
    return JitError::kUserError;

  std::string includeDir;
  if (!target::findCudaIncludeDir(includeDir, diagnostics))
    return JitError::kNoCudaHeaders;
  target::CompileOptions co;
  co.archs = {options.arch};
  co.keepPTX = true; // as attnc: one cache entry serves every --emit form
  co.useCache = options.useCache;
  co.cacheDir = options.cacheDir;
  target::CompiledVariant compiled;
  if (!target::compileVariant(variant, co, compiled, diagnostics))
    return JitError::kInternal;
  if (compiled.artifacts.empty()) {
    diagnostics = "NVRTC returned no artifact";
    return JitError::kInternal;
  }
  const target::ArchArtifact &a = compiled.artifacts.front();
  out.variant = compiled.variant;
  out.arch = a.arch;
  out.image = a.cubin;
  out.manifestJson = a.manifestJson;
  out.fromCache = compiled.fromCache;
  return JitError::kNone;
}

} // namespace attn::jit
