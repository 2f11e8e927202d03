//===- MLIRGen.cpp - The checked .attn AST to the attn dialect ------------===//
//
// A direct, literal translation (Toy style): every source operator becomes
// one arith/math op, every `let` is re-emitted at each use, and the
// attn-simplify-hooks pass cleans up afterwards. Sema has already resolved
// names, checked types and made every int->float promotion explicit, so this
// file never has to guess a type.
//
//===----------------------------------------------------------------------===//
#include "attn/Frontend/MLIRGen.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace attn;

void attn::loadAttnDialects(MLIRContext &context) {
  context.loadDialect<AttnDialect, arith::ArithDialect, math::MathDialect,
                      scf::SCFDialect>();
}

namespace {

class MLIRGenImpl {
public:
  MLIRGenImpl(MLIRContext &context, const dsl::SourceFile &file)
      : builder(&context), file(file) {}

  OwningOpRef<ModuleOp> genModule(const dsl::Module &module) {
    auto moduleOp = ModuleOp::create(fileLoc({0, 0}));
    builder.setInsertionPointToEnd(moduleOp.getBody());
    for (const auto &variant : module.variants)
      if (!genVariant(*variant))
        return nullptr;
    if (failed(verify(moduleOp))) {
      moduleOp.emitError("internal error: MLIRGen produced invalid IR");
      return nullptr;
    }
    return moduleOp;
  }

private:
  OpBuilder builder;
  const dsl::SourceFile &file;
  /// The built-ins of the hook being emitted, by dsl::Builtin.
  DenseMap<unsigned, Value> builtinArgs;
  const dsl::VariantDecl *variant = nullptr;

  //===--------------------------------------------------------------------===//
  // Locations
  //===--------------------------------------------------------------------===//

  Location fileLoc(dsl::SourceRange range) {
    dsl::LineCol lc = file.lineCol(range.begin);
    return FileLineColLoc::get(builder.getContext(), file.name(), lc.line, lc.col);
  }

  /// The variant's location: its name, plus one NameLoc per config setting
  /// that was written, so attn-verify-config can point at `head_dim = ...`.
  Location variantLoc(const dsl::VariantDecl &v) {
    SmallVector<Location> locs{fileLoc(v.nameRange)};
    auto add = [&](StringRef key, bool present, dsl::SourceRange range) {
      if (present)
        locs.push_back(NameLoc::get(builder.getStringAttr(key), fileLoc(range)));
    };
    add("head_dim", v.headDimQK.present, v.headDimQK.range);
    add("heads", v.numQHeads.present, v.numQHeads.range);
    add("dtype", v.dtype.present, v.dtype.range);
    add("kv", v.kv.present, v.kv.range);
    add("scale", v.scale.present, v.scale.range);
    add("normalize", v.normalize.present, v.normalize.range);
    return FusedLoc::get(builder.getContext(), locs);
  }

  //===--------------------------------------------------------------------===//
  // Declarations
  //===--------------------------------------------------------------------===//

  bool genVariant(const dsl::VariantDecl &v) {
    variant = &v;
    MLIRContext *ctx = builder.getContext();
    Type dtype = v.dtype.value == dsl::DType::BF16 ? Type(builder.getBF16Type())
                                                   : Type(builder.getF16Type());
    KVLayout layout = toLayout(v.kv.value.kind);
    IntegerAttr pageSize, blockQ, blockKV;
    if (layout == KVLayout::paged)
      pageSize = builder.getI64IntegerAttr(v.kv.value.pageSize);
    if (layout == KVLayout::block_sparse) {
      blockQ = builder.getI64IntegerAttr(v.kv.value.blockQ);
      blockKV = builder.getI64IntegerAttr(v.kv.value.blockKV);
    }
    auto op = builder.create<VariantOp>(
        variantLoc(v), builder.getStringAttr(v.name),
        builder.getI64IntegerAttr(v.headDimQK.value),
        builder.getI64IntegerAttr(v.headDimVO.value),
        builder.getI64IntegerAttr(v.numQHeads.value),
        builder.getI64IntegerAttr(v.numKVHeads.value), TypeAttr::get(dtype),
        KVLayoutAttr::get(ctx, layout), pageSize, blockQ, blockKV,
        builder.getF64FloatAttr(v.effectiveScale()),
        NormalizeAttr::get(ctx, v.normalize.value == dsl::Normalize::None
                                    ? Normalize::none
                                    : Normalize::softmax));
    // createBlock moves the insertion point into the body; the guard puts it
    // back after the variant so the next one is its sibling.
    OpBuilder::InsertionGuard guard(builder);
    Block *body = builder.createBlock(&op.getBody());
    builder.setInsertionPointToEnd(body);
    for (const auto &param : v.params)
      genParam(*param);
    for (const auto &hook : v.hooks)
      if (!genHook(hook))
        return false;
    return true;
  }

  static KVLayout toLayout(dsl::KVLayoutKind kind) {
    switch (kind) {
    case dsl::KVLayoutKind::Contiguous: return KVLayout::contiguous;
    case dsl::KVLayoutKind::Ragged: return KVLayout::ragged;
    case dsl::KVLayoutKind::Paged: return KVLayout::paged;
    case dsl::KVLayoutKind::BlockSparse: return KVLayout::block_sparse;
    }
    return KVLayout::contiguous;
  }

  static ParamDomain toDomain(dsl::ParamDomain domain) {
    switch (domain) {
    case dsl::ParamDomain::Scalar: return ParamDomain::scalar;
    case dsl::ParamDomain::Heads: return ParamDomain::heads;
    case dsl::ParamDomain::KVHeads: return ParamDomain::kv_heads;
    case dsl::ParamDomain::Batch: return ParamDomain::batch;
    case dsl::ParamDomain::Tokens: return ParamDomain::tokens;
    }
    return ParamDomain::scalar;
  }

  static HookKind toHookKind(dsl::HookKind kind) {
    switch (kind) {
    case dsl::HookKind::Logits: return HookKind::logits;
    case dsl::HookKind::Mask: return HookKind::mask;
    case dsl::HookKind::Weights: return HookKind::weights;
    case dsl::HookKind::Query: return HookKind::query;
    case dsl::HookKind::Key: return HookKind::key;
    case dsl::HookKind::Output: return HookKind::output;
    }
    return HookKind::logits;
  }

  Type scalarType(dsl::Type t) {
    switch (t) {
    case dsl::Type::Bool: return builder.getI1Type();
    case dsl::Type::I32: return builder.getI32Type();
    case dsl::Type::F32: return builder.getF32Type();
    case dsl::Type::Error: break;
    }
    return builder.getF32Type();
  }

  void genParam(const dsl::ParamDecl &p) {
    Type type = scalarType(p.type);
    TypedAttr def;
    if (p.defaultValue) {
      if (p.type == dsl::Type::I32)
        def = builder.getI32IntegerAttr(static_cast<int32_t>(*p.defaultValue));
      else
        def = builder.getF32FloatAttr(static_cast<float>(*p.defaultValue));
    }
    builder.create<ParamOp>(fileLoc(p.nameRange), builder.getStringAttr(p.name),
                            TypeAttr::get(type),
                            ParamDomainAttr::get(builder.getContext(), toDomain(p.domain)),
                            def);
  }

  bool genHook(const dsl::HookDecl &h) {
    HookKind kind = toHookKind(h.kind);
    Location loc = fileLoc(h.nameRange);
    auto hook = builder.create<HookOp>(loc, HookKindAttr::get(builder.getContext(), kind),
                                       FloatAttr(), IntegerAttr(), UnitAttr());
    if (h.rope) {
      hook.setRopeThetaAttr(builder.getF64FloatAttr(h.rope->theta));
      if (h.rope->dims != 0)
        hook.setRopeDimsAttr(builder.getI64IntegerAttr(h.rope->dims));
      if (h.rope->interleaved)
        hook.setRopeInterleavedAttr(builder.getUnitAttr());
    }
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (const HookArg &arg : getHookSignature(kind)) {
      argTypes.push_back(arg.isFloat ? Type(builder.getF32Type())
                                     : Type(builder.getI32Type()));
      argLocs.push_back(loc);
    }
    OpBuilder::InsertionGuard guard(builder);
    Block *block = builder.createBlock(&hook.getBody(), {}, argTypes, argLocs);

    // The dsl's table of readable built-ins and the dialect's signature are
    // two views of one contract; a mismatch is a bug in attnc, not the user's.
    builtinArgs.clear();
    for (dsl::Builtin b : dsl::hookBuiltins(h.kind)) {
      int idx = findHookArg(kind, dsl::builtinName(b));
      if (idx < 0) {
        emitError(loc) << "internal error: built-in `" << dsl::builtinName(b)
                       << "` has no block argument in the " << stringifyHookKind(kind)
                       << " hook";
        return false;
      }
      builtinArgs[static_cast<unsigned>(b)] = block->getArgument(idx);
    }

    Value result;
    if (h.body) {
      result = genExpr(*h.body);
    } else {
      // A bare `rope(...)`: the elementwise part is the identity.
      result = block->getArgument(0);
    }
    if (!result)
      return false;
    result = coerce(result, getHookResultType(kind, builder.getContext()), loc);
    builder.create<YieldOp>(loc, result);
    return true;
  }

  /// Sema guarantees a hook body has its hook's type, except that an i32 body
  /// of an f32 hook is promoted here.
  Value coerce(Value v, Type to, Location loc) {
    if (v.getType() == to)
      return v;
    if (v.getType().isInteger(32) && to.isF32())
      return builder.create<arith::SIToFPOp>(loc, to, v);
    return v;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  Value constI32(Location loc, int64_t v) {
    return builder.create<arith::ConstantIntOp>(loc, v, 32);
  }
  Value constF32(Location loc, double v) {
    return builder.create<arith::ConstantFloatOp>(loc, APFloat(static_cast<float>(v)),
                                                  builder.getF32Type());
  }

  Value genExpr(const dsl::Expr &e) {
    Location loc = fileLoc(e.range);
    switch (e.kind) {
    case dsl::ExprKind::IntLit:
      return constI32(loc, static_cast<const dsl::IntLitExpr &>(e).value);
    case dsl::ExprKind::FloatLit:
      return constF32(loc, static_cast<const dsl::FloatLitExpr &>(e).value);
    case dsl::ExprKind::BoolLit:
      return builder.create<arith::ConstantIntOp>(
          loc, static_cast<const dsl::BoolLitExpr &>(e).value ? 1 : 0, 1);
    case dsl::ExprKind::Name:
      return genName(static_cast<const dsl::NameExpr &>(e), loc);
    case dsl::ExprKind::Unary:
      return genUnary(static_cast<const dsl::UnaryExpr &>(e), loc);
    case dsl::ExprKind::Binary:
      return genBinary(static_cast<const dsl::BinaryExpr &>(e), loc);
    case dsl::ExprKind::Call:
      return genCall(static_cast<const dsl::CallExpr &>(e), loc);
    case dsl::ExprKind::Index:
      return genIndex(static_cast<const dsl::IndexExpr &>(e), loc);
    case dsl::ExprKind::If:
      return genIf(static_cast<const dsl::IfExpr &>(e), loc);
    case dsl::ExprKind::Convert: {
      Value v = genExpr(*static_cast<const dsl::ConvertExpr &>(e).operand);
      return v ? coerce(v, builder.getF32Type(), loc) : v;
    }
    }
    return internalError(loc, "unknown expression kind");
  }

  Value internalError(Location loc, const char *what) {
    emitError(loc) << "internal error in MLIRGen: " << what;
    return nullptr;
  }

  Value genName(const dsl::NameExpr &e, Location loc) {
    if (e.builtin) {
      Value v = builtinArgs.lookup(static_cast<unsigned>(*e.builtin));
      return v ? v : internalError(loc, "built-in not available in this hook");
    }
    if (e.param)
      return builder.create<GetParamOp>(loc, scalarType(e.param->type),
                                        SymbolRefAttr::get(builder.getContext(),
                                                           e.param->name));
    if (e.let)
      return genExpr(*e.let->value);
    return internalError(loc, "unresolved name");
  }

  Value genUnary(const dsl::UnaryExpr &e, Location loc) {
    Value x = genExpr(*e.operand);
    if (!x)
      return x;
    if (e.op == dsl::UnaryOp::Not)
      return builder.create<arith::XOrIOp>(
          loc, x, builder.create<arith::ConstantIntOp>(loc, 1, 1));
    if (x.getType().isF32())
      return builder.create<arith::NegFOp>(loc, x);
    return builder.create<arith::SubIOp>(loc, constI32(loc, 0), x);
  }

  Value genBinary(const dsl::BinaryExpr &e, Location loc) {
    Value l = genExpr(*e.lhs);
    Value r = l ? genExpr(*e.rhs) : Value();
    if (!l || !r)
      return nullptr;
    bool isFloat = l.getType().isF32();
    using BO = dsl::BinaryOp;
    switch (e.op) {
    case BO::Add:
      return isFloat ? Value(builder.create<arith::AddFOp>(loc, l, r))
                     : Value(builder.create<arith::AddIOp>(loc, l, r));
    case BO::Sub:
      return isFloat ? Value(builder.create<arith::SubFOp>(loc, l, r))
                     : Value(builder.create<arith::SubIOp>(loc, l, r));
    case BO::Mul:
      return isFloat ? Value(builder.create<arith::MulFOp>(loc, l, r))
                     : Value(builder.create<arith::MulIOp>(loc, l, r));
    case BO::Div:
      return isFloat ? Value(builder.create<arith::DivFOp>(loc, l, r))
                     : guardedIntDivision(loc, l, r, /*isRem=*/false);
    case BO::Rem:
      return guardedIntDivision(loc, l, r, /*isRem=*/true);
    case BO::And:
      return builder.create<arith::AndIOp>(loc, l, r);
    case BO::Or:
      return builder.create<arith::OrIOp>(loc, l, r);
    default:
      return genCompare(e.op, loc, l, r);
    }
  }

  /// The language defines x / 0 = 0 and x % 0 = x (no trap on the GPU, no UB
  /// in the IR): divide by a divisor forced to 1 when it is 0, then select.
  Value guardedIntDivision(Location loc, Value l, Value r, bool isRem) {
    Value zero = constI32(loc, 0);
    Value isZero = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, r, zero);
    Value safe = builder.create<arith::SelectOp>(loc, isZero, constI32(loc, 1), r);
    Value q = isRem ? Value(builder.create<arith::RemSIOp>(loc, l, safe))
                    : Value(builder.create<arith::DivSIOp>(loc, l, safe));
    return builder.create<arith::SelectOp>(loc, isZero, isRem ? l : zero, q);
  }

  Value genCompare(dsl::BinaryOp op, Location loc, Value l, Value r) {
    using BO = dsl::BinaryOp;
    if (l.getType().isF32()) {
      // Ordered predicates, except != which is true when either side is NaN
      // (the C and CUDA meaning of !=).
      arith::CmpFPredicate p;
      switch (op) {
      case BO::Lt: p = arith::CmpFPredicate::OLT; break;
      case BO::Le: p = arith::CmpFPredicate::OLE; break;
      case BO::Gt: p = arith::CmpFPredicate::OGT; break;
      case BO::Ge: p = arith::CmpFPredicate::OGE; break;
      case BO::Eq: p = arith::CmpFPredicate::OEQ; break;
      case BO::Ne: p = arith::CmpFPredicate::UNE; break;
      default: return internalError(loc, "bad float comparison");
      }
      return builder.create<arith::CmpFOp>(loc, p, l, r);
    }
    arith::CmpIPredicate p;
    switch (op) {
    case BO::Lt: p = arith::CmpIPredicate::slt; break;
    case BO::Le: p = arith::CmpIPredicate::sle; break;
    case BO::Gt: p = arith::CmpIPredicate::sgt; break;
    case BO::Ge: p = arith::CmpIPredicate::sge; break;
    case BO::Eq: p = arith::CmpIPredicate::eq; break;
    case BO::Ne: p = arith::CmpIPredicate::ne; break;
    default: return internalError(loc, "bad integer comparison");
    }
    return builder.create<arith::CmpIOp>(loc, p, l, r);
  }

  Value genCall(const dsl::CallExpr &e, Location loc) {
    SmallVector<Value, 3> args;
    for (const auto &arg : e.args) {
      Value v = genExpr(*arg);
      if (!v)
        return nullptr;
      args.push_back(v);
    }
    if (!e.function)
      return internalError(loc, "unresolved function");
    auto arity = [&](size_t n) { return args.size() == n; };
    using F = dsl::Function;
    switch (*e.function) {
    case F::Min:
    case F::Max: {
      if (!arity(2))
        break;
      bool isMin = *e.function == F::Min;
      if (args[0].getType().isF32())
        return isMin ? Value(builder.create<arith::MinimumFOp>(loc, args[0], args[1]))
                     : Value(builder.create<arith::MaximumFOp>(loc, args[0], args[1]));
      return isMin ? Value(builder.create<arith::MinSIOp>(loc, args[0], args[1]))
                   : Value(builder.create<arith::MaxSIOp>(loc, args[0], args[1]));
    }
    case F::Abs:
      if (!arity(1))
        break;
      return args[0].getType().isF32() ? Value(builder.create<math::AbsFOp>(loc, args[0]))
                                       : Value(builder.create<math::AbsIOp>(loc, args[0]));
    case F::Exp: if (arity(1)) return builder.create<math::ExpOp>(loc, args[0]); break;
    case F::Log: if (arity(1)) return builder.create<math::LogOp>(loc, args[0]); break;
    case F::Exp2: if (arity(1)) return builder.create<math::Exp2Op>(loc, args[0]); break;
    case F::Log2: if (arity(1)) return builder.create<math::Log2Op>(loc, args[0]); break;
    case F::Tanh: if (arity(1)) return builder.create<math::TanhOp>(loc, args[0]); break;
    case F::Sqrt: if (arity(1)) return builder.create<math::SqrtOp>(loc, args[0]); break;
    case F::Rsqrt: if (arity(1)) return builder.create<math::RsqrtOp>(loc, args[0]); break;
    case F::Pow: if (arity(2)) return builder.create<math::PowFOp>(loc, args[0], args[1]); break;
    case F::Sigmoid: {
      if (!arity(1))
        break;
      // 1 / (1 + exp(-x)): math has no sigmoid op; the emitter may pattern-match it.
      Value neg = builder.create<arith::NegFOp>(loc, args[0]);
      Value ex = builder.create<math::ExpOp>(loc, neg);
      Value one = constF32(loc, 1.0);
      Value den = builder.create<arith::AddFOp>(loc, one, ex);
      return builder.create<arith::DivFOp>(loc, one, den);
    }
    case F::Select:
      if (arity(3))
        return builder.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
      break;
    case F::CastF32:
      if (arity(1))
        return coerce(args[0], builder.getF32Type(), loc);
      break;
    case F::CastI32:
      if (!arity(1))
        break;
      if (args[0].getType().isF32())
        return builder.create<arith::FPToSIOp>(loc, builder.getI32Type(), args[0]);
      return args[0];
    }
    return internalError(loc, "wrong number of arguments to a built-in function");
  }

  Value genIndex(const dsl::IndexExpr &e, Location loc) {
    if (!e.param)
      return internalError(loc, "unresolved array");
    Value index = genExpr(*e.index);
    if (!index)
      return nullptr;
    return builder.create<LoadParamOp>(
        loc, scalarType(e.param->type),
        SymbolRefAttr::get(builder.getContext(), e.param->name), index);
  }

  Value genIf(const dsl::IfExpr &e, Location loc) {
    Value cond = genExpr(*e.cond);
    if (!cond)
      return nullptr;
    Type type = scalarType(e.type);
    auto ifOp = builder.create<scf::IfOp>(loc, TypeRange{type}, cond,
                                          /*addThenBlock=*/true, /*addElseBlock=*/true);
    auto fill = [&](Block *block, const dsl::Expr &branch) -> bool {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(block);
      Value v = genExpr(branch);
      if (!v)
        return false;
      builder.create<scf::YieldOp>(loc, coerce(v, type, loc));
      return true;
    };
    if (!fill(ifOp.thenBlock(), *e.thenExpr) || !fill(ifOp.elseBlock(), *e.elseExpr))
      return nullptr;
    return ifOp.getResult(0);
  }
};

} // namespace

OwningOpRef<ModuleOp> attn::mlirGen(MLIRContext &context, const dsl::Module &module,
                                    const dsl::SourceFile &file) {
  loadAttnDialects(context);
  return MLIRGenImpl(context, file).genModule(module);
}
