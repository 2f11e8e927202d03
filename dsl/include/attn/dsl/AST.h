//===- AST.h - The .attn abstract syntax tree -------------------*- C++ -*-===//
//
// The parser builds this tree; Sema resolves names and types in place and
// inserts explicit conversions, so consumers (the AST printer, MLIRGen) see a
// fully typed tree: every Expr has a non-Error `type` once Sema succeeded, and
// every int-to-float promotion is an explicit ConvertExpr.
//
// Kept deliberately simple (Toy style): a kind tag plus static_cast, no RTTI
// games, unique_ptr ownership.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_AST_H
#define ATTN_DSL_AST_H

#include "attn/dsl/SourceFile.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn::dsl {

//===----------------------------------------------------------------------===//
// Types and built-in names
//===----------------------------------------------------------------------===//

/// Value types of the expression language. `Error` marks a subtree whose type
/// could not be determined; Sema reports it once and stays quiet about it.
enum class Type { Error, Bool, I32, F32 };
const char *typeName(Type t);

/// Values a hook may read without declaring them (DESIGN.md section 1).
enum class Builtin {
  Score,  ///< f32: dot(q', k') * scale
  Logit,  ///< f32: logits(score) (weights hook only)
  QIdx,   ///< i32: query position, aligned to the end of the KV
  KVIdx,  ///< i32: key position
  Head,   ///< i32: query head
  KVHead, ///< i32: KV head = head / (Hq / Hkv)
  Batch,  ///< i32: request index
  QLen,   ///< i32: query rows of this request
  KVLen,  ///< i32: keys of this request
  Q,      ///< f32: one element of the query row (query hook)
  K,      ///< f32: one element of the key row (key hook)
  O,      ///< f32: one element of the normalized output row (output hook)
  Dim,    ///< i32: the element's index within its row (query/key/output)
};
const char *builtinName(Builtin b);
Type builtinType(Builtin b);

enum class HookKind { Logits, Mask, Weights, Query, Key, Output };
const char *hookName(HookKind k);
/// The built-ins hook `k` may read, in the order of the MLIR hook region's
/// block arguments (the dialect defines the same order; MLIRGen checks it).
const std::vector<Builtin> &hookBuiltins(HookKind k);
/// The type a hook's body must produce (Bool for mask, F32 otherwise).
Type hookResultType(HookKind k);

enum class DType { BF16, F16 };
enum class KVLayoutKind { Contiguous, Ragged, Paged, BlockSparse };
enum class Normalize { Softmax, None };

/// What a runtime array param is indexed by: `f32[heads]` has one entry per
/// query head, `[kv_heads]` per KV head, `[batch]` per request, `[tokens]` one
/// per KV position of each request (laid out ragged, indexable by q_idx and
/// kv_idx alike since queries share the KV's positions).
enum class ParamDomain { Scalar, Heads, KVHeads, Batch, Tokens };
const char *domainName(ParamDomain d);

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

enum class ExprKind {
  IntLit, FloatLit, BoolLit, Name, Unary, Binary, Call, Index, If, Convert
};

struct ParamDecl;
struct LetDecl;

struct Expr {
  ExprKind kind;
  SourceRange range;
  Type type = Type::Error; ///< set by Sema
  explicit Expr(ExprKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Expr() = default;
};
using ExprPtr = std::unique_ptr<Expr>;

struct IntLitExpr : Expr {
  int64_t value;
  IntLitExpr(SourceRange r, int64_t v) : Expr(ExprKind::IntLit, r), value(v) {}
};

struct FloatLitExpr : Expr {
  double value;
  FloatLitExpr(SourceRange r, double v) : Expr(ExprKind::FloatLit, r), value(v) {}
};

struct BoolLitExpr : Expr {
  bool value;
  BoolLitExpr(SourceRange r, bool v) : Expr(ExprKind::BoolLit, r), value(v) {}
};

/// A bare identifier. Sema resolves it to exactly one of: a built-in, a scalar
/// param, or a let binding (array params are only legal inside IndexExpr).
struct NameExpr : Expr {
  std::string name;
  std::optional<Builtin> builtin;
  const ParamDecl *param = nullptr;
  const LetDecl *let = nullptr;
  NameExpr(SourceRange r, std::string n) : Expr(ExprKind::Name, r), name(std::move(n)) {}
};

enum class UnaryOp { Neg, Not };
struct UnaryExpr : Expr {
  UnaryOp op;
  ExprPtr operand;
  UnaryExpr(SourceRange r, UnaryOp o, ExprPtr e)
      : Expr(ExprKind::Unary, r), op(o), operand(std::move(e)) {}
};

enum class BinaryOp { Add, Sub, Mul, Div, Rem, Lt, Le, Gt, Ge, Eq, Ne, And, Or };
const char *binaryOpSpelling(BinaryOp op);
struct BinaryExpr : Expr {
  BinaryOp op;
  SourceRange opRange;
  ExprPtr lhs, rhs;
  BinaryExpr(SourceRange r, BinaryOp o, SourceRange opr, ExprPtr l, ExprPtr rr)
      : Expr(ExprKind::Binary, r), op(o), opRange(opr), lhs(std::move(l)), rhs(std::move(rr)) {}
};

/// Built-in functions. `f32(x)` / `i32(x)` are casts; `select(c, a, b)`.
enum class Function {
  Min, Max, Abs, Exp, Log, Exp2, Log2, Tanh, Sigmoid, Sqrt, Rsqrt, Pow,
  Select, CastF32, CastI32
};
const char *functionName(Function f);

struct CallExpr : Expr {
  std::string callee;
  SourceRange calleeRange;
  std::vector<ExprPtr> args;
  std::optional<Function> function; ///< set by Sema
  CallExpr(SourceRange r, std::string c, SourceRange cr)
      : Expr(ExprKind::Call, r), callee(std::move(c)), calleeRange(cr) {}
};

/// `name[index]`: a read of a runtime array param.
struct IndexExpr : Expr {
  std::string array;
  SourceRange arrayRange;
  ExprPtr index;
  const ParamDecl *param = nullptr; ///< set by Sema
  IndexExpr(SourceRange r, std::string a, SourceRange ar, ExprPtr i)
      : Expr(ExprKind::Index, r), array(std::move(a)), arrayRange(ar), index(std::move(i)) {}
};

/// `if cond { a } else { b }` (also what `else if` chains desugar to).
struct IfExpr : Expr {
  ExprPtr cond, thenExpr, elseExpr;
  IfExpr(SourceRange r, ExprPtr c, ExprPtr t, ExprPtr e)
      : Expr(ExprKind::If, r), cond(std::move(c)), thenExpr(std::move(t)), elseExpr(std::move(e)) {}
};

/// An implicit i32 -> f32 promotion inserted by Sema (explicit casts are
/// CallExprs to `f32`/`i32`). Its range is the operand's.
struct ConvertExpr : Expr {
  ExprPtr operand;
  ConvertExpr(ExprPtr e, Type to)
      : Expr(ExprKind::Convert, e->range), operand(std::move(e)) { type = to; }
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

/// `param name : f32 = 1.0;`, `param slopes : f32[heads];`
struct ParamDecl {
  std::string name;
  SourceRange nameRange;
  SourceRange range;
  Type type = Type::F32;          ///< element type: I32 or F32
  ParamDomain domain = ParamDomain::Scalar;
  SourceRange domainRange;
  std::optional<double> defaultValue; ///< scalars only; an i32 default is integral
  SourceRange defaultRange;
  bool used = false;              ///< set by Sema (unused params warn)
};

/// `let name = expr;` at variant scope, visible to later lets and all hooks.
struct LetDecl {
  std::string name;
  SourceRange nameRange;
  SourceRange range;
  ExprPtr value;
  std::vector<Builtin> builtinsUsed; ///< set by Sema (transitively through lets)
  bool used = false;
};

/// `query = rope(theta = 10000.0, dims = 64, interleaved = false);`
/// `query = rope(q * 2.0, theta = 500000.0);` (elementwise first, then rotary)
struct RopeSpec {
  double theta = 10000.0;
  int64_t dims = 0;          ///< rotated leading dims; 0 = the whole head_dim
  bool interleaved = false;  ///< pairs (2i, 2i+1) instead of (i, i + dims/2)
  SourceRange range;
};

struct HookDecl {
  HookKind kind;
  SourceRange nameRange;
  SourceRange range;
  ExprPtr body;                  ///< null only for a bare `rope(...)`
  std::optional<RopeSpec> rope;  ///< query/key only
};

template <typename T> struct Setting {
  T value{};
  SourceRange range; ///< the whole `key = value;` item
  bool present = false;
};

struct KVLayout {
  KVLayoutKind kind = KVLayoutKind::Contiguous;
  int64_t pageSize = 0;   ///< paged
  int64_t blockQ = 0;     ///< block_sparse
  int64_t blockKV = 0;    ///< block_sparse
};

struct VariantDecl {
  std::string name;
  SourceRange nameRange;
  SourceRange range;
  Setting<int64_t> headDimQK;   ///< `head_dim = 128;` or `head_dim = 192 : 128;`
  Setting<int64_t> headDimVO;   ///< equals headDimQK unless given
  Setting<int64_t> numQHeads;   ///< `heads = 32 : 8;` (`heads = 32;` means MHA)
  Setting<int64_t> numKVHeads;
  Setting<DType> dtype;
  Setting<KVLayout> kv;
  Setting<double> scale;        ///< absent: 1/sqrt(head_dim_qk)
  Setting<Normalize> normalize;
  std::vector<std::unique_ptr<ParamDecl>> params;
  std::vector<std::unique_ptr<LetDecl>> lets;
  std::vector<HookDecl> hooks;

  const HookDecl *hook(HookKind k) const;
  const ParamDecl *param(const std::string &n) const;
  double effectiveScale() const;
};

struct Module {
  std::vector<std::unique_ptr<VariantDecl>> variants;
};

} // namespace attn::dsl

#endif
