//===- ExprChecker.cpp - Types one expression tree in place ---------------===//
//
// The rules, in short: i32 and f32 mix by promoting the i32 (an explicit
// ConvertExpr is inserted, so consumers never promote on their own); bool
// never converts to or from a number; `%` is i32 only; conditions are bool.
//
//===----------------------------------------------------------------------===//
#include "ExprChecker.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace attn::dsl {

namespace {

constexpr Function kFunctions[] = {
    Function::Min,  Function::Max,     Function::Abs,  Function::Exp,    Function::Log,
    Function::Exp2, Function::Log2,    Function::Tanh, Function::Sigmoid, Function::Sqrt,
    Function::Rsqrt, Function::Pow,    Function::Select, Function::CastF32, Function::CastI32};

constexpr Builtin kBuiltins[] = {
    Builtin::Score, Builtin::Logit, Builtin::QIdx,  Builtin::KVIdx, Builtin::Head,
    Builtin::KVHead, Builtin::Batch, Builtin::QLen, Builtin::KVLen, Builtin::Q,
    Builtin::K,     Builtin::O,     Builtin::Dim};

std::string quoted(const std::string &s) { return "`" + s + "`"; }

std::string availableList(HookKind k) {
  std::string s;
  for (Builtin b : hookBuiltins(k)) {
    if (!s.empty())
      s += ", ";
    s += builtinName(b);
  }
  return s;
}

std::string sourceText(const SourceFile &f, SourceRange r) {
  std::string_view t = f.text();
  if (r.begin >= t.size() || r.end <= r.begin)
    return {};
  return std::string(t.substr(r.begin, std::min<size_t>(r.end - r.begin, 40)));
}

} // namespace

std::optional<Function> functionByName(std::string_view name) {
  for (Function f : kFunctions)
    if (name == functionName(f))
      return f;
  return std::nullopt;
}

std::optional<Builtin> builtinByName(std::string_view name) {
  for (Builtin b : kBuiltins)
    if (name == builtinName(b))
      return b;
  return std::nullopt;
}

bool isReservedName(const std::string &name, std::string &what) {
  if (builtinByName(name)) {
    what = "the built-in";
    return true;
  }
  if (functionByName(name) || name == "rope") {
    what = "the function";
    return true;
  }
  return false;
}

void promoteToF32(ExprPtr &e) {
  if (e && e->type == Type::I32)
    e = std::make_unique<ConvertExpr>(std::move(e), Type::F32);
}

std::vector<std::string> ExprChecker::nameCandidates() const {
  std::vector<std::string> c;
  for (Builtin b : kBuiltins)
    c.push_back(builtinName(b));
  for (Function f : kFunctions)
    c.push_back(functionName(f));
  for (const auto &p : v_.params)
    c.push_back(p->name);
  for (const auto &l : v_.lets)
    c.push_back(l->name);
  return c;
}

Type ExprChecker::check(ExprPtr &slot) {
  if (!slot)
    return Type::Error;
  Expr &e = *slot;
  Type t = Type::Error;
  switch (e.kind) {
  case ExprKind::IntLit: {
    auto &lit = static_cast<IntLitExpr &>(e);
    if (lit.value > 2147483647) {
      diags_.error(e.range, "integer literal `" + sourceText(file_, e.range) +
                                "` does not fit in i32",
                   "the largest i32 is 2147483647; write a float literal for larger values");
      break;
    }
    t = Type::I32;
    break;
  }
  case ExprKind::FloatLit: {
    double v = static_cast<FloatLitExpr &>(e).value;
    if (!(std::fabs(v) <= FLT_MAX)) {
      diags_.error(e.range, "float literal `" + sourceText(file_, e.range) +
                                "` is out of range for f32");
      break;
    }
    t = Type::F32;
    break;
  }
  case ExprKind::BoolLit: t = Type::Bool; break;
  case ExprKind::Name: t = checkName(static_cast<NameExpr &>(e)); break;
  case ExprKind::Unary: t = checkUnary(static_cast<UnaryExpr &>(e)); break;
  case ExprKind::Binary: t = checkBinary(static_cast<BinaryExpr &>(e)); break;
  case ExprKind::Call: t = checkCall(static_cast<CallExpr &>(e)); break;
  case ExprKind::Index: t = checkIndex(static_cast<IndexExpr &>(e)); break;
  case ExprKind::If: t = checkIf(static_cast<IfExpr &>(e)); break;
  case ExprKind::Convert: t = e.type; break;
  }
  slot->type = t;
  return t;
}

bool ExprChecker::useBuiltin(Builtin b, SourceRange where, const std::string &via) {
  if (!ctx_.hook) {
    used_.insert(b);
    return true;
  }
  const std::vector<Builtin> &ok = hookBuiltins(*ctx_.hook);
  if (std::find(ok.begin(), ok.end(), b) != ok.end()) {
    used_.insert(b);
    return true;
  }
  std::string hookS = hookName(*ctx_.hook);
  std::string msg = via.empty()
                        ? quoted(builtinName(b)) + " is not available in the " + quoted(hookS) +
                              " hook"
                        : quoted(via) + " reads " + quoted(builtinName(b)) +
                              ", which is not available in the " + quoted(hookS) + " hook";
  diags_.error(where, msg, "the " + quoted(hookS) + " hook can read: " + availableList(*ctx_.hook));
  return false;
}

Type ExprChecker::checkName(NameExpr &n) {
  if (auto b = builtinByName(n.name)) {
    n.builtin = *b;
    return useBuiltin(*b, n.range, {}) ? builtinType(*b) : Type::Error;
  }
  if (auto pit = ctx_.names->params.find(n.name); pit != ctx_.names->params.end()) {
    ParamDecl *p = v_.params[pit->second].get();
    p->used = true;
    if (p->domain != ParamDomain::Scalar) {
      diags_.error(n.range, "param " + quoted(n.name) + " is an array; index it",
                   std::string("e.g. `") + n.name + "[" +
                       (p->domain == ParamDomain::Heads     ? "head"
                        : p->domain == ParamDomain::KVHeads ? "kv_head"
                        : p->domain == ParamDomain::Batch   ? "batch"
                                                            : "kv_idx") +
                       "]`");
      return Type::Error;
    }
    n.param = p;
    return p->type;
  }
  if (auto lit = ctx_.names->lets.find(n.name); lit != ctx_.names->lets.end()) {
    size_t i = lit->second;
    LetDecl &l = *v_.lets[i];
    if (ctx_.let) {
      if (&l == ctx_.let) {
        diags_.error(n.range, "let " + quoted(n.name) + " refers to itself",
                     "a let cannot be recursive");
        return Type::Error;
      }
      if (i >= ctx_.visibleLets) {
        diags_.error(n.range, "let " + quoted(n.name) + " is used before it is defined",
                     "it is defined on line " +
                         std::to_string(file_.lineCol(l.nameRange.begin).line) +
                         "; move it above this let");
        return Type::Error;
      }
    }
    l.used = true;
    n.let = &l;
    bool ok = true;
    for (Builtin b : l.builtinsUsed)
      ok = useBuiltin(b, n.range, n.name) && ok;
    if (!ok || !l.value)
      return Type::Error;
    return l.value->type;
  }
  if (info_.failedNames.count(n.name))
    return Type::Error; // its declaration is already diagnosed
  if (functionByName(n.name) || n.name == "rope") {
    diags_.error(n.range, quoted(n.name) + " is a function", "call it: `" + n.name + "(...)`");
    return Type::Error;
  }
  // Past the error cap nobody reads the hint; skip the costly search.
  std::string m = diags_.errorCount() < DiagnosticEngine::kMaxErrors
                      ? closestMatch(n.name, nameCandidates())
                      : std::string();
  diags_.error(n.range, "unknown name " + quoted(n.name),
               m.empty() ? std::string() : "did you mean " + quoted(m) + "?");
  return Type::Error;
}

Type ExprChecker::checkUnary(UnaryExpr &u) {
  Type t = check(u.operand);
  if (t == Type::Error)
    return t;
  if (u.op == UnaryOp::Not) {
    if (t != Type::Bool) {
      diags_.error(u.operand->range, std::string("`!` needs a bool, got ") + typeName(t),
                   "compare instead, e.g. `x == 0`");
      return Type::Error;
    }
    return Type::Bool;
  }
  if (t == Type::Bool) {
    diags_.error(u.operand->range, "`-` needs a number, got bool", "use `!` to negate a bool");
    return Type::Error;
  }
  return t;
}

bool ExprChecker::requireNumber(ExprPtr &e, const std::string &what, bool toF32) {
  if (e->type == Type::Error)
    return false;
  if (e->type == Type::Bool) {
    diags_.error(e->range, what + " needs a number, got bool",
                 "a bool is never converted to a number; use `select(c, 1.0, 0.0)` or "
                 "`if c { 1.0 } else { 0.0 }`");
    return false;
  }
  if (toF32)
    promoteToF32(e);
  return true;
}

Type ExprChecker::unify(ExprPtr &a, ExprPtr &b, SourceRange where, const std::string &what) {
  if (a->type == Type::Error || b->type == Type::Error)
    return Type::Error;
  if (a->type == b->type)
    return a->type;
  if (a->type == Type::Bool || b->type == Type::Bool) {
    diags_.error(where, what + " mixes " + typeName(a->type) + " and " + typeName(b->type),
                 "a bool is never converted to a number; use `select(c, 1.0, 0.0)`");
    return Type::Error;
  }
  promoteToF32(a);
  promoteToF32(b);
  return Type::F32;
}

Type ExprChecker::checkBinary(BinaryExpr &b) {
  Type lt = check(b.lhs);
  Type rt = check(b.rhs);
  std::string op = quoted(binaryOpSpelling(b.op));
  if (lt == Type::Error || rt == Type::Error)
    return Type::Error;
  switch (b.op) {
  case BinaryOp::And:
  case BinaryOp::Or: {
    bool ok = true;
    for (ExprPtr *side : {&b.lhs, &b.rhs}) {
      if ((*side)->type != Type::Bool) {
        diags_.error((*side)->range,
                     op + " needs bool operands, got " + typeName((*side)->type),
                     "compare it, e.g. `x != 0`");
        ok = false;
        break;
      }
    }
    return ok ? Type::Bool : Type::Error;
  }
  case BinaryOp::Eq:
  case BinaryOp::Ne:
    return unify(b.lhs, b.rhs, b.opRange, "comparison " + op) == Type::Error ? Type::Error
                                                                            : Type::Bool;
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge: {
    for (ExprPtr *side : {&b.lhs, &b.rhs}) {
      if ((*side)->type == Type::Bool) {
        bool chained = (*side)->kind == ExprKind::Binary &&
                       static_cast<BinaryExpr &>(**side).op >= BinaryOp::Lt &&
                       static_cast<BinaryExpr &>(**side).op <= BinaryOp::Ne;
        diags_.error(b.opRange, op + " compares numbers, got bool",
                     chained ? "comparisons do not chain; write `a < b && b < c`"
                             : "bools are compared with `==` or `!=`");
        return Type::Error;
      }
    }
    return unify(b.lhs, b.rhs, b.opRange, op) == Type::Error ? Type::Error : Type::Bool;
  }
  case BinaryOp::Rem:
    if (lt == Type::Bool || rt == Type::Bool)
      break;
    if (lt != Type::I32 || rt != Type::I32) {
      diags_.error(b.opRange, op + " needs i32 operands, got " + typeName(lt) + " and " +
                                  typeName(rt),
                   "`%` is the integer remainder; convert with `i32(...)` first");
      return Type::Error;
    }
    return Type::I32;
  default:
    break;
  }
  // + - * / (and % on a bool, reported here).
  for (ExprPtr *side : {&b.lhs, &b.rhs}) {
    if ((*side)->type == Type::Bool) {
      diags_.error((*side)->range, "arithmetic " + op + " needs numbers, got bool",
                   "a bool is never converted to a number; use `select(c, 1.0, 0.0)` or "
                   "`if c { 1.0 } else { 0.0 }`");
      return Type::Error;
    }
  }
  return unify(b.lhs, b.rhs, b.opRange, op);
}

Type ExprChecker::checkCall(CallExpr &c) {
  for (ExprPtr &a : c.args)
    check(a);
  std::optional<Function> f = functionByName(c.callee);
  if (!f) {
    if (builtinByName(c.callee) || ctx_.names->params.count(c.callee)) {
      diags_.error(c.calleeRange, quoted(c.callee) + " is not a function");
      return Type::Error;
    }
    std::vector<std::string> names;
    for (Function fn : kFunctions)
      names.push_back(functionName(fn));
    std::string m = closestMatch(c.callee, names);
    diags_.error(c.calleeRange, "unknown function " + quoted(c.callee),
                 m.empty() ? "functions are min max abs exp log exp2 log2 tanh sigmoid sqrt "
                             "rsqrt pow select f32 i32"
                           : "did you mean " + quoted(m) + "?");
    return Type::Error;
  }
  c.function = *f;
  size_t want = (*f == Function::Select) ? 3 : (*f == Function::Min || *f == Function::Max || *f == Function::Pow) ? 2 : 1;
  if (c.args.size() != want) {
    diags_.error(c.range, quoted(c.callee) + " takes " + std::to_string(want) + " argument" +
                              (want == 1 ? "" : "s") + ", got " + std::to_string(c.args.size()));
    return Type::Error;
  }
  for (ExprPtr &a : c.args)
    if (a->type == Type::Error)
      return Type::Error;
  std::string what = quoted(c.callee);
  switch (*f) {
  case Function::Select:
    if (c.args[0]->type != Type::Bool) {
      diags_.error(c.args[0]->range,
                   std::string("the condition of `select` must be bool, got ") +
                       typeName(c.args[0]->type),
                   "compare it, e.g. `x != 0`");
      return Type::Error;
    }
    return unify(c.args[1], c.args[2], c.range, "`select`");
  case Function::Min:
  case Function::Max: {
    if (!requireNumber(c.args[0], what, false) || !requireNumber(c.args[1], what, false))
      return Type::Error;
    return unify(c.args[0], c.args[1], c.range, what);
  }
  case Function::Abs:
    return requireNumber(c.args[0], what, false) ? c.args[0]->type : Type::Error;
  case Function::CastF32:
    return requireNumber(c.args[0], what, false) ? Type::F32 : Type::Error;
  case Function::CastI32:
    return requireNumber(c.args[0], what, false) ? Type::I32 : Type::Error;
  default: {
    bool ok = true;
    for (ExprPtr &a : c.args)
      ok = requireNumber(a, what, true) && ok;
    return ok ? Type::F32 : Type::Error;
  }
  }
}

Type ExprChecker::checkIndex(IndexExpr &i) {
  Type it = check(i.index);
  ParamDecl *p = nullptr;
  if (auto pit = ctx_.names->params.find(i.array); pit != ctx_.names->params.end())
    p = v_.params[pit->second].get();
  if (!p) {
    if (info_.failedNames.count(i.array))
      return Type::Error;
    bool isLet = ctx_.names->lets.count(i.array) != 0;
    if (builtinByName(i.array) || isLet) {
      diags_.error(i.arrayRange, quoted(i.array) + " is not an array",
                   "only array params (`param x : f32[heads];`) can be indexed");
      return Type::Error;
    }
    std::vector<std::string> arrays;
    if (diags_.errorCount() < DiagnosticEngine::kMaxErrors)
      for (const auto &decl : v_.params)
        if (decl->domain != ParamDomain::Scalar)
          arrays.push_back(decl->name);
    std::string m = closestMatch(i.array, arrays);
    diags_.error(i.arrayRange, "unknown array " + quoted(i.array),
                 m.empty() ? "declare it, e.g. `param " + i.array + " : f32[heads];`"
                           : "did you mean " + quoted(m) + "?");
    return Type::Error;
  }
  p->used = true;
  if (p->domain == ParamDomain::Scalar) {
    diags_.error(i.arrayRange, "param " + quoted(i.array) + " is a scalar, not an array",
                 "use it without an index, or declare it `" + i.array + " : " +
                     typeName(p->type) + "[heads]`");
    return Type::Error;
  }
  i.param = p;
  if (it == Type::Error)
    return Type::Error;
  if (it != Type::I32) {
    diags_.error(i.index->range, std::string("an array index must be i32, got ") + typeName(it),
                 it == Type::F32 ? "convert it with `i32(...)`" : std::string());
    return Type::Error;
  }
  return p->type;
}

Type ExprChecker::checkIf(IfExpr &i) {
  Type ct = check(i.cond);
  check(i.thenExpr);
  check(i.elseExpr);
  if (ct == Type::Error)
    return Type::Error;
  if (ct != Type::Bool) {
    diags_.error(i.cond->range, std::string("an `if` condition must be bool, got ") + typeName(ct),
                 "compare it, e.g. `x != 0`");
    return Type::Error;
  }
  return unify(i.thenExpr, i.elseExpr, i.range, "`if`");
}

} // namespace attn::dsl
