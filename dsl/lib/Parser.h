//===- Parser.h - Recursive-descent parser for .attn ------------*- C++ -*-===//
//
// Builds the AST from the token stream. On an error the parser reports it,
// then skips to the end of the current item (the next `;` outside braces, or
// the `}` that closes the variant) and goes on, so one run finds every
// syntax error. It records which items failed so that Sema does not pile
// follow-on errors (a "missing head_dim" after a malformed head_dim) on top.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_LIB_PARSER_H
#define ATTN_DSL_LIB_PARSER_H

#include "attn/dsl/Lexer.h"

#include "attn/dsl/AST.h"

#include <set>
#include <string>
#include <vector>

namespace attn::dsl {

/// What the parser knows about a variant beyond its AST.
struct VariantParseInfo {
  std::set<std::string> failedKeys;  ///< config keys and hooks whose item did not parse
  std::set<std::string> failedNames; ///< params and lets whose declaration did not parse
  unsigned errors = 0;               ///< syntax errors reported inside the variant
};

struct ParseResult {
  Module module;
  std::vector<VariantParseInfo> info; ///< one per module.variants entry
};

/// The deepest expression nesting accepted (parentheses, operators, calls).
/// Deeper input is an error, never a stack overflow.
constexpr unsigned kMaxExprDepth = 256;

ParseResult parseTokens(const LexedFile &lexed, const SourceFile &file,
                        DiagnosticEngine &diags);

} // namespace attn::dsl

#endif
