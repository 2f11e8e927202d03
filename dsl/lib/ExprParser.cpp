//===- ExprParser.cpp - Expressions ---------------------------------------===//
//
// Precedence climbing over a small table (C precedence, all left
// associative). Every level of nesting is counted, operator chains included,
// so a pathological input is rejected long before the stack is at risk.
//
//===----------------------------------------------------------------------===//
#include "ParserImpl.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace attn::dsl {

namespace {

struct OpInfo {
  TokenKind tok;
  BinaryOp op;
  int level;
};

// Lowest precedence first: || && (== !=) (< <= > >=) (+ -) (* / %).
constexpr OpInfo kOps[] = {
    {TokenKind::OrOr, BinaryOp::Or, 0},     {TokenKind::AndAnd, BinaryOp::And, 1},
    {TokenKind::EqEq, BinaryOp::Eq, 2},     {TokenKind::NotEq, BinaryOp::Ne, 2},
    {TokenKind::Lt, BinaryOp::Lt, 3},       {TokenKind::Le, BinaryOp::Le, 3},
    {TokenKind::Gt, BinaryOp::Gt, 3},       {TokenKind::Ge, BinaryOp::Ge, 3},
    {TokenKind::Plus, BinaryOp::Add, 4},    {TokenKind::Minus, BinaryOp::Sub, 4},
    {TokenKind::Star, BinaryOp::Mul, 5},    {TokenKind::Slash, BinaryOp::Div, 5},
    {TokenKind::Percent, BinaryOp::Rem, 5},
};
constexpr int kUnaryLevel = 6;

const OpInfo *binaryOpAt(TokenKind k, int level) {
  for (const OpInfo &o : kOps)
    if (o.tok == k && o.level == level)
      return &o;
  return nullptr;
}

} // namespace

bool Parser::enter() {
  if (++depth_ <= kMaxExprDepth)
    return true;
  --depth_;
  error(tok().range,
        "expression is nested too deeply (more than " + std::to_string(kMaxExprDepth) +
            " levels)",
        "split it into `let` bindings");
  return false;
}

ExprPtr Parser::parseExpr() {
  if (!enter())
    return nullptr;
  ExprPtr e = parseBinary(0);
  leave();
  return e;
}

ExprPtr Parser::parseBinary(int level) {
  if (level == kUnaryLevel)
    return parseUnary();
  ExprPtr lhs = parseBinary(level + 1);
  if (!lhs)
    return nullptr;
  unsigned chain = 0;
  ExprPtr result;
  while (const OpInfo *info = binaryOpAt(tok().kind, level)) {
    // Each operator of a left-associative chain deepens the tree by one.
    if (!enter()) {
      lhs = nullptr;
      break;
    }
    ++chain;
    Token opTok = take();
    ExprPtr rhs = parseBinary(level + 1);
    if (!rhs) {
      lhs = nullptr;
      break;
    }
    SourceRange r = SourceRange::merge(lhs->range, rhs->range);
    lhs = std::make_unique<BinaryExpr>(r, info->op, opTok.range, std::move(lhs), std::move(rhs));
  }
  depth_ -= chain;
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (at(TokenKind::Minus) || at(TokenKind::Bang)) {
    Token opTok = take();
    if (!enter())
      return nullptr;
    ExprPtr operand = parseUnary();
    leave();
    if (!operand)
      return nullptr;
    SourceRange r = SourceRange::merge(opTok.range, operand->range);
    return std::make_unique<UnaryExpr>(r, opTok.is(TokenKind::Minus) ? UnaryOp::Neg : UnaryOp::Not,
                                       std::move(operand));
  }
  return parsePrimary();
}

ExprPtr Parser::parsePrimary() {
  switch (tok().kind) {
  case TokenKind::IntLit: {
    Token t = take();
    // Saturate: anything past i32 is diagnosed by Sema with the source text.
    int64_t v = 0;
    for (char c : t.text) {
      v = v * 10 + (c - '0');
      if (v > (int64_t(1) << 40)) {
        v = int64_t(1) << 40;
        break;
      }
    }
    return std::make_unique<IntLitExpr>(t.range, v);
  }
  case TokenKind::FloatLit: {
    Token t = take();
    std::string s(t.text);
    double v = std::strtod(s.c_str(), nullptr);
    return std::make_unique<FloatLitExpr>(t.range, v);
  }
  case TokenKind::KwTrue:
  case TokenKind::KwFalse: {
    Token t = take();
    return std::make_unique<BoolLitExpr>(t.range, t.is(TokenKind::KwTrue));
  }
  case TokenKind::Ident:
    return parseNameOrCall();
  case TokenKind::LParen: {
    Token open = take();
    ExprPtr e = parseExpr();
    if (!e)
      return nullptr;
    if (!at(TokenKind::RParen)) {
      errorExpected("`)`", "to match the `(` on line " +
                               std::to_string(file_.lineCol(open.range.begin).line));
      return nullptr;
    }
    Token close = take();
    // Keep the parentheses in the range so carets cover what was written.
    e->range = SourceRange::merge(open.range, close.range);
    return e;
  }
  case TokenKind::KwIf:
    return parseIf(take());
  default:
    break;
  }
  std::string hint;
  if (at(TokenKind::KwElse))
    hint = "`else` must follow the `}` of an `if`";
  errorExpected("an expression", hint);
  return nullptr;
}

ExprPtr Parser::parseNameOrCall() {
  Token name = take();
  std::string n(name.text);
  if (at(TokenKind::LParen)) {
    if (n == "rope") {
      bool inRopeHook = hook_ && (*hook_ == HookKind::Query || *hook_ == HookKind::Key);
      if (inRopeHook)
        error(name.range,
              std::string("`rope(...)` must be the whole value of the `") + hookName(*hook_) +
                  "` hook",
              "rope cannot be nested inside an expression");
      else
        error(name.range, "`rope(...)` is only allowed in the `query` and `key` hooks",
              hook_ ? std::string("the `") + hookName(*hook_) + "` hook cannot rotate"
                    : std::string());
      return nullptr;
    }
    take(); // (
    auto call = std::make_unique<CallExpr>(name.range, n, name.range);
    if (!at(TokenKind::RParen)) {
      while (true) {
        if (at(TokenKind::Ident) && peekTok().is(TokenKind::Assign)) {
          error(tok().range, "`" + n + "` does not take named arguments",
                "only `rope(...)` takes named arguments");
          return nullptr;
        }
        ExprPtr arg = parseExpr();
        if (!arg)
          return nullptr;
        call->args.push_back(std::move(arg));
        if (!consume(TokenKind::Comma))
          break;
      }
    }
    if (!at(TokenKind::RParen)) {
      errorExpected("`,` or `)` in the call to `" + n + "`");
      return nullptr;
    }
    call->range = SourceRange::merge(name.range, take().range);
    return call;
  }
  if (at(TokenKind::LBracket)) {
    take();
    ExprPtr index = parseExpr();
    if (!index)
      return nullptr;
    if (!at(TokenKind::RBracket)) {
      errorExpected("`]`");
      return nullptr;
    }
    SourceRange r = SourceRange::merge(name.range, take().range);
    return std::make_unique<IndexExpr>(r, n, name.range, std::move(index));
  }
  return std::make_unique<NameExpr>(name.range, n);
}

/// `{ expr }`, the arms of an `if`.
ExprPtr Parser::parseBlockExpr() {
  if (!at(TokenKind::LBrace)) {
    errorExpected("`{`", "write `if c { a } else { b }`");
    return nullptr;
  }
  take();
  ExprPtr e = parseExpr();
  if (!e)
    return nullptr;
  if (!at(TokenKind::RBrace)) {
    errorExpected("`}`", "an `if` arm holds exactly one expression");
    return nullptr;
  }
  take();
  return e;
}

ExprPtr Parser::parseIf(const Token &ifTok) {
  if (!enter())
    return nullptr;
  ExprPtr result;
  do {
    ExprPtr cond = parseExpr();
    if (!cond)
      break;
    ExprPtr thenE = parseBlockExpr();
    if (!thenE)
      break;
    if (!at(TokenKind::KwElse)) {
      errorExpected("`else`", "an `if` expression needs an `else`: it must produce a value");
      break;
    }
    take();
    ExprPtr elseE;
    if (at(TokenKind::KwIf))
      elseE = parseIf(take());
    else
      elseE = parseBlockExpr();
    if (!elseE)
      break;
    SourceRange r = SourceRange::merge(ifTok.range, {ifTok.range.begin, prevEnd()});
    result = std::make_unique<IfExpr>(r, std::move(cond), std::move(thenE), std::move(elseE));
  } while (false);
  leave();
  return result;
}

} // namespace attn::dsl
