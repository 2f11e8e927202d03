//===- Lexer.cpp - Turns .attn text into tokens ---------------------------===//
//
// A hand-written byte lexer. It never fails: every malformed byte sequence is
// reported once and becomes an Error token (or, where the intent is clear,
// the token that was meant) so that parsing can go on and find more errors.
//
//===----------------------------------------------------------------------===//
#include "attn/dsl/Lexer.h"

#include <cstdio>
#include <string>

namespace attn::dsl {

const char *tokenKindSpelling(TokenKind k) {
  switch (k) {
  case TokenKind::Eof: return "end of file";
  case TokenKind::Error: return "invalid token";
  case TokenKind::Ident: return "identifier";
  case TokenKind::IntLit: return "integer literal";
  case TokenKind::FloatLit: return "float literal";
  case TokenKind::KwVariant: return "`variant`";
  case TokenKind::KwParam: return "`param`";
  case TokenKind::KwLet: return "`let`";
  case TokenKind::KwIf: return "`if`";
  case TokenKind::KwElse: return "`else`";
  case TokenKind::KwTrue: return "`true`";
  case TokenKind::KwFalse: return "`false`";
  case TokenKind::LBrace: return "`{`";
  case TokenKind::RBrace: return "`}`";
  case TokenKind::LParen: return "`(`";
  case TokenKind::RParen: return "`)`";
  case TokenKind::LBracket: return "`[`";
  case TokenKind::RBracket: return "`]`";
  case TokenKind::Semi: return "`;`";
  case TokenKind::Colon: return "`:`";
  case TokenKind::Comma: return "`,`";
  case TokenKind::Assign: return "`=`";
  case TokenKind::Plus: return "`+`";
  case TokenKind::Minus: return "`-`";
  case TokenKind::Star: return "`*`";
  case TokenKind::Slash: return "`/`";
  case TokenKind::Percent: return "`%`";
  case TokenKind::Lt: return "`<`";
  case TokenKind::Le: return "`<=`";
  case TokenKind::Gt: return "`>`";
  case TokenKind::Ge: return "`>=`";
  case TokenKind::EqEq: return "`==`";
  case TokenKind::NotEq: return "`!=`";
  case TokenKind::AndAnd: return "`&&`";
  case TokenKind::OrOr: return "`||`";
  case TokenKind::Bang: return "`!`";
  }
  return "token";
}

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

TokenKind keywordKind(std::string_view s) {
  if (s == "variant") return TokenKind::KwVariant;
  if (s == "param") return TokenKind::KwParam;
  if (s == "let") return TokenKind::KwLet;
  if (s == "if") return TokenKind::KwIf;
  if (s == "else") return TokenKind::KwElse;
  if (s == "true") return TokenKind::KwTrue;
  if (s == "false") return TokenKind::KwFalse;
  return TokenKind::Ident;
}

class Lexer {
public:
  Lexer(const SourceFile &file, DiagnosticEngine &diags)
      : text_(file.text()), diags_(diags) {}

  LexedFile run() {
    LexedFile out;
    while (true) {
      if (!skipTrivia()) {
        out.truncated = true;
        break;
      }
      if (pos_ >= text_.size())
        break;
      out.tokens.push_back(next());
    }
    uint32_t end = static_cast<uint32_t>(text_.size());
    out.tokens.push_back({TokenKind::Eof, {end, end}, {}});
    return out;
  }

private:
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  SourceRange rangeFrom(size_t start) const {
    return {static_cast<uint32_t>(start), static_cast<uint32_t>(pos_)};
  }
  Token make(TokenKind k, size_t start) const {
    return {k, rangeFrom(start), text_.substr(start, pos_ - start)};
  }

  /// Skips whitespace and comments. Returns false when an unterminated block
  /// comment ran to the end of the file.
  bool skipTrivia() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && peek(1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          ++pos_;
      } else if (c == '/' && peek(1) == '*') {
        size_t start = pos_;
        size_t close = text_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) {
          pos_ = text_.size();
          diags_.error({static_cast<uint32_t>(start), static_cast<uint32_t>(start + 2)},
                       "unterminated block comment",
                       "add `*/` to close the comment opened here");
          return false;
        }
        pos_ = close + 2;
      } else {
        break;
      }
    }
    return true;
  }

  Token next() {
    size_t start = pos_;
    char c = text_[pos_];
    if (isIdentStart(c)) {
      while (isIdentChar(peek()))
        ++pos_;
      Token t = make(TokenKind::Ident, start);
      t.kind = keywordKind(t.text);
      return t;
    }
    if (isDigit(c) || (c == '.' && isDigit(peek(1))))
      return number();
    ++pos_;
    switch (c) {
    case '{': return make(TokenKind::LBrace, start);
    case '}': return make(TokenKind::RBrace, start);
    case '(': return make(TokenKind::LParen, start);
    case ')': return make(TokenKind::RParen, start);
    case '[': return make(TokenKind::LBracket, start);
    case ']': return make(TokenKind::RBracket, start);
    case ';': return make(TokenKind::Semi, start);
    case ':': return make(TokenKind::Colon, start);
    case ',': return make(TokenKind::Comma, start);
    case '+': return make(TokenKind::Plus, start);
    case '-': return make(TokenKind::Minus, start);
    case '*': return make(TokenKind::Star, start);
    case '/': return make(TokenKind::Slash, start);
    case '%': return make(TokenKind::Percent, start);
    case '<': return twoChar('=', TokenKind::Le, TokenKind::Lt, start);
    case '>': return twoChar('=', TokenKind::Ge, TokenKind::Gt, start);
    case '=': return twoChar('=', TokenKind::EqEq, TokenKind::Assign, start);
    case '!': return twoChar('=', TokenKind::NotEq, TokenKind::Bang, start);
    case '&':
      if (peek() == '&') { ++pos_; return make(TokenKind::AndAnd, start); }
      // The intent is plain; report it and carry on as if `&&` was written.
      diags_.error(rangeFrom(start), "expected `&&`; there is no bitwise `&`",
                   "logical and is written `&&`");
      return make(TokenKind::AndAnd, start);
    case '|':
      if (peek() == '|') { ++pos_; return make(TokenKind::OrOr, start); }
      diags_.error(rangeFrom(start), "expected `||`; there is no bitwise `|`",
                   "logical or is written `||`");
      return make(TokenKind::OrOr, start);
    default:
      break;
    }
    return invalidCharacter(start);
  }

  Token twoChar(char second, TokenKind both, TokenKind single, size_t start) {
    if (peek() == second) {
      ++pos_;
      return make(both, start);
    }
    return make(single, start);
  }

  Token invalidCharacter(size_t start) {
    unsigned char c = static_cast<unsigned char>(text_[start]);
    std::string msg;
    if (c >= 0x80) {
      // Swallow the whole UTF-8 sequence so one character gives one error.
      while (pos_ < text_.size() && (static_cast<unsigned char>(text_[pos_]) & 0xC0) == 0x80)
        ++pos_;
      msg = "invalid non-ASCII character";
    } else if (c >= 0x20 && c < 0x7f) {
      msg = std::string("invalid character `") + static_cast<char>(c) + "`";
    } else {
      char buf[48];
      std::snprintf(buf, sizeof buf, "invalid control character 0x%02x", c);
      msg = buf;
    }
    diags_.error(rangeFrom(start), msg);
    return make(TokenKind::Error, start);
  }

  /// digits [ `.` digits ] [ (`e`|`E`) [`+`|`-`] digits ]. A float needs digits
  /// on both sides of the dot: `.5` and `5.` are diagnosed (with the fix) but
  /// still become float tokens so parsing goes on.
  Token number() {
    size_t start = pos_;
    bool isFloat = false;
    while (isDigit(peek()))
      ++pos_;
    if (peek() == '.') {
      isFloat = true;
      bool leading = pos_ > start;
      ++pos_;
      bool trailing = isDigit(peek());
      while (isDigit(peek()))
        ++pos_;
      if (!leading) {
        std::string lit(text_.substr(start, pos_ - start));
        diags_.error(rangeFrom(start), "a float literal needs a digit before `.`",
                     "write `0" + lit + "`");
      } else if (!trailing) {
        std::string lit(text_.substr(start, pos_ - start));
        diags_.error(rangeFrom(start), "a float literal needs a digit after `.`",
                     "write `" + lit + "0`");
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      size_t save = pos_;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!isDigit(peek())) {
        pos_ = save + 1;
        while (isIdentChar(peek()))
          ++pos_;
        diags_.error(rangeFrom(start), "missing digits in the exponent of a float literal",
                     "write e.g. `1e4` or `1.5e-3`");
        return make(TokenKind::Error, start);
      }
      while (isDigit(peek()))
        ++pos_;
      isFloat = true;
    }
    if (isIdentChar(peek()) || peek() == '.') {
      size_t suffix = pos_;
      while (isIdentChar(peek()) || peek() == '.')
        ++pos_;
      diags_.error(rangeFrom(start),
                   "invalid suffix `" + std::string(text_.substr(suffix, pos_ - suffix)) +
                       "` on number",
                   "separate the number from the name that follows it");
      return make(TokenKind::Error, start);
    }
    return make(isFloat ? TokenKind::FloatLit : TokenKind::IntLit, start);
  }

  std::string_view text_;
  DiagnosticEngine &diags_;
  size_t pos_ = 0;
};

} // namespace

LexedFile lexFile(const SourceFile &file, DiagnosticEngine &diags) {
  return Lexer(file, diags).run();
}

} // namespace attn::dsl
