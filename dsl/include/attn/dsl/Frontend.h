//===- Frontend.h - Parse and check one .attn file --------------*- C++ -*-===//
#ifndef ATTN_DSL_FRONTEND_H
#define ATTN_DSL_FRONTEND_H

#include "attn/dsl/AST.h"
#include "attn/dsl/Diagnostics.h"

namespace attn::dsl {

/// Lexes, parses and checks `file`. Always returns a Module (possibly partial);
/// the caller consults `diags.hasErrors()`. Never aborts, whatever the input.
Module parseAndCheck(const SourceFile &file, DiagnosticEngine &diags);

/// Renders a checked module as an indented tree (`attnc compile --emit=ast`).
std::string printAST(const Module &module, const SourceFile &file);

} // namespace attn::dsl

#endif
