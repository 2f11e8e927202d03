//===- Token.h - Tokens of the .attn language -------------------*- C++ -*-===//
//
// Used by the parser and the lexer unit tests. A token is a kind plus a byte range; its text is a
// view into the SourceFile, so tokens are cheap to copy and never outlive it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_TOKEN_H
#define ATTN_DSL_TOKEN_H

#include "attn/dsl/SourceFile.h"

#include <string_view>

namespace attn::dsl {

enum class TokenKind {
  Eof,
  Error, ///< Malformed input the lexer already diagnosed; the parser stays quiet.
  Ident,
  IntLit,
  FloatLit,
  // Keywords (everything else, config keys and hook names included, is contextual).
  KwVariant, KwParam, KwLet, KwIf, KwElse, KwTrue, KwFalse,
  // Punctuation.
  LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Semi, Colon, Comma, Assign,
  Plus, Minus, Star, Slash, Percent,
  Lt, Le, Gt, Ge, EqEq, NotEq,
  AndAnd, OrOr, Bang,
};

/// How a token kind is written in messages, e.g. "`;`" or "identifier".
const char *tokenKindSpelling(TokenKind k);

struct Token {
  TokenKind kind = TokenKind::Eof;
  SourceRange range;
  std::string_view text;
  bool is(TokenKind k) const { return kind == k; }
};

} // namespace attn::dsl

#endif
