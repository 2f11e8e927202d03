//===- SourceDiagnostics.h - MLIR diagnostics, rendered like clang --*- C++ -*-===//
//
// Errors found after MLIRGen (op verifiers, attn-verify-config) carry
// FileLineColLoc locations into the .attn file. This handler renders them
// exactly like the front end's own diagnostics — `file:line:col: error:`, the
// source line, a caret — so a user cannot tell which layer found the problem.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_FRONTEND_SOURCEDIAGNOSTICS_H
#define ATTN_FRONTEND_SOURCEDIAGNOSTICS_H

#include "attn/dsl/SourceFile.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

namespace attn {

class SourceDiagnosticHandler {
public:
  /// Installs itself on `context` for its lifetime.
  SourceDiagnosticHandler(mlir::MLIRContext &context, const dsl::SourceFile &file,
                          llvm::raw_ostream &out);
  ~SourceDiagnosticHandler();

  unsigned errorCount() const { return errors_; }
  unsigned warningCount() const { return warnings_; }

private:
  void handle(mlir::Diagnostic &diag);

  mlir::MLIRContext &context_;
  const dsl::SourceFile &file_;
  llvm::raw_ostream &out_;
  mlir::DiagnosticEngine::HandlerID id_;
  unsigned errors_ = 0;
  unsigned warnings_ = 0;
};

} // namespace attn

#endif
