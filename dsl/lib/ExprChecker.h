//===- ExprChecker.h - Types one expression tree in place -------*- C++ -*-===//
#ifndef ATTN_DSL_LIB_EXPRCHECKER_H
#define ATTN_DSL_LIB_EXPRCHECKER_H

#include "Parser.h"

#include "attn/dsl/AST.h"
#include "attn/dsl/Diagnostics.h"

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace attn::dsl {

/// Where an expression sits: a hook (built-ins are checked against it) or a
/// let (any built-in may be read; the hooks that use the let check them).
/// Params and lets by name (the first declaration wins), so a lookup does
/// not scan every declaration: files with thousands of lets stay linear.
struct NameIndex {
  std::unordered_map<std::string, size_t> params;
  std::unordered_map<std::string, size_t> lets;
  explicit NameIndex(const VariantDecl &v) {
    for (size_t i = 0; i < v.params.size(); ++i)
      params.emplace(v.params[i]->name, i);
    for (size_t i = 0; i < v.lets.size(); ++i)
      lets.emplace(v.lets[i]->name, i);
  }
};

struct ExprContext {
  const NameIndex *names = nullptr; ///< required
  std::optional<HookKind> hook;
  /// The let being checked, and how many lets precede it (those it may read).
  const LetDecl *let = nullptr;
  size_t visibleLets = 0;
};

class ExprChecker {
public:
  ExprChecker(VariantDecl &variant, const VariantParseInfo &info, const SourceFile &file,
              DiagnosticEngine &diags, ExprContext ctx)
      : v_(variant), info_(info), file_(file), diags_(diags), ctx_(ctx) {}

  /// Types `slot` (which may be replaced by a ConvertExpr wrapper later by the
  /// caller); returns its type, Error after a reported problem.
  Type check(ExprPtr &slot);

  /// Built-ins read directly or through lets, in enum order.
  std::vector<Builtin> builtinsUsed() const {
    return std::vector<Builtin>(used_.begin(), used_.end());
  }

private:
  Type checkName(NameExpr &n);
  Type checkUnary(UnaryExpr &u);
  Type checkBinary(BinaryExpr &b);
  Type checkCall(CallExpr &c);
  Type checkIndex(IndexExpr &i);
  Type checkIf(IfExpr &i);
  /// Brings two operands to one type (i32 promotes to f32); Error on a
  /// bool/number mix, reported with `what` naming the construct.
  Type unify(ExprPtr &a, ExprPtr &b, SourceRange where, const std::string &what);
  /// Requires a number (bool is an error naming `what`), optionally promoting to f32.
  bool requireNumber(ExprPtr &e, const std::string &what, bool toF32);
  bool useBuiltin(Builtin b, SourceRange where, const std::string &via);
  std::vector<std::string> nameCandidates() const;

  VariantDecl &v_;
  const VariantParseInfo &info_;
  const SourceFile &file_;
  DiagnosticEngine &diags_;
  ExprContext ctx_;
  std::set<Builtin> used_;
};

/// Wraps `e` in an i32 -> f32 conversion when it is an i32.
void promoteToF32(ExprPtr &e);

/// Names that neither params nor lets may take.
bool isReservedName(const std::string &name, std::string &what);
std::optional<Function> functionByName(std::string_view name);
std::optional<Builtin> builtinByName(std::string_view name);

} // namespace attn::dsl

#endif
