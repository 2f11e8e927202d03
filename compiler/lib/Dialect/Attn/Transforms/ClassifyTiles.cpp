//===- ClassifyTiles.cpp - Tile classifier from the mask ------------------===//
//
// Abstract interpretation of the mask hook over intervals, *emitted as IR*:
// the classifier runs at kernel/planner time with the actual tile bounds and
// param values, so every abstract operation becomes a few arith ops in the
// generated attn.tile_classifier.
//
// Abstract domains, per mask value:
//   i32 -> [lo, hi] as two i64 SSA values. i64 lets a bound leave the i32
//          range visibly; such an interval is widened to the full i32 range,
//          which is sound for the wrapping semantics of the hooks.
//   i1  -> (mayBeFalse, mayBeTrue) as two i1 SSA values.
//   f32 -> unknown. Only integer masks need to be exact; anything a float
//          decides is answered "maybe" (sound, hence partial).
//
// Every transfer function is exact for independent operands; the masks the
// design lists (causal, window, prefix-LM, chunked and their conjunctions)
// only combine atoms that each depend on one affine form of q_idx and kv_idx,
// and for those the conjunction/disjunction of the atoms' answers is exact.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"

#include <limits>

namespace attn {
#define GEN_PASS_DEF_ATTNCLASSIFYTILES
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

/// Inclusive bounds of an i32 value, as i64 SSA values.
struct Interval {
  Value lo, hi;
};

/// What an i1 value may be over the tile, as i1 SSA values.
struct Truth {
  Value mayFalse, mayTrue;
};

/// The abstract value of one mask SSA value.
struct Abstract {
  enum class Kind { Int, Bool, Unknown };
  Kind kind = Kind::Unknown;
  Interval range;
  Truth truth;
  static Abstract ofInt(Interval r) { return {Kind::Int, r, {}}; }
  static Abstract ofBool(Truth t) { return {Kind::Bool, {}, t}; }
  static Abstract unknown() { return {}; }
};

bool isI1(Type t) { return t.isInteger(1); }
bool isI32(Type t) { return t.isInteger(32); }

/// Builds the classifier body while walking the mask.
class ClassifierEmitter {
public:
  ClassifierEmitter(attn::VariantOp variant, OpBuilder &builder, Location loc,
                    Block &classifier)
      : variant_(variant), b_(builder), loc_(loc), args_(classifier) {}

  /// Emits the classification of `mask` and returns the i32 class.
  Value classify(attn::HookOp mask);

private:
  // --- emission helpers -------------------------------------------------
  Value i64(int64_t v) {
    return b_.create<arith::ConstantIntOp>(loc_, v, 64);
  }
  Value flag(bool v) { return b_.create<arith::ConstantIntOp>(loc_, v, 1); }
  Value cmp(arith::CmpIPredicate p, Value a, Value c) {
    return b_.create<arith::CmpIOp>(loc_, p, a, c);
  }
  Value lt(Value a, Value c) { return cmp(arith::CmpIPredicate::slt, a, c); }
  Value le(Value a, Value c) { return cmp(arith::CmpIPredicate::sle, a, c); }
  Value eq(Value a, Value c) { return cmp(arith::CmpIPredicate::eq, a, c); }
  Value min(Value a, Value c) { return b_.create<arith::MinSIOp>(loc_, a, c); }
  Value max(Value a, Value c) { return b_.create<arith::MaxSIOp>(loc_, a, c); }
  Value add(Value a, Value c) { return b_.create<arith::AddIOp>(loc_, a, c); }
  Value sub(Value a, Value c) { return b_.create<arith::SubIOp>(loc_, a, c); }
  Value mul(Value a, Value c) { return b_.create<arith::MulIOp>(loc_, a, c); }
  Value sel(Value c, Value t, Value f) {
    return b_.create<arith::SelectOp>(loc_, c, t, f);
  }
  Value both(Value a, Value c) { return b_.create<arith::AndIOp>(loc_, a, c); }
  Value either(Value a, Value c) { return b_.create<arith::OrIOp>(loc_, a, c); }
  Value negate(Value a) { return b_.create<arith::XOrIOp>(loc_, a, flag(true)); }
  Value widen(Value i32) {
    return b_.create<arith::ExtSIOp>(loc_, b_.getI64Type(), i32);
  }
  Value isPoint(Interval r) { return eq(r.lo, r.hi); }

  Interval point(Value v64) { return {v64, v64}; }
  Interval fullI32() { return {i64(kI32Min), i64(kI32Max)}; }
  Truth anyTruth() { return {flag(true), flag(true)}; }
  Abstract top(Type t);
  Interval clampToI32(Value lo, Value hi);
  Interval join(Truth cond, Interval t, Interval f);
  Truth join(Truth cond, Truth t, Truth f);
  Abstract join(Truth cond, const Abstract &t, const Abstract &f, Type type);

  // --- the walk ---------------------------------------------------------
  bool interpretBlock(Block &block, SmallVectorImpl<Abstract> &yielded);
  void interpret(Operation &op);
  Abstract lookup(Value v);
  void bindArguments(attn::HookOp mask);

  // --- transfer functions -------------------------------------------------
  Abstract transferConstant(arith::ConstantOp op);
  Abstract transferIntBinary(Operation &op, Interval a, Interval c);
  Interval divide(Interval x, Interval d);
  Interval remainder(Interval x, Interval d);
  Interval times(Interval a, Interval c);
  Interval absolute(Interval a);
  Truth compare(arith::CmpIPredicate pred, Interval a, Interval c);
  Interval asUnsigned(Interval a);
  Abstract transferBoolBinary(Operation &op, Truth a, Truth c);
  Abstract transferCast(Operation &op, const Abstract &in);
  Abstract transferLoadParam(attn::LoadParamOp op, const Abstract &index);
  void transferIf(scf::IfOp op);

  attn::VariantOp variant_;
  OpBuilder &b_;
  Location loc_;
  Block &args_;
  DenseMap<Value, Abstract> env_;
  /// Whether the region being walked may run for some pair of the tile
  /// (false inside a branch the analysis proved untaken). Guards the array
  /// reads the classifier emits, which must never read out of bounds.
  Value reach_;
};

Abstract ClassifierEmitter::top(Type t) {
  if (isI32(t))
    return Abstract::ofInt(fullI32());
  if (isI1(t))
    return Abstract::ofBool(anyTruth());
  return Abstract::unknown();
}

/// A result bound outside i32 means the concrete op may have wrapped: only
/// the full range is then sound.
Interval ClassifierEmitter::clampToI32(Value lo, Value hi) {
  Value overflow = either(lt(lo, i64(kI32Min)), lt(i64(kI32Max), hi));
  return {sel(overflow, i64(kI32Min), lo), sel(overflow, i64(kI32Max), hi)};
}

/// The hull of the sides `cond` may pick. At least one of the flags is true
/// for a well-formed Truth; the sentinels only matter for the unpicked side.
Interval ClassifierEmitter::join(Truth cond, Interval t, Interval f) {
  Value big = i64(std::numeric_limits<int64_t>::max());
  Value small = i64(std::numeric_limits<int64_t>::min());
  Value lo = min(sel(cond.mayTrue, t.lo, big), sel(cond.mayFalse, f.lo, big));
  Value hi = max(sel(cond.mayTrue, t.hi, small), sel(cond.mayFalse, f.hi, small));
  return {lo, hi};
}

Truth ClassifierEmitter::join(Truth cond, Truth t, Truth f) {
  return {either(both(cond.mayTrue, t.mayFalse), both(cond.mayFalse, f.mayFalse)),
          either(both(cond.mayTrue, t.mayTrue), both(cond.mayFalse, f.mayTrue))};
}

Abstract ClassifierEmitter::join(Truth cond, const Abstract &t,
                                 const Abstract &f, Type type) {
  if (t.kind == Abstract::Kind::Int && f.kind == Abstract::Kind::Int)
    return Abstract::ofInt(join(cond, t.range, f.range));
  if (t.kind == Abstract::Kind::Bool && f.kind == Abstract::Kind::Bool)
    return Abstract::ofBool(join(cond, t.truth, f.truth));
  return top(type);
}

//===----------------------------------------------------------------------===//
// Walk
//===----------------------------------------------------------------------===//

Value ClassifierEmitter::classify(attn::HookOp mask) {
  reach_ = flag(true);
  bindArguments(mask);
  SmallVector<Abstract, 1> yielded;
  Truth result = anyTruth();
  if (interpretBlock(mask.getBlock(), yielded) && yielded.size() == 1 &&
      yielded[0].kind == Abstract::Kind::Bool)
    result = yielded[0].truth;
  auto cls = [&](attn::TileClass c) {
    return b_.create<arith::ConstantIntOp>(loc_, static_cast<int32_t>(c), 32)
        .getResult();
  };
  Value fullOrPartial = sel(result.mayFalse, cls(attn::TileClass::Partial),
                            cls(attn::TileClass::Full));
  return sel(result.mayTrue, fullOrPartial, cls(attn::TileClass::Empty));
}

/// q_idx and kv_idx range over the tile; the other built-ins are the values
/// the classifier is called with.
void ClassifierEmitter::bindArguments(attn::HookOp mask) {
  // Classifier args: q0 q1 k0 k1 head kv_head batch q_len kv_len.
  auto arg = [&](unsigned i) { return widen(args_.getArgument(i)); };
  Interval q{arg(0), arg(1)}, k{arg(2), arg(3)};
  for (auto [i, hookArg] : llvm::enumerate(attn::getHookSignature(attn::HookKind::mask))) {
    BlockArgument blockArg = mask.getBlock().getArgument(i);
    StringRef name = hookArg.name;
    if (name == "q_idx")
      env_[blockArg] = Abstract::ofInt(q);
    else if (name == "kv_idx")
      env_[blockArg] = Abstract::ofInt(k);
    else {
      int idx = -1;
      for (auto [j, cname] : llvm::enumerate(attn::getTileClassifierArgNames()))
        if (cname == name)
          idx = static_cast<int>(j);
      env_[blockArg] = idx < 0 ? top(blockArg.getType())
                               : Abstract::ofInt(point(arg(idx)));
    }
  }
}

bool ClassifierEmitter::interpretBlock(Block &block,
                                       SmallVectorImpl<Abstract> &yielded) {
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      yielded.clear();
      for (Value v : op.getOperands())
        yielded.push_back(lookup(v));
      return true;
    }
    interpret(op);
  }
  return false;
}

Abstract ClassifierEmitter::lookup(Value v) {
  auto it = env_.find(v);
  return it == env_.end() ? top(v.getType()) : it->second;
}

void ClassifierEmitter::interpret(Operation &op) {
  if (auto ifOp = dyn_cast<scf::IfOp>(op))
    return transferIf(ifOp);
  if (op.getNumResults() != 1) {
    for (Value r : op.getResults())
      env_[r] = top(r.getType());
    return;
  }
  Value result = op.getResult(0);
  Type type = result.getType();
  SmallVector<Abstract, 3> in;
  for (Value v : op.getOperands())
    in.push_back(lookup(v));
  auto allKind = [&](Abstract::Kind k) {
    return llvm::all_of(in, [&](const Abstract &a) { return a.kind == k; });
  };

  Abstract out = top(type);
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    out = transferConstant(c);
  } else if (auto get = dyn_cast<attn::GetParamOp>(op)) {
    if (isI32(type))
      out = Abstract::ofInt(point(widen(
          b_.create<attn::GetParamOp>(loc_, type, get.getNameAttr()).getResult())));
  } else if (auto load = dyn_cast<attn::LoadParamOp>(op)) {
    out = transferLoadParam(load, in[0]);
  } else if (auto cmpOp = dyn_cast<arith::CmpIOp>(op)) {
    if (allKind(Abstract::Kind::Int))
      out = Abstract::ofBool(compare(cmpOp.getPredicate(), in[0].range, in[1].range));
  } else if (isa<arith::SelectOp>(op)) {
    if (in[0].kind == Abstract::Kind::Bool)
      out = join(in[0].truth, in[1], in[2], type);
  } else if (isa<arith::ExtUIOp, arith::ExtSIOp, arith::TruncIOp>(op)) {
    out = transferCast(op, in[0]);
  } else if (in.size() == 2 && isI32(type) && allKind(Abstract::Kind::Int)) {
    out = transferIntBinary(op, in[0].range, in[1].range);
  } else if (in.size() == 2 && isI1(type) && allKind(Abstract::Kind::Bool)) {
    out = transferBoolBinary(op, in[0].truth, in[1].truth);
  } else if (isa<math::AbsIOp>(op) && in[0].kind == Abstract::Kind::Int) {
    out = Abstract::ofInt(absolute(in[0].range));
  }
  // Anything else (floats, shifts, unknown ops) stays at top: sound.
  env_[result] = out;
}

/// Both branches are interpreted (the classifier is straight-line code); each
/// runs under the condition that it may be taken for some pair.
void ClassifierEmitter::transferIf(scf::IfOp op) {
  Abstract cond = lookup(op.getCondition());
  Truth c = cond.kind == Abstract::Kind::Bool ? cond.truth : anyTruth();
  Value outer = reach_;
  SmallVector<Abstract, 2> thenVals, elseVals;
  reach_ = both(outer, c.mayTrue);
  bool thenOk = interpretBlock(op.getThenRegion().front(), thenVals);
  bool elseOk = true;
  if (!op.getElseRegion().empty()) {
    reach_ = both(outer, c.mayFalse);
    elseOk = interpretBlock(op.getElseRegion().front(), elseVals);
  }
  reach_ = outer;
  for (auto [i, r] : llvm::enumerate(op.getResults())) {
    bool ok = thenOk && elseOk && i < thenVals.size() && i < elseVals.size();
    env_[r] = ok ? join(c, thenVals[i], elseVals[i], r.getType()) : top(r.getType());
  }
}

//===----------------------------------------------------------------------===//
// Transfer functions
//===----------------------------------------------------------------------===//

Abstract ClassifierEmitter::transferConstant(arith::ConstantOp op) {
  auto attr = dyn_cast<IntegerAttr>(op.getValue());
  if (!attr)
    return top(op.getType());
  if (isI1(op.getType())) {
    bool v = attr.getValue().getBoolValue();
    return Abstract::ofBool({flag(!v), flag(v)});
  }
  if (isI32(op.getType()))
    return Abstract::ofInt(point(i64(attr.getValue().getSExtValue())));
  return top(op.getType());
}

Abstract ClassifierEmitter::transferIntBinary(Operation &op, Interval a,
                                              Interval c) {
  if (isa<arith::AddIOp>(op))
    return Abstract::ofInt(clampToI32(add(a.lo, c.lo), add(a.hi, c.hi)));
  if (isa<arith::SubIOp>(op))
    return Abstract::ofInt(clampToI32(sub(a.lo, c.hi), sub(a.hi, c.lo)));
  if (isa<arith::MulIOp>(op))
    return Abstract::ofInt(times(a, c));
  if (isa<arith::DivSIOp>(op))
    return Abstract::ofInt(divide(a, c));
  if (isa<arith::RemSIOp>(op))
    return Abstract::ofInt(remainder(a, c));
  if (isa<arith::MinSIOp>(op))
    return Abstract::ofInt({min(a.lo, c.lo), min(a.hi, c.hi)});
  if (isa<arith::MaxSIOp>(op))
    return Abstract::ofInt({max(a.lo, c.lo), max(a.hi, c.hi)});
  if (isa<arith::AndIOp>(op)) {
    // x & y with y >= 0 lies in [0, y]; say so when either side is known
    // non-negative (masking with c - 1 for a power-of-two c).
    Value zero = i64(0);
    Value aNonNeg = le(zero, a.lo), cNonNeg = le(zero, c.lo);
    Value bound = sel(aNonNeg, sel(cNonNeg, min(a.hi, c.hi), a.hi), c.hi);
    Value known = either(aNonNeg, cNonNeg);
    return Abstract::ofInt({sel(known, zero, i64(kI32Min)),
                            sel(known, bound, i64(kI32Max))});
  }
  return top(op.getResult(0).getType());
}

/// Products at the four corners bound a product of intervals. Operands are
/// within i32, so the i64 products cannot overflow.
Interval ClassifierEmitter::times(Interval a, Interval c) {
  Value p1 = mul(a.lo, c.lo), p2 = mul(a.lo, c.hi);
  Value p3 = mul(a.hi, c.lo), p4 = mul(a.hi, c.hi);
  return clampToI32(min(min(p1, p2), min(p3, p4)), max(max(p1, p2), max(p3, p4)));
}

/// Truncating division. With a divisor of fixed sign, x / d is monotone in x
/// and |x / d| decreases with |d|, so the corners bound it (exact for a point
/// divisor). A divisor range holding 0 only gives |x / d| <= |x| (x / 0 = 0).
/// MIN / -1 gives 2^31 in i64 and is widened by the clamp.
Interval ClassifierEmitter::divide(Interval x, Interval d) {
  Value zero = i64(0), one = i64(1);
  Value fixedSign = either(lt(zero, d.lo), lt(d.hi, zero));
  // Never divide by zero in the emitted code, even on the unused side.
  Value dlo = sel(eq(d.lo, zero), one, d.lo);
  Value dhi = sel(eq(d.hi, zero), one, d.hi);
  auto div = [&](Value n, Value m) {
    return b_.create<arith::DivSIOp>(loc_, n, m).getResult();
  };
  Value q1 = div(x.lo, dlo), q2 = div(x.lo, dhi);
  Value q3 = div(x.hi, dlo), q4 = div(x.hi, dhi);
  Value cornerLo = min(min(q1, q2), min(q3, q4));
  Value cornerHi = max(max(q1, q2), max(q3, q4));
  Value magnitude = max(sub(zero, x.lo), x.hi); // max(|lo|, |hi|) as lo <= hi
  Value zeroDivisor = both(eq(d.lo, zero), eq(d.hi, zero));
  Value lo = sel(fixedSign, cornerLo, sel(zeroDivisor, zero, sub(zero, magnitude)));
  Value hi = sel(fixedSign, cornerHi, sel(zeroDivisor, zero, magnitude));
  return clampToI32(lo, hi);
}

/// Truncating remainder: the sign follows x, |x % d| < |d|, and x % 0 = x.
/// For a point divisor d != 0 (m = |d|), x % d is monotone between multiples
/// of m, so when lo and hi share the quotient the result is [lo % m, hi % m];
/// otherwise it covers the whole period on each sign of x that occurs.
Interval ClassifierEmitter::remainder(Interval x, Interval d) {
  Value zero = i64(0), one = i64(1);
  // Largest |d|, and whether d can be 0 (then x itself is a possible result).
  Value maxAbs = max(sub(zero, d.lo), d.hi);
  Value mayBeZero = both(le(d.lo, zero), le(zero, d.hi));
  Value limit = sub(maxAbs, one); // |x % d| <= |d| - 1 when d != 0
  Value negLimit = sub(zero, limit);
  Value genLo = sel(mayBeZero, min(x.lo, zero), max(min(x.lo, zero), negLimit));
  Value genHi = sel(mayBeZero, max(x.hi, zero), min(max(x.hi, zero), limit));

  Value m = sel(eq(maxAbs, zero), one, maxAbs); // never 0 in emitted code
  auto rem = [&](Value n) { return b_.create<arith::RemSIOp>(loc_, n, m).getResult(); };
  auto quot = [&](Value n) { return b_.create<arith::DivSIOp>(loc_, n, m).getResult(); };
  Value sameQuotient = eq(quot(x.lo), quot(x.hi));
  Value exact = both(both(isPoint(d), negate(mayBeZero)), sameQuotient);
  return {sel(exact, rem(x.lo), genLo), sel(exact, rem(x.hi), genHi)};
}

/// |x| wraps at MIN (|MIN| = MIN), which the clamp turns into the full range.
Interval ClassifierEmitter::absolute(Interval a) {
  Value zero = i64(0);
  Value nonNeg = le(zero, a.lo), nonPos = le(a.hi, zero);
  Value negLo = sub(zero, a.lo), negHi = sub(zero, a.hi);
  Value lo = sel(nonNeg, a.lo, sel(nonPos, negHi, zero));
  Value hi = sel(nonNeg, a.hi, sel(nonPos, negLo, max(negLo, a.hi)));
  return clampToI32(lo, hi);
}

/// An i32 interval read as unsigned: exact unless it straddles 0.
Interval ClassifierEmitter::asUnsigned(Interval a) {
  Value zero = i64(0), shift = i64(int64_t(1) << 32);
  Value nonNeg = le(zero, a.lo), neg = lt(a.hi, zero);
  Value lo = sel(nonNeg, a.lo, sel(neg, add(a.lo, shift), zero));
  Value hi = sel(nonNeg, a.hi, sel(neg, add(a.hi, shift), i64((int64_t(1) << 32) - 1)));
  return {lo, hi};
}

/// Exact for independent operands: a relation may hold iff some pair of the
/// two intervals satisfies it.
Truth ClassifierEmitter::compare(arith::CmpIPredicate pred, Interval a,
                                 Interval c) {
  using P = arith::CmpIPredicate;
  switch (pred) {
  case P::slt: return {le(c.lo, a.hi), lt(a.lo, c.hi)};
  case P::sle: return {lt(c.lo, a.hi), le(a.lo, c.hi)};
  case P::sgt: return compare(P::slt, c, a);
  case P::sge: return compare(P::sle, c, a);
  case P::eq: {
    Value overlap = both(le(a.lo, c.hi), le(c.lo, a.hi));
    Value samePoint = both(both(isPoint(a), isPoint(c)), eq(a.lo, c.lo));
    return {negate(samePoint), overlap};
  }
  case P::ne: {
    Truth t = compare(P::eq, a, c);
    return {t.mayTrue, t.mayFalse};
  }
  case P::ult: return compare(P::slt, asUnsigned(a), asUnsigned(c));
  case P::ule: return compare(P::sle, asUnsigned(a), asUnsigned(c));
  case P::ugt: return compare(P::slt, asUnsigned(c), asUnsigned(a));
  case P::uge: return compare(P::sle, asUnsigned(c), asUnsigned(a));
  }
  return anyTruth();
}

Abstract ClassifierEmitter::transferBoolBinary(Operation &op, Truth a, Truth c) {
  if (isa<arith::AndIOp>(op))
    return Abstract::ofBool({either(a.mayFalse, c.mayFalse), both(a.mayTrue, c.mayTrue)});
  if (isa<arith::OrIOp>(op))
    return Abstract::ofBool({both(a.mayFalse, c.mayFalse), either(a.mayTrue, c.mayTrue)});
  if (isa<arith::XOrIOp>(op)) {
    Value differ = either(both(a.mayTrue, c.mayFalse), both(a.mayFalse, c.mayTrue));
    Value same = either(both(a.mayTrue, c.mayTrue), both(a.mayFalse, c.mayFalse));
    return Abstract::ofBool({same, differ});
  }
  return Abstract::ofBool(anyTruth());
}

/// i1 <-> i32 conversions (the only widths a hook has).
Abstract ClassifierEmitter::transferCast(Operation &op, const Abstract &in) {
  Type type = op.getResult(0).getType();
  if (in.kind == Abstract::Kind::Bool && isI32(type)) {
    // false -> 0; true -> 1 (extui) or -1 (extsi).
    auto toI64 = [&](Value f) {
      return b_.create<arith::ExtUIOp>(loc_, b_.getI64Type(), f).getResult();
    };
    Value canBeFalse = in.truth.mayFalse, canBeTrue = in.truth.mayTrue;
    if (isa<arith::ExtUIOp>(op))
      return Abstract::ofInt({toI64(negate(canBeFalse)), toI64(canBeTrue)});
    if (isa<arith::ExtSIOp>(op))
      return Abstract::ofInt({sub(i64(0), toI64(canBeTrue)),
                              sub(i64(0), toI64(negate(canBeFalse)))});
  }
  if (in.kind == Abstract::Kind::Int && isI1(type) && isa<arith::TruncIOp>(op)) {
    // Bit 0 of a point is known; of a range, anything.
    Value odd = eq(b_.create<arith::AndIOp>(loc_, in.range.lo, i64(1)), i64(1));
    Value point = isPoint(in.range);
    return Abstract::ofBool({either(negate(point), negate(odd)),
                             either(negate(point), odd)});
  }
  return top(type);
}

/// An array read is exact when its index is one value over the tile and
/// provably inside the array; the read is emitted under an scf.if so the
/// classifier never reads out of bounds, even for a tile whose index range
/// the mask itself would not reach.
Abstract ClassifierEmitter::transferLoadParam(attn::LoadParamOp op,
                                              const Abstract &index) {
  Type type = op.getType();
  attn::ParamOp param = variant_.getParam(op.getName());
  if (!isI32(type) || !param || index.kind != Abstract::Kind::Int)
    return top(type);
  Value idx = index.range.lo, zero = i64(0);
  Value inBounds;
  switch (param.getDomain()) {
  case attn::ParamDomain::heads:
    inBounds = lt(idx, i64(variant_.getNumQHeads()));
    break;
  case attn::ParamDomain::kv_heads:
    inBounds = lt(idx, i64(variant_.getNumKvHeads()));
    break;
  case attn::ParamDomain::batch: // b <= batch (the current request) < count
    inBounds = le(idx, widen(args_.getArgument(6)));
    break;
  case attn::ParamDomain::tokens: // one entry per KV position of the request
    inBounds = lt(idx, widen(args_.getArgument(8)));
    break;
  case attn::ParamDomain::scalar:
    return top(type);
  }
  Value safe = both(both(reach_, isPoint(index.range)), both(le(zero, idx), inBounds));
  auto ifOp = b_.create<scf::IfOp>(loc_, TypeRange{b_.getI64Type()}, safe,
                                   /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b_);
    b_.setInsertionPointToStart(ifOp.thenBlock());
    Value i32Index = b_.create<arith::TruncIOp>(loc_, b_.getI32Type(), idx);
    Value v = b_.create<attn::LoadParamOp>(loc_, type, op.getNameAttr(), i32Index);
    b_.create<scf::YieldOp>(loc_, widen(v));
    b_.setInsertionPointToStart(ifOp.elseBlock());
    b_.create<scf::YieldOp>(loc_, i64(0));
  }
  Value v = ifOp.getResult(0);
  return Abstract::ofInt({sel(safe, v, i64(kI32Min)), sel(safe, v, i64(kI32Max))});
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ClassifyTilesPass : attn::impl::AttnClassifyTilesBase<ClassifyTilesPass> {
  void runOnOperation() override {
    attn::VariantOp variant = getOperation();
    // A stale classifier would describe an older mask.
    while (attn::TileClassifierOp old = variant.getTileClassifier())
      old.erase();

    Block &body = variant.getBody().front();
    OpBuilder builder = OpBuilder::atBlockEnd(&body);
    Location loc = variant.getLoc();
    auto classifier = builder.create<attn::TileClassifierOp>(loc);
    Block *block = new Block();
    classifier.getBody().push_back(block);
    Type i32 = builder.getI32Type();
    for (size_t i = 0; i < attn::getTileClassifierArgNames().size(); ++i)
      block->addArgument(i32, loc);
    builder.setInsertionPointToStart(block);

    Value cls;
    if (attn::HookOp mask = variant.getHook(attn::HookKind::mask)) {
      ClassifierEmitter emitter(variant, builder, mask.getLoc(), *block);
      cls = emitter.classify(mask);
    } else {
      cls = builder.create<arith::ConstantIntOp>(
          loc, static_cast<int32_t>(attn::TileClass::Full), 32);
    }
    builder.create<attn::YieldOp>(loc, ValueRange{cls});
  }
};

} // namespace
