//===- MLIRGen.h - The .attn AST to the attn dialect ------------*- C++ -*-===//
#ifndef ATTN_FRONTEND_MLIRGEN_H
#define ATTN_FRONTEND_MLIRGEN_H

#include "attn/dsl/AST.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace attn {

/// Lowers a module that passed Sema into one `attn.variant` per variant.
/// Locations are FileLineColLoc into the .attn file; each config setting's
/// location is kept as a NameLoc in a FusedLoc on the variant so later passes
/// can point diagnostics at the right line. Returns null only on an internal
/// inconsistency (reported as an MLIR error).
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const dsl::Module &module,
                                          const dsl::SourceFile &file);

/// Loads the dialects MLIRGen and the pipeline need into `context`.
void loadAttnDialects(mlir::MLIRContext &context);

} // namespace attn

#endif
