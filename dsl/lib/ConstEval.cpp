//===- ConstEval.cpp - Compile-time evaluation of expressions -------------===//
#include "ConstEval.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace attn::dsl {

namespace {

/// Wraps to 32 bits, as the generated code's i32 arithmetic does.
double wrapI32(double v) {
  // Reduce modulo 2^32 in floating point first: converting a double outside
  // int64's range (an oversized literal that was already reported, or a
  // product of two of them) to an integer is undefined behaviour.
  if (!std::isfinite(v))
    return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0)
    m += 4294967296.0;
  return static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(m)));
}

/// f32 -> i32 conversion: truncate toward zero, saturate, NaN -> 0 (the GPU's
/// cvt.rzi.sat behaviour, so folding agrees with run time).
double truncToI32(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 2147483647.0)
    return 2147483647.0;
  if (v <= -2147483648.0)
    return -2147483648.0;
  return std::trunc(v);
}

class Evaluator {
public:
  ConstResult result;
  unsigned depth = 0;
  /// Lets may reuse each other (`let b = a + a;`), so a tree walk can grow
  /// exponentially; past this many nodes the value is "not constant".
  unsigned long steps = 0;

  std::optional<ConstValue> fail(SourceRange r, std::string why) {
    if (!result.why.empty())
      return std::nullopt;
    result.culprit = r;
    result.why = std::move(why);
    return std::nullopt;
  }

  std::optional<ConstValue> eval(const Expr &e) {
    // Lets can chain; a cycle cannot exist after Sema, but stay safe anyway.
    if (++steps > 200000)
      return fail(e.range, "expression is too large to evaluate");
    if (++depth > 1000) {
      --depth;
      return fail(e.range, "expression is too deep to evaluate");
    }
    std::optional<ConstValue> v = evalImpl(e);
    --depth;
    return v;
  }

  std::optional<ConstValue> evalImpl(const Expr &e) {
    switch (e.kind) {
    case ExprKind::IntLit: {
      // As in hooks, an integer literal is an i32: a larger one would wrap
      // silently in constant arithmetic.
      int64_t v = static_cast<const IntLitExpr &>(e).value;
      if (v > 2147483647LL || v < -2147483648LL)
        return fail(e.range, "integer literal does not fit in i32; write a float literal "
                             "for larger values");
      return ConstValue{Type::I32, static_cast<double>(v)};
    }
    case ExprKind::FloatLit:
      return ConstValue{Type::F32, static_cast<const FloatLitExpr &>(e).value};
    case ExprKind::BoolLit:
      return ConstValue{Type::Bool, 0, static_cast<const BoolLitExpr &>(e).value};
    case ExprKind::Name: {
      const auto &n = static_cast<const NameExpr &>(e);
      if (n.let && n.let->value)
        return eval(*n.let->value);
      return fail(e.range, "`" + n.name + "` is not a constant");
    }
    case ExprKind::Index:
      return fail(e.range, "an array element is not a constant");
    case ExprKind::Convert: {
      auto v = eval(*static_cast<const ConvertExpr &>(e).operand);
      if (!v)
        return v;
      if (v->type == Type::Bool)
        return fail(e.range, "a bool cannot be converted to a number");
      return ConstValue{Type::F32, v->num};
    }
    case ExprKind::Unary: return unary(static_cast<const UnaryExpr &>(e));
    case ExprKind::Binary: return binary(static_cast<const BinaryExpr &>(e));
    case ExprKind::If: {
      const auto &i = static_cast<const IfExpr &>(e);
      auto c = eval(*i.cond);
      if (!c)
        return c;
      if (c->type != Type::Bool)
        return fail(i.cond->range, "a condition must be bool");
      auto a = eval(*i.thenExpr);
      auto b = eval(*i.elseExpr);
      if (!a || !b)
        return std::nullopt;
      return join(*a, *b, e.range) ? (c->flag ? *a : *b) : std::optional<ConstValue>();
    }
    case ExprKind::Call: return call(static_cast<const CallExpr &>(e));
    }
    return fail(e.range, "not a constant");
  }

  /// Brings two branch values to a common type (i32 promotes to f32).
  bool join(ConstValue &a, ConstValue &b, SourceRange r) {
    if ((a.type == Type::Bool) != (b.type == Type::Bool)) {
      fail(r, "branches mix bool and a number");
      return false;
    }
    if (a.type != b.type)
      a.type = b.type = Type::F32;
    return true;
  }

  std::optional<ConstValue> unary(const UnaryExpr &u) {
    auto v = eval(*u.operand);
    if (!v)
      return v;
    if (u.op == UnaryOp::Not) {
      if (v->type != Type::Bool)
        return fail(u.range, "`!` needs a bool");
      return ConstValue{Type::Bool, 0, !v->flag};
    }
    if (v->type == Type::Bool)
      return fail(u.range, "`-` needs a number");
    if (v->type == Type::I32)
      return ConstValue{Type::I32, wrapI32(-v->num)};
    return ConstValue{Type::F32, -v->num};
  }

  std::optional<ConstValue> binary(const BinaryExpr &b) {
    auto l = eval(*b.lhs);
    if (!l)
      return l;
    auto r = eval(*b.rhs);
    if (!r)
      return r;
    if (b.op == BinaryOp::And || b.op == BinaryOp::Or) {
      if (l->type != Type::Bool || r->type != Type::Bool)
        return fail(b.range, "`&&` and `||` need bools");
      bool v = b.op == BinaryOp::And ? (l->flag && r->flag) : (l->flag || r->flag);
      return ConstValue{Type::Bool, 0, v};
    }
    if (l->type == Type::Bool || r->type == Type::Bool) {
      if ((b.op == BinaryOp::Eq || b.op == BinaryOp::Ne) && l->type == r->type)
        return ConstValue{Type::Bool, 0, (l->flag == r->flag) == (b.op == BinaryOp::Eq)};
      return fail(b.range, "a bool is not a number");
    }
    bool isInt = l->type == Type::I32 && r->type == Type::I32;
    double x = l->num, y = r->num;
    switch (b.op) {
    case BinaryOp::Add: return num(isInt, x + y);
    case BinaryOp::Sub: return num(isInt, x - y);
    case BinaryOp::Mul:
      if (isInt) { // the product of two i32 can exceed 2^53: multiply in 64 bits
        // Operands are wrapped to i32 first, so the product cannot overflow int64.
        int64_t a = static_cast<int64_t>(wrapI32(x)), c = static_cast<int64_t>(wrapI32(y));
        return ConstValue{Type::I32, wrapI32(static_cast<double>(a * c))};
      }
      return num(false, x * y);
    case BinaryOp::Div:
      if (isInt)
        return ConstValue{Type::I32, y == 0 ? 0 : wrapI32(std::trunc(x / y))};
      return num(false, x / y);
    case BinaryOp::Rem:
      if (!isInt)
        return fail(b.range, "`%` needs i32 operands");
      {
        int64_t a = static_cast<int64_t>(wrapI32(x)), c = static_cast<int64_t>(wrapI32(y));
        if (c == 0) // the language's x % 0 = x
          return ConstValue{Type::I32, static_cast<double>(a)};
        return ConstValue{Type::I32, static_cast<double>(a % c)};
      }
    case BinaryOp::Lt: return ConstValue{Type::Bool, 0, x < y};
    case BinaryOp::Le: return ConstValue{Type::Bool, 0, x <= y};
    case BinaryOp::Gt: return ConstValue{Type::Bool, 0, x > y};
    case BinaryOp::Ge: return ConstValue{Type::Bool, 0, x >= y};
    case BinaryOp::Eq: return ConstValue{Type::Bool, 0, x == y};
    case BinaryOp::Ne: return ConstValue{Type::Bool, 0, x != y};
    default: break;
    }
    return fail(b.range, "not a constant");
  }

  static ConstValue num(bool isInt, double v) {
    return isInt ? ConstValue{Type::I32, wrapI32(v)} : ConstValue{Type::F32, v};
  }

  std::optional<ConstValue> call(const CallExpr &c) {
    const std::string &f = c.callee;
    std::vector<ConstValue> args;
    for (const ExprPtr &a : c.args) {
      if (!a)
        return fail(c.range, "malformed call");
      auto v = eval(*a);
      if (!v)
        return v;
      args.push_back(*v);
    }
    auto arity = [&](size_t n) { return args.size() == n; };
    if (f == "select") {
      if (!arity(3) || args[0].type != Type::Bool)
        return fail(c.range, "select(c, a, b) needs a bool and two values");
      if (!join(args[1], args[2], c.range))
        return std::nullopt;
      return args[0].flag ? args[1] : args[2];
    }
    for (const ConstValue &a : args)
      if (a.type == Type::Bool)
        return fail(c.range, "`" + f + "` takes numbers, not bools");
    bool allInt = true;
    for (const ConstValue &a : args)
      allInt = allInt && a.type == Type::I32;
    if (f == "min" || f == "max") {
      if (!arity(2))
        return fail(c.range, "`" + f + "` takes two arguments");
      double v = f == "min" ? std::fmin(args[0].num, args[1].num)
                            : std::fmax(args[0].num, args[1].num);
      return ConstValue{allInt ? Type::I32 : Type::F32, v};
    }
    if (f == "pow") {
      if (!arity(2))
        return fail(c.range, "`pow` takes two arguments");
      return ConstValue{Type::F32, std::pow(args[0].num, args[1].num)};
    }
    if (!arity(1))
      return fail(c.range, "`" + f + "` takes one argument");
    double x = args[0].num;
    if (f == "abs") {
      if (allInt)
        return ConstValue{Type::I32, wrapI32(std::fabs(x))};
      return ConstValue{Type::F32, std::fabs(x)};
    }
    if (f == "f32") return ConstValue{Type::F32, x};
    if (f == "i32") return ConstValue{Type::I32, allInt ? x : truncToI32(x)};
    if (f == "exp") return ConstValue{Type::F32, std::exp(x)};
    if (f == "log") return ConstValue{Type::F32, std::log(x)};
    if (f == "exp2") return ConstValue{Type::F32, std::exp2(x)};
    if (f == "log2") return ConstValue{Type::F32, std::log2(x)};
    if (f == "tanh") return ConstValue{Type::F32, std::tanh(x)};
    if (f == "sigmoid") return ConstValue{Type::F32, 1.0 / (1.0 + std::exp(-x))};
    if (f == "sqrt") return ConstValue{Type::F32, std::sqrt(x)};
    if (f == "rsqrt") return ConstValue{Type::F32, 1.0 / std::sqrt(x)};
    return fail(c.calleeRange, "`" + f + "` is not a function that can be evaluated");
  }
};

} // namespace

ConstResult evaluateConstant(const Expr &e) {
  Evaluator ev;
  ev.result.value = ev.eval(e);
  if (ev.result.value)
    ev.result.why.clear();
  else if (ev.result.why.empty())
    ev.result.why = "not a constant";
  return std::move(ev.result);
}

} // namespace attn::dsl
