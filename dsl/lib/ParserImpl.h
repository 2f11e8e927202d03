//===- ParserImpl.h - The parser's class, shared by its two files -*- C++ -*-===//
//
// Parser.cpp parses variants and items; ExprParser.cpp parses expressions.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_LIB_PARSERIMPL_H
#define ATTN_DSL_LIB_PARSERIMPL_H

#include "ConstEval.h"
#include "Parser.h"

#include <optional>

namespace attn::dsl {

class Parser {
public:
  Parser(const LexedFile &lexed, const SourceFile &file, DiagnosticEngine &diags)
      : toks_(lexed.tokens), truncated_(lexed.truncated), file_(file), diags_(diags) {}

  ParseResult parseFile();

  // --- Expressions (ExprParser.cpp). All return null after an error. ---
  ExprPtr parseExpr();

private:
  // Token access.
  const Token &tok() const { return toks_[pos_]; }
  const Token &peekTok(size_t ahead = 1) const {
    return toks_[pos_ + ahead < toks_.size() ? pos_ + ahead : toks_.size() - 1];
  }
  bool at(TokenKind k) const { return tok().kind == k; }
  bool atIdent(const char *text) const { return at(TokenKind::Ident) && tok().text == text; }
  Token take() {
    Token t = tok();
    if (pos_ + 1 < toks_.size())
      ++pos_;
    return t;
  }
  bool consume(TokenKind k) {
    if (!at(k))
      return false;
    take();
    return true;
  }
  uint32_t prevEnd() const { return pos_ > 0 ? toks_[pos_ - 1].range.end : 0; }
  bool onNewLine() const;

  // Errors. While `panic_` is set (after the first error of an item) further
  // errors are dropped until the parser has resynchronised.
  void error(SourceRange r, std::string msg, std::string hint = {});
  /// "expected X, found Y" at the current token; quiet on lexer Error tokens.
  void errorExpected(const std::string &what, std::string hint = {});
  bool expect(TokenKind k, const char *context = nullptr);
  void recoverItem();

  // Items (Parser.cpp).
  std::unique_ptr<VariantDecl> parseVariant(VariantParseInfo &info);
  void parseItem(VariantDecl &v, VariantParseInfo &info);
  bool parseConfig(VariantDecl &v, const Token &key);
  bool parseHook(VariantDecl &v, HookKind kind, const Token &key);
  bool parseRope(HookDecl &hook, HookKind kind);
  bool parseParam(VariantDecl &v, VariantParseInfo &info);
  bool parseLet(VariantDecl &v, VariantParseInfo &info);
  bool expectItemEnd();
  bool checkDuplicate(SourceRange first, bool present, const Token &key, const char *what);

  // Constants (Parser.cpp): an expression folded at compile time.
  std::optional<ConstValue> parseConstant(const std::string &what);
  std::optional<int64_t> parseConstInt(const std::string &what, int64_t min);
  std::optional<double> parseConstNumber(const std::string &what);

  // Expressions (ExprParser.cpp).
  ExprPtr parseBinary(int level);
  ExprPtr parseUnary();
  ExprPtr parsePrimary();
  ExprPtr parseNameOrCall();
  ExprPtr parseIf(const Token &ifTok);
  ExprPtr parseBlockExpr();
  bool enter();
  void leave() { --depth_; }

  const std::vector<Token> &toks_;
  bool truncated_;
  const SourceFile &file_;
  DiagnosticEngine &diags_;
  size_t pos_ = 0;
  bool panic_ = false;
  unsigned depth_ = 0;
  /// Lexer Error tokens the parser stopped at (already diagnosed by the lexer).
  unsigned lexErrorsHit_ = 0;
  /// The range of the last constant parseConstant() folded, for messages.
  SourceRange lastConstRange_;
  /// The hook being parsed, so `rope(...)` misuse can name it; null elsewhere.
  std::optional<HookKind> hook_;
};

} // namespace attn::dsl

#endif
