//===- fuzz_ir.cpp - libFuzzer target: attn-opt's IR parser + pipeline ----===//
//
// What attn-opt accepts: generic or custom-form IR over attn, arith, math,
// scf and func. Everything that parses and verifies goes through the attnc
// pipeline and, where that succeeds, the CUDA emitter. IR can say what no
// .attn file can, so here any failure with a diagnostic is fine; only a crash,
// an assertion or a sanitizer report is a finding.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Target/CUDA/Compile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  registry.insert<attn::AttnDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::scf::SCFDialect, mlir::func::FuncDialect>();
  mlir::MLIRContext context(registry);
  context.disableMultithreading();
  // Diagnostics are expected on almost every input; swallow them.
  mlir::ScopedDiagnosticHandler swallow(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });

  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;

  mlir::PassManager pm(&context);
  attn::buildAttnPipeline(pm);
  if (mlir::failed(pm.run(*module)))
    return 0;
  for (attn::VariantOp variant : module->getOps<attn::VariantOp>()) {
    std::string source, error;
    (void)attn::target::emitCUDA(variant, source, error);
  }
  return 0;
}
