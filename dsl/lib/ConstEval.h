//===- ConstEval.h - Compile-time evaluation of expressions -----*- C++ -*-===//
//
// Folds an expression that has no free variables (no built-ins, no params)
// to a value, with the language's own semantics (i32 wraps, x / 0 = 0,
// x % 0 = x, i32() truncates and saturates). The parser uses it for config
// values (scale, rope theta, param defaults); Sema uses it to spot masks
// that are constant. Works on typed and untyped trees alike: it derives
// types itself and follows let bindings that Sema resolved.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_LIB_CONSTEVAL_H
#define ATTN_DSL_LIB_CONSTEVAL_H

#include "attn/dsl/AST.h"

#include <optional>
#include <string>

namespace attn::dsl {

struct ConstValue {
  Type type = Type::Error;
  double num = 0; ///< i32 and f32 values (an i32 is exact in a double)
  bool flag = false; ///< bool values
};

struct ConstResult {
  std::optional<ConstValue> value;
  SourceRange culprit; ///< when not constant: the subexpression that is not
  std::string why;     ///< when not constant: a short reason
};

ConstResult evaluateConstant(const Expr &e);

} // namespace attn::dsl

#endif
