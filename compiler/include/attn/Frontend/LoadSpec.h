//===- LoadSpec.h - A .attn file to an optimized module, in one call -*- C++ -*-===//
//
// For programs that want the module, or one error string, rather than
// clang-style diagnostics (the GPU tests, the benchmark, unit tests). attnc
// itself goes step by step (compiler/tools/attnc/Driver.cpp) to render each
// layer's diagnostics and pick its exit code.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_FRONTEND_LOADSPEC_H
#define ATTN_FRONTEND_LOADSPEC_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>

namespace attn {

/// Reads, checks and lowers `path` into `context`, calls `beforePipeline` on
/// the fresh module (a place to override config attributes), then runs the
/// attnc pass pipeline. Returns null with every diagnostic in `error`.
mlir::OwningOpRef<mlir::ModuleOp>
loadSpec(const std::string &path, mlir::MLIRContext &context, std::string &error,
         llvm::function_ref<void(mlir::ModuleOp)> beforePipeline = {});

} // namespace attn

#endif
