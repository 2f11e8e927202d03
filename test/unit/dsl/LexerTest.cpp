//===- LexerTest.cpp - Tokens, ranges and lexical errors ------------------===//
#include "attn/dsl/Lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using attn::dsl::DiagnosticEngine;
using attn::dsl::LexedFile;
using attn::dsl::SourceFile;
using attn::dsl::TokenKind;

struct Lexed {
  SourceFile file;
  DiagnosticEngine diags;
  LexedFile out;
  explicit Lexed(const std::string &text)
      : file("t.attn", text), diags(file), out(attn::dsl::lexFile(file, diags)) {}
  std::vector<TokenKind> kinds() const {
    std::vector<TokenKind> k;
    for (const auto &t : out.tokens)
      k.push_back(t.kind);
    return k;
  }
};

TEST(Lexer, KeywordsIdentifiersAndPunctuation) {
  Lexed l("variant v { param let if else true false head_dim = ; : , ( ) [ ] }");
  std::vector<TokenKind> want = {
      TokenKind::KwVariant, TokenKind::Ident,   TokenKind::LBrace,   TokenKind::KwParam,
      TokenKind::KwLet,     TokenKind::KwIf,    TokenKind::KwElse,   TokenKind::KwTrue,
      TokenKind::KwFalse,   TokenKind::Ident,   TokenKind::Assign,   TokenKind::Semi,
      TokenKind::Colon,     TokenKind::Comma,   TokenKind::LParen,   TokenKind::RParen,
      TokenKind::LBracket,  TokenKind::RBracket, TokenKind::RBrace,  TokenKind::Eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_FALSE(l.diags.hasErrors());
}

TEST(Lexer, Operators) {
  Lexed l("+ - * / % < <= > >= == != && || ! =");
  std::vector<TokenKind> want = {
      TokenKind::Plus, TokenKind::Minus, TokenKind::Star,  TokenKind::Slash,
      TokenKind::Percent, TokenKind::Lt, TokenKind::Le,    TokenKind::Gt,
      TokenKind::Ge,   TokenKind::EqEq,  TokenKind::NotEq, TokenKind::AndAnd,
      TokenKind::OrOr, TokenKind::Bang,  TokenKind::Assign, TokenKind::Eof};
  EXPECT_EQ(l.kinds(), want);
}

TEST(Lexer, RangesAndText) {
  Lexed l("  kv_idx<=q_idx");
  ASSERT_EQ(l.out.tokens.size(), 4u);
  EXPECT_EQ(l.out.tokens[0].text, "kv_idx");
  EXPECT_EQ(l.out.tokens[0].range.begin, 2u);
  EXPECT_EQ(l.out.tokens[0].range.end, 8u);
  EXPECT_EQ(l.out.tokens[1].kind, TokenKind::Le);
  EXPECT_EQ(l.out.tokens[1].range.begin, 8u);
  EXPECT_EQ(l.out.tokens[1].range.end, 10u);
  EXPECT_EQ(l.out.tokens[2].text, "q_idx");
  EXPECT_EQ(l.out.tokens[3].range.begin, 15u); // Eof sits at the end
}

TEST(Lexer, Numbers) {
  Lexed l("4096 50.0 1e4 1.5e-3 2E+2 0");
  std::vector<TokenKind> want = {TokenKind::IntLit,   TokenKind::FloatLit, TokenKind::FloatLit,
                                 TokenKind::FloatLit, TokenKind::FloatLit, TokenKind::IntLit,
                                 TokenKind::Eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_EQ(l.out.tokens[3].text, "1.5e-3");
  EXPECT_FALSE(l.diags.hasErrors());
}

TEST(Lexer, MalformedNumbers) {
  {
    Lexed l(".5");
    EXPECT_EQ(l.out.tokens[0].kind, TokenKind::FloatLit); // parsing goes on
    ASSERT_EQ(l.diags.errorCount(), 1u);
    EXPECT_EQ(l.diags.diagnostics()[0].hint, "write `0.5`");
  }
  {
    Lexed l("5.");
    EXPECT_EQ(l.out.tokens[0].kind, TokenKind::FloatLit);
    EXPECT_EQ(l.diags.errorCount(), 1u);
  }
  {
    Lexed l("1e+ x");
    EXPECT_EQ(l.out.tokens[0].kind, TokenKind::Error);
    EXPECT_EQ(l.diags.errorCount(), 1u);
  }
  {
    Lexed l("128window");
    ASSERT_EQ(l.out.tokens.size(), 2u);
    EXPECT_EQ(l.out.tokens[0].kind, TokenKind::Error);
    EXPECT_EQ(l.out.tokens[0].range.end, 9u);
  }
}

TEST(Lexer, CommentsAreSkipped) {
  Lexed l("// line\nvariant /* block\n over lines */ v // tail");
  std::vector<TokenKind> want = {TokenKind::KwVariant, TokenKind::Ident, TokenKind::Eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_FALSE(l.out.truncated);
}

TEST(Lexer, UnterminatedBlockComment) {
  Lexed l("variant v { /* never closed");
  EXPECT_TRUE(l.out.truncated);
  ASSERT_EQ(l.diags.errorCount(), 1u);
  const auto &d = l.diags.diagnostics()[0];
  EXPECT_EQ(d.message, "unterminated block comment");
  EXPECT_EQ(d.range.begin, 12u);
  EXPECT_EQ(l.out.tokens.back().kind, TokenKind::Eof);
}

TEST(Lexer, InvalidCharacters) {
  Lexed l("a $ b \xe2\x89\xa4 c \x01");
  std::vector<TokenKind> want = {TokenKind::Ident, TokenKind::Error, TokenKind::Ident,
                                 TokenKind::Error, TokenKind::Ident, TokenKind::Error,
                                 TokenKind::Eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_EQ(l.diags.errorCount(), 3u);
  // A multi-byte UTF-8 character is one error covering all its bytes.
  EXPECT_EQ(l.out.tokens[3].range.end - l.out.tokens[3].range.begin, 3u);
  EXPECT_EQ(l.diags.diagnostics()[0].message, "invalid character `$`");
}

TEST(Lexer, SingleAmpersandAndPipeRecover) {
  Lexed l("a & b | c");
  std::vector<TokenKind> want = {TokenKind::Ident, TokenKind::AndAnd, TokenKind::Ident,
                                 TokenKind::OrOr,  TokenKind::Ident,  TokenKind::Eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_EQ(l.diags.errorCount(), 2u);
}

TEST(Lexer, EmptyInput) {
  Lexed l("");
  ASSERT_EQ(l.out.tokens.size(), 1u);
  EXPECT_EQ(l.out.tokens[0].kind, TokenKind::Eof);
}

} // namespace
