//===- fuzz_pipeline.cpp - libFuzzer target: .attn through the back end ---===//
//
// parseAndCheck -> mlirGen -> attn-verify-config -> the attnc pipeline ->
// emitCUDA (the source only; NVRTC is not run), in the order and with the
// error split of attnc's Driver.cpp: front-end and verify-config errors are
// the user's; a null module from MLIRGen or a failing pipeline after
// verify-config passed is attnc's exit code 2, so here it aborts. A fresh
// MLIRContext per input keeps inputs independent.
//
//===----------------------------------------------------------------------===//
#include "FuzzCommon.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Frontend/MLIRGen.h"
#include "attn/Frontend/SourceDiagnostics.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn/dsl/Diagnostics.h"
#include "attn/dsl/Frontend.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  attn::dsl::SourceFile file("fuzz.attn",
                             std::string(reinterpret_cast<const char *>(data), size));
  attn::dsl::DiagnosticEngine diags(file);
  attn::dsl::Module ast = attn::dsl::parseAndCheck(file, diags);
  if (diags.hasErrors())
    return 0;

  mlir::MLIRContext context;
  context.disableMultithreading();
  attn::loadAttnDialects(context);
  // The real handler renders into a string nobody reads: it is exercised
  // (source lines, carets at MLIR locations) without flooding the log.
  std::string sink;
  llvm::raw_string_ostream out(sink);
  attn::SourceDiagnosticHandler handler(context, file, out);

  mlir::OwningOpRef<mlir::ModuleOp> module = attn::mlirGen(context, ast, file);
  if (!module)
    attn::fuzz::internalError("mlirGen returned null on a module that passed sema");

  mlir::PassManager verify(&context);
  verify.nest<attn::VariantOp>().addPass(attn::createAttnVerifyConfig());
  if (mlir::failed(verify.run(*module)))
    return 0; // a configuration error: the user's
  mlir::PassManager pm(&context);
  attn::buildAttnPipeline(pm);
  if (mlir::failed(pm.run(*module))) {
    llvm::errs() << out.str();
    attn::fuzz::internalError("the attn pass pipeline failed after verify-config passed");
  }

  for (attn::VariantOp variant : module->getOps<attn::VariantOp>()) {
    std::string source, error;
    (void)attn::target::emitCUDA(variant, source, error);
  }
  return 0;
}
