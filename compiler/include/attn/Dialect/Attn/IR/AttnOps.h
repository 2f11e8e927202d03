//===- AttnOps.h - Operations of the attn dialect ---------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_H
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_H

#include "attn/Dialect/Attn/IR/AttnDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attn/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.h.inc"

namespace attn {
class HookOp;
class ParamOp;
class TileClassifierOp;

/// One block argument of a hook region: the built-in's name and whether it is
/// an f32 (else i32). The order is the contract between MLIRGen, the reference
/// evaluator and the CUDA emitter.
struct HookArg {
  llvm::StringLiteral name;
  bool isFloat;
};
llvm::ArrayRef<HookArg> getHookSignature(HookKind kind);
/// i1 for mask, f32 otherwise.
mlir::Type getHookResultType(HookKind kind, mlir::MLIRContext *ctx);
/// Index of built-in `name` in the hook's signature, or -1.
int findHookArg(HookKind kind, llvm::StringRef name);

/// The tile classifier's block arguments (all i32), in order.
llvm::ArrayRef<llvm::StringLiteral> getTileClassifierArgNames();
enum class TileClass : int32_t { Empty = 0, Partial = 1, Full = 2 };
} // namespace attn

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.h.inc"

#endif
