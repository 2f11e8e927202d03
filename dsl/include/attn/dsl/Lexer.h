//===- Lexer.h - Turns .attn text into tokens -------------------*- C++ -*-===//
#ifndef ATTN_DSL_LEXER_H
#define ATTN_DSL_LEXER_H

#include "attn/dsl/Token.h"

#include "attn/dsl/Diagnostics.h"

#include <vector>

namespace attn::dsl {

/// The whole token stream of a file, always ending with one Eof token.
struct LexedFile {
  std::vector<Token> tokens;
  /// An unterminated block comment swallowed the rest of the file; the parser
  /// then stays quiet about the missing `}` (one error is enough).
  bool truncated = false;
};

/// Lexes the whole file up front (files are small). Lexical errors are
/// reported to `diags` and become Error tokens so the parser can recover.
LexedFile lexFile(const SourceFile &file, DiagnosticEngine &diags);

} // namespace attn::dsl

#endif
