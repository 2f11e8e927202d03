//===- HookInterpreter.cpp - Runs hook regions on the CPU -----------------===//
//
// A plain walk over a straight-line block (plus scf.if), keeping one scalar
// per SSA value. Integers are stored canonically for their width: i1 as 0/1,
// i32 sign-extended into int64, i64 as is. Every integer op computes on
// unsigned 64-bit values and then re-normalizes to the result width, which
// gives two's-complement wrapping without signed-overflow UB.
//
// The interpreter must never abort on IR that passed the verifier: anything
// it cannot evaluate is reported through `error` instead.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/HookInterpreter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

using attn::ref::ParamShape;
using attn::ref::ParamValues;
using attn::ref::RegionInterpreter;
using RefValue = attn::ref::Value;

namespace {

//===----------------------------------------------------------------------===//
// Integer helpers
//===----------------------------------------------------------------------===//

/// Bit width of an integer type, 0 for anything else.
unsigned intWidth(mlir::Type type) {
  auto intType = llvm::dyn_cast<mlir::IntegerType>(type);
  return intType ? intType.getWidth() : 0;
}

uint64_t widthMask(unsigned width) {
  return width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
}

/// Canonical storage of `raw` truncated to `width` bits: i1 as 0/1, wider
/// types sign-extended (so the int64 holds the signed value).
int64_t normalize(uint64_t raw, unsigned width) {
  if (width == 0) // not an integer type: callers check, but never shift by -1
    return 0;
  if (width >= 64)
    return static_cast<int64_t>(raw);
  uint64_t bits = raw & widthMask(width);
  if (width == 1)
    return static_cast<int64_t>(bits);
  uint64_t sign = uint64_t(1) << (width - 1);
  return static_cast<int64_t>((bits ^ sign) - sign);
}

/// The signed reading of a stored value (i1 true is -1 as a signed number).
int64_t asSigned(int64_t stored, unsigned width) {
  return width == 1 ? -(stored & 1) : stored;
}

uint64_t asUnsigned(int64_t stored, unsigned width) {
  return static_cast<uint64_t>(stored) & widthMask(width);
}

int64_t signedMin(unsigned width) {
  return width >= 64 ? std::numeric_limits<int64_t>::min()
                     : -(int64_t(1) << (width - 1));
}

int64_t signedMax(unsigned width) {
  return width >= 64 ? std::numeric_limits<int64_t>::max()
                     : (int64_t(1) << (width - 1)) - 1;
}

/// Float to signed integer as the kernels do it: truncate toward zero,
/// saturate at the type's limits, NaN gives 0.
int64_t saturatingFPToSI(double x, unsigned width) {
  if (std::isnan(x))
    return 0;
  // Compare in double against limits that are exactly representable
  // (powers of two), so the cast below never overflows.
  double lo = std::ldexp(-1.0, static_cast<int>(width) - 1);
  double hiExclusive = std::ldexp(1.0, static_cast<int>(width) - 1);
  if (x <= lo)
    return signedMin(width);
  if (x >= hiExclusive)
    return signedMax(width);
  return static_cast<int64_t>(std::trunc(x));
}

uint64_t saturatingFPToUI(double x, unsigned width) {
  if (std::isnan(x) || x <= 0)
    return 0;
  double hiExclusive = std::ldexp(1.0, static_cast<int>(width));
  if (x >= hiExclusive)
    return widthMask(width);
  return static_cast<uint64_t>(std::trunc(x));
}

/// Signed division with the language's rules: x / 0 = 0, and the one
/// overflowing quotient (MIN / -1) wraps to MIN.
int64_t divSigned(int64_t a, int64_t b, unsigned width) {
  if (b == 0)
    return 0;
  if (b == -1)
    return normalize(uint64_t(0) - static_cast<uint64_t>(a), width);
  return normalize(static_cast<uint64_t>(a / b), width);
}

/// x % 0 = x; MIN % -1 = 0 (computed without the UB of the C++ expression).
int64_t remSigned(int64_t a, int64_t b, unsigned width) {
  if (b == 0)
    return normalize(static_cast<uint64_t>(a), width);
  if (b == -1)
    return 0;
  return normalize(static_cast<uint64_t>(a % b), width);
}

std::optional<int64_t> evalIntBinary(llvm::StringRef name, int64_t x, int64_t y,
                                     unsigned width) {
  int64_t a = asSigned(x, width), b = asSigned(y, width);
  uint64_t ua = asUnsigned(x, width), ub = asUnsigned(y, width);
  auto norm = [&](uint64_t raw) { return normalize(raw, width); };
  if (name == "arith.addi") return norm(ua + ub);
  if (name == "arith.subi") return norm(ua - ub);
  if (name == "arith.muli") return norm(ua * ub);
  if (name == "arith.andi") return norm(ua & ub);
  if (name == "arith.ori") return norm(ua | ub);
  if (name == "arith.xori") return norm(ua ^ ub);
  if (name == "arith.divsi") return divSigned(a, b, width);
  if (name == "arith.remsi") return remSigned(a, b, width);
  if (name == "arith.divui") return ub == 0 ? 0 : norm(ua / ub);
  if (name == "arith.remui") return ub == 0 ? norm(ua) : norm(ua % ub);
  if (name == "arith.ceildivui")
    return ub == 0 ? 0 : norm(ua / ub + (ua % ub != 0 ? 1 : 0));
  if (name == "arith.ceildivsi" || name == "arith.floordivsi") {
    if (b == 0)
      return 0;
    int64_t q = divSigned(a, b, width);
    if (b == -1)
      return q; // exact division: no rounding to adjust
    int64_t r = a % b;
    bool ceil = name == "arith.ceildivsi";
    if (r != 0 && ceil && ((r > 0) == (b > 0)))
      return norm(static_cast<uint64_t>(q) + 1);
    if (r != 0 && !ceil && ((r < 0) != (b < 0)))
      return norm(static_cast<uint64_t>(q) - 1);
    return q;
  }
  if (name == "arith.maxsi") return a >= b ? x : y;
  if (name == "arith.minsi") return a <= b ? x : y;
  if (name == "arith.maxui") return ua >= ub ? x : y;
  if (name == "arith.minui") return ua <= ub ? x : y;
  // Shifts by the width or more are poison in LLVM; pick the value a
  // hardware funnel would not give but that is at least deterministic.
  if (name == "arith.shli") return ub >= width ? 0 : norm(ua << ub);
  if (name == "arith.shrui") return ub >= width ? 0 : norm(ua >> ub);
  if (name == "arith.shrsi")
    return ub >= width ? (a < 0 ? norm(~uint64_t(0)) : 0) : norm(static_cast<uint64_t>(a >> ub));
  return std::nullopt;
}

bool evalCmpI(mlir::arith::CmpIPredicate pred, int64_t x, int64_t y,
              unsigned width) {
  using P = mlir::arith::CmpIPredicate;
  int64_t a = asSigned(x, width), b = asSigned(y, width);
  uint64_t ua = asUnsigned(x, width), ub = asUnsigned(y, width);
  switch (pred) {
  case P::eq: return ua == ub;
  case P::ne: return ua != ub;
  case P::slt: return a < b;
  case P::sle: return a <= b;
  case P::sgt: return a > b;
  case P::sge: return a >= b;
  case P::ult: return ua < ub;
  case P::ule: return ua <= ub;
  case P::ugt: return ua > ub;
  case P::uge: return ua >= ub;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Float helpers
//===----------------------------------------------------------------------===//

/// Ordered predicates are false when either side is NaN; unordered ones true.
bool evalCmpF(mlir::arith::CmpFPredicate pred, double a, double b) {
  using P = mlir::arith::CmpFPredicate;
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (pred) {
  case P::AlwaysFalse: return false;
  case P::AlwaysTrue: return true;
  case P::OEQ: return !unordered && a == b;
  case P::OGT: return !unordered && a > b;
  case P::OGE: return !unordered && a >= b;
  case P::OLT: return !unordered && a < b;
  case P::OLE: return !unordered && a <= b;
  case P::ONE: return !unordered && a != b;
  case P::ORD: return !unordered;
  case P::UEQ: return unordered || a == b;
  case P::UGT: return unordered || a > b;
  case P::UGE: return unordered || a >= b;
  case P::ULT: return unordered || a < b;
  case P::ULE: return unordered || a <= b;
  case P::UNE: return unordered || a != b;
  case P::UNO: return unordered;
  }
  return false;
}

/// IEEE maximum/minimum (NaN-propagating, -0 < +0), as arith.maximumf says.
double ieeeMaximum(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double ieeeMinimum(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

std::optional<double> evalFloatBinary(llvm::StringRef name, double a, double b) {
  if (name == "arith.addf") return a + b;
  if (name == "arith.subf") return a - b;
  if (name == "arith.mulf") return a * b;
  if (name == "arith.divf") return a / b;
  if (name == "arith.remf") return std::fmod(a, b);
  if (name == "arith.maximumf") return ieeeMaximum(a, b);
  if (name == "arith.minimumf") return ieeeMinimum(a, b);
  if (name == "arith.maxnumf") return std::fmax(a, b);
  if (name == "arith.minnumf") return std::fmin(a, b);
  if (name == "math.powf") return std::pow(a, b);
  if (name == "math.atan2") return std::atan2(a, b);
  if (name == "math.copysign") return std::copysign(a, b);
  return std::nullopt;
}

std::optional<double> evalFloatUnary(llvm::StringRef name, double x) {
  return llvm::StringSwitch<std::optional<double>>(name)
      .Case("arith.negf", -x)
      .Case("math.absf", std::fabs(x))
      .Case("math.exp", std::exp(x))
      .Case("math.exp2", std::exp2(x))
      .Case("math.expm1", std::expm1(x))
      .Case("math.log", std::log(x))
      .Case("math.log2", std::log2(x))
      .Case("math.log10", std::log10(x))
      .Case("math.log1p", std::log1p(x))
      .Case("math.sqrt", std::sqrt(x))
      .Case("math.rsqrt", 1.0 / std::sqrt(x))
      .Case("math.cbrt", std::cbrt(x))
      .Case("math.tanh", std::tanh(x))
      .Case("math.sinh", std::sinh(x))
      .Case("math.cosh", std::cosh(x))
      .Case("math.asinh", std::asinh(x))
      .Case("math.acosh", std::acosh(x))
      .Case("math.atanh", std::atanh(x))
      .Case("math.sin", std::sin(x))
      .Case("math.cos", std::cos(x))
      .Case("math.tan", std::tan(x))
      .Case("math.asin", std::asin(x))
      .Case("math.acos", std::acos(x))
      .Case("math.atan", std::atan(x))
      .Case("math.erf", std::erf(x))
      .Case("math.floor", std::floor(x))
      .Case("math.ceil", std::ceil(x))
      .Case("math.trunc", std::trunc(x))
      .Case("math.round", std::round(x))
      .Case("math.roundeven", std::nearbyint(x)) // default FE_TONEAREST
      // Hooks compute f32 in double; f32<->f32 casts are identities here.
      .Case("arith.extf", x)
      .Case("arith.truncf", x)
      .Default(std::nullopt);
}

std::optional<int64_t> evalIntUnary(llvm::StringRef name, int64_t x,
                                    unsigned width) {
  int64_t a = asSigned(x, width);
  uint64_t ua = asUnsigned(x, width);
  if (name == "math.absi")
    return normalize(a < 0 ? uint64_t(0) - ua : ua, width);
  if (name == "math.ctpop")
    return normalize(static_cast<uint64_t>(__builtin_popcountll(ua)), width);
  if (name == "math.ctlz") {
    unsigned n = 0;
    for (int bit = static_cast<int>(width) - 1; bit >= 0 && !((ua >> bit) & 1); --bit)
      ++n;
    return normalize(n, width);
  }
  if (name == "math.cttz") {
    unsigned n = 0;
    while (n < width && !((ua >> n) & 1))
      ++n;
    return normalize(n, width);
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Params
//===----------------------------------------------------------------------===//

/// The declared domain's length, or -1 for scalar/tokens.
int64_t domainLength(attn::ParamDomain domain, const ParamShape &shape) {
  switch (domain) {
  case attn::ParamDomain::heads: return shape.numQHeads;
  case attn::ParamDomain::kv_heads: return shape.numKVHeads;
  case attn::ParamDomain::batch: return shape.batch;
  default: return -1;
  }
}

/// A param value as the kernel sees it: i32 params are integers (saturating
/// conversion of the double the caller gave), f32 params are rounded to f32.
RefValue paramScalar(mlir::Type type, double v) {
  if (type.isInteger(32))
    return RefValue::ofInt(saturatingFPToSI(v, 32));
  return RefValue::ofFloat(static_cast<double>(static_cast<float>(v)));
}

std::string quoted(llvm::StringRef name) { return "'" + name.str() + "'"; }

//===----------------------------------------------------------------------===//
// The walk
//===----------------------------------------------------------------------===//

class Executor {
public:
  Executor(attn::VariantOp variant, const ParamValues &params, int64_t request,
           std::string &error)
      : variant_(variant), params_(params), request_(request), error_(error) {}

  /// Runs `block` (whose arguments must already be bound) up to its
  /// terminator and returns the terminator's operands in `yielded`.
  bool runBlock(mlir::Block &block, llvm::SmallVectorImpl<RefValue> &yielded);

  void bind(mlir::Value v, RefValue x) { env_[v] = x; }

private:
  bool evalOp(mlir::Operation &op);
  bool evalConstant(mlir::arith::ConstantOp op);
  bool evalCast(mlir::Operation &op);
  bool evalIf(mlir::scf::IfOp op);
  bool evalGetParam(attn::GetParamOp op);
  bool evalLoadParam(attn::LoadParamOp op);
  bool fail(mlir::Operation &op, const llvm::Twine &msg);
  bool lookup(mlir::Value v, RefValue &out);

  attn::VariantOp variant_;
  const ParamValues &params_;
  int64_t request_;
  std::string &error_;
  llvm::DenseMap<mlir::Value, RefValue> env_;
};

bool Executor::fail(mlir::Operation &op, const llvm::Twine &msg) {
  error_ = (op.getName().getStringRef() + ": " + msg).str();
  return false;
}

bool Executor::lookup(mlir::Value v, RefValue &out) {
  auto it = env_.find(v);
  if (it == env_.end()) {
    error_ = "use of a value that was not computed (defined outside the region?)";
    return false;
  }
  out = it->second;
  return true;
}

bool Executor::runBlock(mlir::Block &block,
                        llvm::SmallVectorImpl<RefValue> &yielded) {
  for (mlir::Operation &op : block) {
    if (op.hasTrait<mlir::OpTrait::IsTerminator>()) {
      yielded.clear();
      for (mlir::Value v : op.getOperands()) {
        RefValue x;
        if (!lookup(v, x))
          return false;
        yielded.push_back(x);
      }
      return true;
    }
    if (!evalOp(op))
      return false;
  }
  error_ = "block has no terminator";
  return false;
}

bool Executor::evalOp(mlir::Operation &op) {
  if (auto c = llvm::dyn_cast<mlir::arith::ConstantOp>(op))
    return evalConstant(c);
  if (auto ifOp = llvm::dyn_cast<mlir::scf::IfOp>(op))
    return evalIf(ifOp);
  if (auto get = llvm::dyn_cast<attn::GetParamOp>(op))
    return evalGetParam(get);
  if (auto load = llvm::dyn_cast<attn::LoadParamOp>(op))
    return evalLoadParam(load);

  llvm::SmallVector<RefValue, 3> in;
  for (mlir::Value v : op.getOperands()) {
    RefValue x;
    if (!lookup(v, x))
      return false;
    in.push_back(x);
  }
  if (op.getNumResults() != 1)
    return fail(op, "unsupported op (expected exactly one result)");
  mlir::Value result = op.getResult(0);
  llvm::StringRef name = op.getName().getStringRef();

  if (auto sel = llvm::dyn_cast<mlir::arith::SelectOp>(op)) {
    if (!sel.getCondition().getType().isInteger(1))
      return fail(op, "only scalar i1 conditions are supported");
    env_[result] = (in[0].i & 1) ? in[1] : in[2];
    return true;
  }
  if (auto cmp = llvm::dyn_cast<mlir::arith::CmpIOp>(op)) {
    unsigned w = intWidth(cmp.getLhs().getType());
    if (w == 0)
      return fail(op, "operands must be scalar integers");
    env_[result] = RefValue::ofBool(evalCmpI(cmp.getPredicate(), in[0].i, in[1].i, w));
    return true;
  }
  if (auto cmp = llvm::dyn_cast<mlir::arith::CmpFOp>(op)) {
    env_[result] = RefValue::ofBool(evalCmpF(cmp.getPredicate(), in[0].f, in[1].f));
    return true;
  }
  if (llvm::isa<mlir::arith::ExtUIOp, mlir::arith::ExtSIOp, mlir::arith::TruncIOp,
                mlir::arith::SIToFPOp, mlir::arith::UIToFPOp, mlir::arith::FPToSIOp,
                mlir::arith::FPToUIOp, mlir::arith::BitcastOp>(op))
    return evalCast(op);

  unsigned w = intWidth(result.getType());
  if (w != 0 && in.size() == 2 && !in[0].isFloat && !in[1].isFloat) {
    if (auto r = evalIntBinary(name, in[0].i, in[1].i, w)) {
      env_[result] = RefValue::ofInt(*r);
      return true;
    }
  }
  if (w != 0 && in.size() == 1 && !in[0].isFloat) {
    if (auto r = evalIntUnary(name, in[0].i, w)) {
      env_[result] = RefValue::ofInt(*r);
      return true;
    }
  }
  if (result.getType().isF32() || result.getType().isF64()) {
    if (in.size() == 2)
      if (auto r = evalFloatBinary(name, in[0].f, in[1].f)) {
        env_[result] = RefValue::ofFloat(*r);
        return true;
      }
    if (in.size() == 1)
      if (auto r = evalFloatUnary(name, in[0].f)) {
        env_[result] = RefValue::ofFloat(*r);
        return true;
      }
    if (in.size() == 3 && name == "math.fma") {
      env_[result] = RefValue::ofFloat(std::fma(in[0].f, in[1].f, in[2].f));
      return true;
    }
    if (in.size() == 2 && name == "math.fpowi") {
      unsigned ew = intWidth(op.getOperand(1).getType());
      double e = static_cast<double>(asSigned(in[1].i, ew));
      env_[result] = RefValue::ofFloat(std::pow(in[0].f, e));
      return true;
    }
  }
  return fail(op, "the hook interpreter does not support this op");
}

bool Executor::evalConstant(mlir::arith::ConstantOp op) {
  mlir::Attribute value = op.getValue();
  if (auto i = llvm::dyn_cast<mlir::IntegerAttr>(value)) {
    unsigned w = intWidth(op.getType());
    if (w == 0)
      return fail(*op.getOperation(), "index constants are not supported");
    env_[op.getResult()] =
        RefValue::ofInt(normalize(i.getValue().getZExtValue(), w));
    return true;
  }
  if (auto f = llvm::dyn_cast<mlir::FloatAttr>(value)) {
    env_[op.getResult()] = RefValue::ofFloat(f.getValueAsDouble());
    return true;
  }
  return fail(*op.getOperation(), "only scalar integer and float constants are supported");
}

bool Executor::evalCast(mlir::Operation &op) {
  RefValue x;
  if (!lookup(op.getOperand(0), x))
    return false;
  mlir::Type inType = op.getOperand(0).getType();
  mlir::Type outType = op.getResult(0).getType();
  unsigned inW = intWidth(inType), outW = intWidth(outType);
  if ((inW == 0 && !inType.isF32() && !inType.isF64()) ||
      (outW == 0 && !outType.isF32() && !outType.isF64()))
    return fail(op, "only scalar integer and float casts are supported");
  RefValue out;
  if (llvm::isa<mlir::arith::ExtUIOp>(op))
    out = RefValue::ofInt(normalize(asUnsigned(x.i, inW), outW));
  else if (llvm::isa<mlir::arith::ExtSIOp, mlir::arith::TruncIOp>(op))
    out = RefValue::ofInt(normalize(static_cast<uint64_t>(asSigned(x.i, inW)), outW));
  else if (llvm::isa<mlir::arith::SIToFPOp>(op))
    out = RefValue::ofFloat(static_cast<double>(asSigned(x.i, inW)));
  else if (llvm::isa<mlir::arith::UIToFPOp>(op))
    out = RefValue::ofFloat(static_cast<double>(asUnsigned(x.i, inW)));
  else if (llvm::isa<mlir::arith::FPToSIOp>(op))
    out = RefValue::ofInt(normalize(static_cast<uint64_t>(saturatingFPToSI(x.f, outW)), outW));
  else if (llvm::isa<mlir::arith::FPToUIOp>(op))
    out = RefValue::ofInt(normalize(saturatingFPToUI(x.f, outW), outW));
  else if (inType.isF32() && outType.isInteger(32)) { // bitcast f32 -> i32
    float f = static_cast<float>(x.f);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    out = RefValue::ofInt(normalize(bits, 32));
  } else if (inType.isInteger(32) && outType.isF32()) { // bitcast i32 -> f32
    auto bits = static_cast<uint32_t>(asUnsigned(x.i, 32));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    out = RefValue::ofFloat(f);
  } else if (inType == outType) {
    out = x;
  } else {
    return fail(op, "unsupported cast types");
  }
  env_[op.getResult(0)] = out;
  return true;
}

bool Executor::evalIf(mlir::scf::IfOp op) {
  RefValue cond;
  if (!lookup(op.getCondition(), cond))
    return false;
  mlir::Region &region = (cond.i & 1) ? op.getThenRegion() : op.getElseRegion();
  if (region.empty()) {
    if (op.getNumResults() != 0)
      return fail(*op.getOperation(), "a branch producing results is missing");
    return true;
  }
  llvm::SmallVector<RefValue, 2> yielded;
  if (!runBlock(region.front(), yielded))
    return false;
  if (yielded.size() != op.getNumResults())
    return fail(*op.getOperation(), "branch yields the wrong number of values");
  for (auto [res, v] : llvm::zip(op.getResults(), yielded))
    env_[res] = v;
  return true;
}

bool Executor::evalGetParam(attn::GetParamOp op) {
  llvm::StringRef name = op.getName();
  attn::ParamOp param = variant_.getParam(name);
  if (!param)
    return fail(*op.getOperation(), "unknown param " + quoted(name));
  auto it = params_.scalars.find(name.str());
  if (it != params_.scalars.end()) {
    env_[op.getResult()] = paramScalar(param.getType(), it->second);
    return true;
  }
  // Usable without bindParams(): fall back on the declared default.
  if (auto def = param.getDefaultValueAttr()) {
    if (auto i = llvm::dyn_cast<mlir::IntegerAttr>(def))
      env_[op.getResult()] = RefValue::ofInt(normalize(i.getValue().getZExtValue(), 32));
    else if (auto f = llvm::dyn_cast<mlir::FloatAttr>(def))
      env_[op.getResult()] = RefValue::ofFloat(f.getValueAsDouble());
    else
      return fail(*op.getOperation(), "param " + quoted(name) + " has an unusable default");
    return true;
  }
  return fail(*op.getOperation(), "no value for param " + quoted(name));
}

bool Executor::evalLoadParam(attn::LoadParamOp op) {
  llvm::StringRef name = op.getName();
  attn::ParamOp param = variant_.getParam(name);
  if (!param)
    return fail(*op.getOperation(), "unknown param " + quoted(name));
  RefValue idx;
  if (!lookup(op.getIndex(), idx))
    return false;
  int64_t index = asSigned(idx.i, 32);
  const std::vector<double> *values = nullptr;
  std::string where;
  if (param.getDomain() == attn::ParamDomain::tokens) {
    auto it = params_.tokens.find(name.str());
    if (it == params_.tokens.end())
      return fail(*op.getOperation(), "no value for tokens param " + quoted(name));
    if (request_ < 0 || request_ >= static_cast<int64_t>(it->second.size()))
      return fail(*op.getOperation(), "request " + llvm::Twine(request_) +
                           " has no entries in tokens param " + quoted(name));
    values = &it->second[request_];
    where = " (tokens of request " + std::to_string(request_) + ")";
  } else {
    auto it = params_.arrays.find(name.str());
    if (it == params_.arrays.end())
      return fail(*op.getOperation(), "no value for array param " + quoted(name));
    values = &it->second;
    where = " (domain " + attn::stringifyParamDomain(param.getDomain()).str() + ")";
  }
  auto size = static_cast<int64_t>(values->size());
  if (index < 0 || index >= size)
    return fail(*op.getOperation(), "index " + llvm::Twine(index) + " of param " + quoted(name) +
                         " is out of range [0, " + llvm::Twine(size) + ")" + where);
  env_[op.getResult()] = paramScalar(param.getType(), (*values)[index]);
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// RegionInterpreter
//===----------------------------------------------------------------------===//

RegionInterpreter::RegionInterpreter(VariantOp variant, const ParamValues &params,
                                     const ParamShape &shape)
    : variant_(variant), params_(params), shape_(shape) {}

bool RegionInterpreter::bindParams(std::string &error) {
  llvm::StringSet<> declared;
  for (ParamOp param : variant_.getBody().front().getOps<ParamOp>()) {
    std::string name = param.getSymName().str();
    declared.insert(name);
    ParamDomain domain = param.getDomain();
    if (domain == ParamDomain::scalar) {
      if (params_.scalars.count(name))
        continue;
      mlir::Attribute def = param.getDefaultValueAttr();
      if (auto i = llvm::dyn_cast_or_null<mlir::IntegerAttr>(def))
        params_.scalars[name] = static_cast<double>(i.getValue().getSExtValue());
      else if (auto f = llvm::dyn_cast_or_null<mlir::FloatAttr>(def))
        params_.scalars[name] = f.getValueAsDouble();
      else {
        error = "missing value for param " + quoted(name) + " (it has no default)";
        return false;
      }
      continue;
    }
    if (domain == ParamDomain::tokens) {
      auto it = params_.tokens.find(name);
      if (it == params_.tokens.end()) {
        error = "missing value for tokens param " + quoted(name);
        return false;
      }
      if (static_cast<int64_t>(shape_.kvLens.size()) != shape_.batch ||
          static_cast<int64_t>(it->second.size()) != shape_.batch) {
        error = "tokens param " + quoted(name) + " has " +
                std::to_string(it->second.size()) + " requests, expected " +
                std::to_string(shape_.batch);
        return false;
      }
      for (int64_t b = 0; b < shape_.batch; ++b)
        if (static_cast<int64_t>(it->second[b].size()) != shape_.kvLens[b]) {
          error = "tokens param " + quoted(name) + " has " +
                  std::to_string(it->second[b].size()) + " entries for request " +
                  std::to_string(b) + ", expected kv_len = " +
                  std::to_string(shape_.kvLens[b]);
          return false;
        }
      continue;
    }
    int64_t expected = domainLength(domain, shape_);
    auto it = params_.arrays.find(name);
    if (it == params_.arrays.end()) {
      error = "missing value for array param " + quoted(name);
      return false;
    }
    if (static_cast<int64_t>(it->second.size()) != expected) {
      error = "array param " + quoted(name) + " has " +
              std::to_string(it->second.size()) + " entries, expected " +
              std::to_string(expected) + " (one per " +
              stringifyParamDomain(domain).str() + ")";
      return false;
    }
  }
  // A value for a param the variant does not declare is almost surely a typo
  // that would otherwise silently fall back on a default.
  auto checkKnown = [&](const auto &map) {
    for (const auto &entry : map)
      if (!declared.contains(entry.first)) {
        error = "value given for unknown param " + quoted(entry.first);
        return false;
      }
    return true;
  };
  return checkKnown(params_.scalars) && checkKnown(params_.arrays) &&
         checkKnown(params_.tokens);
}

bool RegionInterpreter::run(mlir::Region &region, llvm::ArrayRef<Value> args,
                            int64_t request, Value &result, std::string &error) {
  if (!region.hasOneBlock()) {
    error = "region must have exactly one block";
    return false;
  }
  mlir::Block &block = region.front();
  if (block.getNumArguments() != args.size()) {
    error = "region takes " + std::to_string(block.getNumArguments()) +
            " arguments, got " + std::to_string(args.size());
    return false;
  }
  Executor exec(variant_, params_, request, error);
  for (auto [i, arg] : llvm::enumerate(block.getArguments())) {
    bool wantFloat = !llvm::isa<mlir::IntegerType>(arg.getType());
    if (wantFloat != args[i].isFloat) {
      error = "argument #" + std::to_string(i) + " must be " +
              (wantFloat ? "a float" : "an integer");
      return false;
    }
    Value v = args[i];
    if (!wantFloat) // accept any int64 and wrap it to the argument's width
      v.i = normalize(static_cast<uint64_t>(v.i), intWidth(arg.getType()));
    exec.bind(arg, v);
  }
  llvm::SmallVector<Value, 1> yielded;
  if (!exec.runBlock(block, yielded))
    return false;
  if (yielded.size() != 1) {
    error = "region yields " + std::to_string(yielded.size()) +
            " values, expected 1";
    return false;
  }
  result = yielded.front();
  return true;
}
