//===- HookEmitter.cpp - A hook or classifier region as C++ statements ----===//
//
// One statement per op, `const T tN_ = <expr>;`, so the generated code can be
// read next to the IR it came from. scf.if becomes a C++ if whose results are
// declared before it and assigned by the branches' scf.yield; C++ block
// scoping matches the regions' dominance, so the names need no renaming.
//
//===----------------------------------------------------------------------===//
#include "attn/Target/CUDA/HookEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

using namespace mlir;

namespace attn::target {

std::string cppTypeOf(Type type) {
  if (type.isInteger(1)) return "bool";
  if (type.isInteger(32)) return "int32_t";
  if (type.isInteger(64)) return "int64_t";
  if (type.isF32()) return "float";
  return "";
}

std::string floatLiteral(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value) || std::isinf(value))
    return fmt::format("__int_as_float((int)0x{:08x}u)", bits);
  // fmt prints the shortest text that reads back as the same float.
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eE") == std::string::npos)
    text += ".0";
  return text + "f";
}

namespace {

std::string intLiteral(int64_t value, unsigned width) {
  if (width == 1)
    return value ? "true" : "false";
  if (width == 32) {
    auto v = static_cast<int32_t>(value);
    if (v == INT32_MIN)
      return "(-2147483647 - 1)";
    return fmt::format("{}", v);
  }
  if (value == INT64_MIN)
    return "(-9223372036854775807LL - 1)";
  return fmt::format("{}LL", value);
}

/// math.* ops that are one CUDA single-precision function.
const char *unaryMathFunction(StringRef name) {
  return llvm::StringSwitch<const char *>(name)
      .Case("math.absf", "fabsf")
      .Case("math.exp", "expf")
      .Case("math.exp2", "exp2f")
      .Case("math.expm1", "expm1f")
      .Case("math.log", "logf")
      .Case("math.log2", "log2f")
      .Case("math.log10", "log10f")
      .Case("math.log1p", "log1pf")
      .Case("math.sqrt", "sqrtf")
      .Case("math.rsqrt", "rsqrtf")
      .Case("math.cbrt", "cbrtf")
      .Case("math.tanh", "tanhf")
      .Case("math.sinh", "sinhf")
      .Case("math.cosh", "coshf")
      .Case("math.asinh", "asinhf")
      .Case("math.acosh", "acoshf")
      .Case("math.atanh", "atanhf")
      .Case("math.sin", "sinf")
      .Case("math.cos", "cosf")
      .Case("math.tan", "tanf")
      .Case("math.asin", "asinf")
      .Case("math.acos", "acosf")
      .Case("math.atan", "atanf")
      .Case("math.erf", "erff")
      .Case("math.floor", "floorf")
      .Case("math.ceil", "ceilf")
      .Case("math.trunc", "truncf")
      .Case("math.round", "roundf")   // half away from zero, as std::round
      .Case("math.roundeven", "rintf") // round-to-nearest-even mode
      .Default(nullptr);
}

const char *binaryFloatFunction(StringRef name) {
  return llvm::StringSwitch<const char *>(name)
      .Case("arith.remf", "fmodf")
      .Case("arith.maxnumf", "fmaxf")
      .Case("arith.minnumf", "fminf")
      .Case("arith.maximumf", "attn_gen_ops::maximumf")
      .Case("arith.minimumf", "attn_gen_ops::minimumf")
      .Case("math.powf", "powf")
      .Case("math.atan2", "atan2f")
      .Case("math.copysign", "copysignf")
      .Default(nullptr);
}

const char *infixFloatOperator(StringRef name) {
  return llvm::StringSwitch<const char *>(name)
      .Case("arith.addf", "+")
      .Case("arith.subf", "-")
      .Case("arith.mulf", "*")
      .Case("arith.divf", "/")
      .Default(nullptr);
}

/// Integer ops of i32 / i64 that go through attn_gen_ops (wrap-around,
/// total division, defined shifts).
const char *integerHelper(StringRef name) {
  return llvm::StringSwitch<const char *>(name)
      .Case("arith.addi", "addi")
      .Case("arith.subi", "subi")
      .Case("arith.muli", "muli")
      .Case("arith.divsi", "divsi")
      .Case("arith.remsi", "remsi")
      .Case("arith.divui", "divui")
      .Case("arith.remui", "remui")
      .Case("arith.ceildivsi", "ceildivsi")
      .Case("arith.ceildivui", "ceildivui")
      .Case("arith.floordivsi", "floordivsi")
      .Case("arith.shli", "shli")
      .Case("arith.shrui", "shrui")
      .Case("arith.shrsi", "shrsi")
      .Case("arith.minsi", "minsi")
      .Case("arith.maxsi", "maxsi")
      .Case("arith.minui", "minui")
      .Case("arith.maxui", "maxui")
      .Default(nullptr);
}

class RegionPrinter {
public:
  RegionPrinter(const RegionEmitEnv &env, std::string &out, std::string &error)
      : env_(env), out_(out), error_(error) {
    if (env.desc)
      for (const ParamSlot &slot : env.desc->params)
        params_[slot.name] = &slot;
  }

  bool emitTop(Region &region) {
    if (!region.hasOneBlock())
      return fail("a hook region must have exactly one block");
    Block &block = region.front();
    if (block.getNumArguments() != env_.args.size())
      return fail(fmt::format("the region has {} arguments, the signature {}",
                              block.getNumArguments(), env_.args.size()));
    for (auto [i, arg] : llvm::enumerate(block.getArguments()))
      names_[arg] = env_.args[i];
    return emitBlock(block, env_.indent, /*results=*/{});
  }

private:
  bool fail(const std::string &message) {
    error_ = message;
    return false;
  }

  bool failOp(Operation &op, const std::string &why) {
    return fail(fmt::format("cannot emit '{}' as CUDA: {}",
                            op.getName().getStringRef().str(), why));
  }

  std::string fresh() { return fmt::format("t{}_", counter_++); }

  std::string name(Value v) {
    auto it = names_.find(v);
    return it == names_.end() ? std::string("/*undefined*/0") : it->second;
  }

  void line(const std::string &indent, const std::string &text) {
    out_ += indent;
    out_ += text;
    out_ += '\n';
  }

  /// Emits `block`'s ops; its terminator either returns (top level) or
  /// assigns `results` (an scf.if branch).
  bool emitBlock(Block &block, const std::string &indent, ArrayRef<std::string> results) {
    for (Operation &op : block) {
      if (auto yield = dyn_cast<scf::YieldOp>(op)) {
        if (yield.getNumOperands() != results.size())
          return failOp(op, "yields a different number of values than its if");
        for (auto [target, v] : llvm::zip(results, yield.getOperands()))
          line(indent, fmt::format("{} = {};", target, name(v)));
        continue;
      }
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        if (op.getNumOperands() != 1)
          return failOp(op, "a hook region yields exactly one value");
        line(indent, fmt::format("return {};", name(op.getOperand(0))));
        continue;
      }
      if (!emitOp(op, indent))
        return false;
    }
    return true;
  }

  bool emitIf(scf::IfOp op, const std::string &indent) {
    SmallVector<std::string, 2> results;
    for (Value r : op.getResults()) {
      std::string type = cppTypeOf(r.getType());
      if (type.empty())
        return failOp(*op, "result type");
      std::string n = fresh();
      line(indent, fmt::format("{} {};", type, n));
      names_[r] = n;
      results.push_back(n);
    }
    line(indent, fmt::format("if ({}) {{", name(op.getCondition())));
    if (!emitBlock(op.getThenRegion().front(), indent + "  ", results))
      return false;
    if (!op.getElseRegion().empty()) {
      line(indent, "} else {");
      if (!emitBlock(op.getElseRegion().front(), indent + "  ", results))
        return false;
    }
    line(indent, "}");
    return true;
  }

  bool emitOp(Operation &op, const std::string &indent) {
    if (auto ifOp = dyn_cast<scf::IfOp>(op))
      return emitIf(ifOp, indent);
    if (op.getNumResults() != 1)
      return failOp(op, "expected one result");
    Value result = op.getResult(0);
    std::string type = cppTypeOf(result.getType());
    if (type.empty())
      return failOp(op, "only i1, i32, i64 and f32 values are supported");
    std::string expr;
    if (!expression(op, expr))
      return false;
    std::string n = fresh();
    line(indent, fmt::format("const {} {} = {};", type, n, expr));
    names_[result] = n;
    return true;
  }

  /// i1 operands read as signed (true = -1) or unsigned (true = 1) integers.
  std::string asInteger(Value v, bool isSigned) {
    return fmt::format(isSigned ? "({} ? -1 : 0)" : "({} ? 1 : 0)", name(v));
  }

  bool expression(Operation &op, std::string &expr) {
    StringRef opName = op.getName().getStringRef();
    Type type = op.getResult(0).getType();
    auto operand = [&](unsigned i) { return name(op.getOperand(i)); };

    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
        expr = intLiteral(i.getValue().getSExtValue(), type.getIntOrFloatBitWidth());
        return true;
      }
      if (auto f = dyn_cast<FloatAttr>(c.getValue())) {
        expr = floatLiteral(static_cast<float>(f.getValueAsDouble()));
        return true;
      }
      return failOp(op, "constant kind");
    }
    if (auto get = dyn_cast<attn::GetParamOp>(op)) {
      const ParamSlot *slot = params_.lookup(get.getName());
      if (!slot || slot->domain != ParamDomain::scalar)
        return failOp(op, fmt::format("'{}' is not a scalar param", get.getName().str()));
      expr = fmt::format("{}.{}", env_.paramsVar, slot->field);
      return true;
    }
    if (auto load = dyn_cast<attn::LoadParamOp>(op)) {
      const ParamSlot *slot = params_.lookup(load.getName());
      if (!slot || slot->domain == ParamDomain::scalar)
        return failOp(op, fmt::format("'{}' is not an array param", load.getName().str()));
      std::string index = name(load.getIndex());
      if (slot->domain == ParamDomain::tokens) // ragged: this request's slice
        expr = fmt::format("{0}.{1}[{0}.token_offsets[{2}] + {3}]", env_.paramsVar,
                           slot->field, env_.batchVar, index);
      else
        expr = fmt::format("{}.{}[{}]", env_.paramsVar, slot->field, index);
      return true;
    }
    if (isa<arith::SelectOp>(op)) {
      expr = fmt::format("({} ? {} : {})", operand(0), operand(1), operand(2));
      return true;
    }
    if (auto cmp = dyn_cast<arith::CmpIOp>(op))
      return compareInt(cmp, expr);
    if (auto cmp = dyn_cast<arith::CmpFOp>(op))
      return compareFloat(cmp, expr);
    if (op.getNumOperands() == 1 && isCast(op))
      return cast(op, expr);

    if (type.isInteger(1))
      return boolean(op, expr);
    if (type.isInteger(32) || type.isInteger(64)) {
      std::string t = cppTypeOf(type);
      if (const char *helper = integerHelper(opName); helper && op.getNumOperands() == 2) {
        expr = fmt::format("attn_gen_ops::{}<{}>({}, {})", helper, t, operand(0), operand(1));
        return true;
      }
      if (opName == "arith.andi" || opName == "arith.ori" || opName == "arith.xori") {
        const char *sym = opName == "arith.andi" ? "&" : opName == "arith.ori" ? "|" : "^";
        expr = fmt::format("({} {} {})", operand(0), sym, operand(1));
        return true;
      }
      if (opName == "math.absi") {
        expr = fmt::format("attn_gen_ops::absi<{}>({})", t, operand(0));
        return true;
      }
      bool is64 = type.isInteger(64);
      std::string u = is64 ? "uint64_t" : "uint32_t";
      if (opName == "math.ctpop") {
        expr = fmt::format("({}){}(({}){})", t, is64 ? "__popcll" : "__popc", u, operand(0));
        return true;
      }
      if (opName == "math.ctlz") {
        expr = fmt::format("({}){}(({}){})", t, is64 ? "__clzll" : "__clz",
                           is64 ? "long long" : "int", operand(0));
        return true;
      }
      if (opName == "math.cttz") {
        expr = fmt::format("({})attn_gen_ops::cttz(({}){})", t, u, operand(0));
        return true;
      }
      return failOp(op, "integer op");
    }
    if (type.isF32()) {
      if (const char *sym = infixFloatOperator(opName)) {
        expr = fmt::format("({} {} {})", operand(0), sym, operand(1));
        return true;
      }
      if (opName == "arith.negf") {
        expr = fmt::format("(-{})", operand(0));
        return true;
      }
      if (const char *fn = unaryMathFunction(opName); fn && op.getNumOperands() == 1) {
        expr = fmt::format("{}({})", fn, operand(0));
        return true;
      }
      if (const char *fn = binaryFloatFunction(opName); fn && op.getNumOperands() == 2) {
        expr = fmt::format("{}({}, {})", fn, operand(0), operand(1));
        return true;
      }
      if (opName == "math.fma") {
        expr = fmt::format("fmaf({}, {}, {})", operand(0), operand(1), operand(2));
        return true;
      }
      if (opName == "math.fpowi") {
        expr = fmt::format("powf({}, (float){})", operand(0), operand(1));
        return true;
      }
      return failOp(op, "float op");
    }
    return failOp(op, "result type");
  }

  bool isCast(Operation &op) {
    return isa<arith::ExtUIOp, arith::ExtSIOp, arith::TruncIOp, arith::SIToFPOp,
               arith::UIToFPOp, arith::FPToSIOp, arith::FPToUIOp, arith::BitcastOp>(op);
  }

  /// i1 results of the logical ops (and of integer ops on i1, which reduce to
  /// logic: + and - are xor, * is and; signed min/max read true as -1).
  bool boolean(Operation &op, std::string &expr) {
    StringRef n = op.getName().getStringRef();
    if (op.getNumOperands() != 2)
      return failOp(op, "i1 op");
    std::string a = name(op.getOperand(0)), b = name(op.getOperand(1));
    const char *fmtStr = llvm::StringSwitch<const char *>(n)
                             .Cases("arith.andi", "arith.muli", "arith.maxsi",
                                    "arith.minui", "({} && {})")
                             .Cases("arith.ori", "arith.minsi", "arith.maxui", "({} || {})")
                             .Cases("arith.xori", "arith.addi", "arith.subi", "({} != {})")
                             .Default(nullptr);
    if (!fmtStr)
      return failOp(op, "this op on i1");
    expr = fmt::format(fmt::runtime(fmtStr), a, b);
    return true;
  }

  bool compareInt(arith::CmpIOp cmp, std::string &expr) {
    using P = arith::CmpIPredicate;
    P pred = cmp.getPredicate();
    Type type = cmp.getLhs().getType();
    bool isUnsigned = pred == P::ult || pred == P::ule || pred == P::ugt || pred == P::uge;
    const char *sym = "==";
    switch (pred) {
    case P::eq: sym = "=="; break;
    case P::ne: sym = "!="; break;
    case P::slt: case P::ult: sym = "<"; break;
    case P::sle: case P::ule: sym = "<="; break;
    case P::sgt: case P::ugt: sym = ">"; break;
    case P::sge: case P::uge: sym = ">="; break;
    }
    std::string a, b;
    if (type.isInteger(1)) {
      if (pred == P::eq || pred == P::ne) {
        a = name(cmp.getLhs());
        b = name(cmp.getRhs());
      } else {
        a = asInteger(cmp.getLhs(), !isUnsigned);
        b = asInteger(cmp.getRhs(), !isUnsigned);
      }
    } else if (isUnsigned) {
      std::string u = type.isInteger(64) ? "uint64_t" : "uint32_t";
      a = fmt::format("({}){}", u, name(cmp.getLhs()));
      b = fmt::format("({}){}", u, name(cmp.getRhs()));
    } else {
      a = name(cmp.getLhs());
      b = name(cmp.getRhs());
    }
    expr = fmt::format("({} {} {})", a, sym, b);
    return true;
  }

  /// C's relational operators are the ordered predicates (false on NaN),
  /// except != which is unordered; the rest are negations or combinations.
  bool compareFloat(arith::CmpFOp cmp, std::string &expr) {
    using P = arith::CmpFPredicate;
    std::string a = name(cmp.getLhs()), b = name(cmp.getRhs());
    const char *f = nullptr;
    switch (cmp.getPredicate()) {
    case P::AlwaysFalse: f = "false"; break;
    case P::AlwaysTrue: f = "true"; break;
    case P::OEQ: f = "({0} == {1})"; break;
    case P::OGT: f = "({0} > {1})"; break;
    case P::OGE: f = "({0} >= {1})"; break;
    case P::OLT: f = "({0} < {1})"; break;
    case P::OLE: f = "({0} <= {1})"; break;
    case P::ONE: f = "({0} < {1} || {0} > {1})"; break;
    case P::ORD: f = "({0} == {0} && {1} == {1})"; break;
    case P::UEQ: f = "!({0} < {1} || {0} > {1})"; break;
    case P::UGT: f = "!({0} <= {1})"; break;
    case P::UGE: f = "!({0} < {1})"; break;
    case P::ULT: f = "!({0} >= {1})"; break;
    case P::ULE: f = "!({0} > {1})"; break;
    case P::UNE: f = "({0} != {1})"; break;
    case P::UNO: f = "({0} != {0} || {1} != {1})"; break;
    }
    expr = fmt::format(fmt::runtime(f), a, b);
    return true;
  }

  bool cast(Operation &op, std::string &expr) {
    Type in = op.getOperand(0).getType(), out = op.getResult(0).getType();
    std::string x = name(op.getOperand(0));
    std::string outT = cppTypeOf(out);
    bool inBool = in.isInteger(1), outBool = out.isInteger(1);
    if (isa<arith::ExtUIOp>(op)) {
      if (inBool)
        expr = fmt::format("({})({} ? 1 : 0)", outT, x);
      else // i32 -> i64: zero-extend through the unsigned type
        expr = fmt::format("({})(uint32_t){}", outT, x);
      return true;
    }
    if (isa<arith::ExtSIOp>(op)) {
      expr = inBool ? fmt::format("({})({} ? -1 : 0)", outT, x)
                    : fmt::format("({}){}", outT, x);
      return true;
    }
    if (isa<arith::TruncIOp>(op)) {
      if (outBool)
        expr = fmt::format("(({} & 1) != 0)", x);
      else // i64 -> i32: keep the low 32 bits
        expr = fmt::format("(int32_t)(uint32_t)(uint64_t){}", x);
      return true;
    }
    if (isa<arith::SIToFPOp>(op)) {
      expr = inBool ? fmt::format("({} ? -1.0f : 0.0f)", x) : fmt::format("(float){}", x);
      return true;
    }
    if (isa<arith::UIToFPOp>(op)) {
      if (inBool)
        expr = fmt::format("({} ? 1.0f : 0.0f)", x);
      else
        expr = fmt::format("(float)({}){}", in.isInteger(64) ? "uint64_t" : "uint32_t", x);
      return true;
    }
    if (isa<arith::FPToSIOp, arith::FPToUIOp>(op)) {
      bool isSigned = isa<arith::FPToSIOp>(op);
      if (out.isInteger(32) || out.isInteger(64)) {
        expr = fmt::format("attn_gen_ops::{}_i{}({})", isSigned ? "fptosi" : "fptoui",
                           out.getIntOrFloatBitWidth(), x);
        return true;
      }
      if (outBool) { // saturating to i1: signed [-1, 0] -> true iff x <= -1
        expr = isSigned ? fmt::format("({} <= -1.0f)", x) : fmt::format("({} >= 1.0f)", x);
        return true;
      }
      return failOp(op, "conversion target");
    }
    if (isa<arith::BitcastOp>(op)) {
      if (in.isF32() && out.isInteger(32)) {
        expr = fmt::format("__float_as_int({})", x);
        return true;
      }
      if (in.isInteger(32) && out.isF32()) {
        expr = fmt::format("__int_as_float({})", x);
        return true;
      }
      if (in == out) {
        expr = x;
        return true;
      }
    }
    return failOp(op, "cast types");
  }

  const RegionEmitEnv &env_;
  std::string &out_;
  std::string &error_;
  llvm::StringMap<const ParamSlot *> params_;
  llvm::DenseMap<Value, std::string> names_;
  unsigned counter_ = 0;
};

} // namespace

bool emitRegionBody(Region &region, const RegionEmitEnv &env, std::string &out,
                    std::string &error) {
  RegionPrinter printer(env, out, error);
  return printer.emitTop(region);
}

} // namespace attn::target
