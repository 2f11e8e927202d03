//===- LoadSpec.cpp - A .attn file to an optimized module, in one call ----===//
#include "attn/Frontend/LoadSpec.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Frontend/MLIRGen.h"
#include "attn/dsl/Diagnostics.h"
#include "attn/dsl/Frontend.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

mlir::OwningOpRef<mlir::ModuleOp>
attn::loadSpec(const std::string &path, mlir::MLIRContext &context, std::string &error,
               llvm::function_ref<void(mlir::ModuleOp)> beforePipeline) {
  dsl::SourceFile file(path, "");
  if (!dsl::SourceFile::load(path, file, error))
    return nullptr;
  dsl::DiagnosticEngine diags(file);
  dsl::Module ast = dsl::parseAndCheck(file, diags);
  if (diags.hasErrors()) {
    error = diags.render();
    return nullptr;
  }
  std::string mlirErrors;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    mlirErrors += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(context, ast, file);
  if (!module) {
    error = "MLIRGen failed: " + mlirErrors;
    return nullptr;
  }
  if (beforePipeline)
    beforePipeline(*module);
  mlir::PassManager pm(&context);
  buildAttnPipeline(pm);
  if (mlir::failed(pm.run(*module))) {
    error = "pipeline failed: " + mlirErrors;
    return nullptr;
  }
  return module;
}
