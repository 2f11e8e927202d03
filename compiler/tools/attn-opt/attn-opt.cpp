//===- attn-opt.cpp - Runs attn passes on .mlir files (tests) -------------===//
//
// mlir-opt for our dialect: only attn, arith, math and scf are registered
// (per-dialect headers, never InitAllDialects.h), plus our passes and the
// upstream canonicalize/cse for comparison in tests.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<attn::AttnDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::scf::SCFDialect,
                  mlir::func::FuncDialect>();
  attn::registerAttnPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::PassPipelineRegistration<>(
      "attn-pipeline", "the pipeline attnc runs after MLIRGen",
      [](mlir::OpPassManager &pm) { attn::buildAttnPipeline(pm); });
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attn optimizer driver\n", registry));
}
