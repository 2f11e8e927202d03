//===- ClassifierProgram.cpp - The tile classifier as manifest data -------===//
//
// One JSON object per SSA value, numbered by position; operands refer to
// earlier numbers. The op names are arith's without the dialect prefix, and
// each means exactly what HookEmitter prints for it (attn_gen_ops for the
// integer helpers), so the host interpreter (runtime/src/HostClassifier.cpp)
// and the device agree bit for bit. Ops of i1 that HookEmitter lowers to
// logic (addi = xor, muli = and, ...) are written as that logic. Float ops
// are limited to those IEEE rounds exactly on both sides; the classifier
// attn-classify-tiles builds has none, but a region may.
//
//===----------------------------------------------------------------------===//
#include "attn/Target/CUDA/ClassifierProgram.h"
#include "attn/Target/CUDA/Manifest.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <fmt/format.h>

#include <cstring>

using namespace mlir;

namespace attn::target {

namespace {

const char *typeName(Type t) {
  if (t.isInteger(1)) return "i1";
  if (t.isInteger(32)) return "i32";
  if (t.isInteger(64)) return "i64";
  if (t.isF32()) return "f32";
  return nullptr;
}

/// Integer ops of i32 / i64 that keep their arith name.
bool isIntegerBinary(StringRef name) {
  return llvm::StringSwitch<bool>(name)
      .Cases("addi", "subi", "muli", "divsi", "remsi", "divui", "remui", true)
      .Cases("ceildivsi", "ceildivui", "floordivsi", "shli", "shrui", "shrsi", true)
      .Cases("minsi", "maxsi", "minui", "maxui", "andi", "ori", "xori", true)
      .Default(false);
}

/// What HookEmitter prints for an op on i1 (true = 1 for and/or; signed
/// min/max read true as -1): the logic op it amounts to.
const char *booleanOp(StringRef name) {
  return llvm::StringSwitch<const char *>(name)
      .Cases("andi", "muli", "maxsi", "minui", "andi")
      .Cases("ori", "minsi", "maxui", "ori")
      .Cases("xori", "addi", "subi", "xori")
      .Default(nullptr);
}

/// Float ops whose results IEEE 754 fixes exactly (the device code is
/// compiled without fast-math: -prec-div, -prec-sqrt, no FTZ).
const char *floatOp(StringRef fullName, unsigned arity) {
  const char *n = llvm::StringSwitch<const char *>(fullName)
                      .Case("arith.addf", "addf")
                      .Case("arith.subf", "subf")
                      .Case("arith.mulf", "mulf")
                      .Case("arith.divf", "divf")
                      .Case("arith.remf", "remf")
                      .Case("arith.maxnumf", "maxnumf")
                      .Case("arith.minnumf", "minnumf")
                      .Case("arith.maximumf", "maximumf")
                      .Case("arith.minimumf", "minimumf")
                      .Case("math.copysign", "copysign")
                      .Case("arith.negf", "negf")
                      .Case("math.absf", "absf")
                      .Case("math.floor", "floor")
                      .Case("math.ceil", "ceil")
                      .Case("math.trunc", "trunc")
                      .Case("math.round", "round")
                      .Case("math.roundeven", "roundeven")
                      .Case("math.sqrt", "sqrt")
                      .Case("math.fma", "fma")
                      .Default(nullptr);
  if (!n)
    return nullptr;
  unsigned want = llvm::StringSwitch<unsigned>(n)
                      .Cases("negf", "absf", "floor", "ceil", "trunc", "round", 1)
                      .Cases("roundeven", "sqrt", 1)
                      .Case("fma", 3)
                      .Default(2);
  return want == arity ? n : nullptr;
}

class ProgramEncoder {
public:
  ProgramEncoder(const VariantDesc &desc, std::string &error) : desc_(desc), error_(error) {}

  bool encode(TileClassifierOp c) {
    if (!c.getBody().hasOneBlock())
      return fail("the classifier region must have one block");
    Block &block = c.getBody().front();
    if (block.getNumArguments() != getTileClassifierArgNames().size())
      return fail("the classifier has the wrong number of arguments");
    top_ = &block;
    SmallVector<int, 1> yielded;
    if (!walk(block, -1, yielded))
      return false;
    if (yielded.size() != 1 || types_[yielded[0]] != "i32")
      return fail("the classifier must yield one i32");
    result_ = yielded[0];
    return true;
  }

  std::string render(const std::string &indent) const {
    std::string j = fmt::format("{{\"version\": {}, \"result\": {}, \"ops\": [",
                                kClassifierProgramVersion, result_);
    for (size_t i = 0; i < ops_.size(); ++i)
      j += (i ? ",\n" : "\n") + indent + "  " + ops_[i];
    j += "\n" + indent + "]}";
    return j;
  }

private:
  bool fail(const std::string &message) {
    error_ = message;
    return false;
  }
  bool failOp(Operation &op, const std::string &why) {
    return fail(fmt::format("cannot encode '{}' in the host classifier program: {}",
                            op.getName().getStringRef().str(), why));
  }

  /// Appends {"op": <op>, "type": <type>[, <rest>]} and returns its number.
  int emit(const char *type, const std::string &op, const std::string &rest = "") {
    ops_.push_back(fmt::format("{{\"op\": \"{}\", \"type\": \"{}\"{}{}}}", op, type,
                               rest.empty() ? "" : ", ", rest));
    types_.push_back(type);
    return static_cast<int>(ops_.size()) - 1;
  }

  static std::string argList(std::initializer_list<int> ids) {
    std::string s = "\"args\": [";
    bool first = true;
    for (int id : ids) {
      s += fmt::format("{}{}", first ? "" : ", ", id);
      first = false;
    }
    return s + "]";
  }

  /// The number of `v`; block arguments of the classifier become "arg" ops
  /// on first use. -1 (with the error set) for a value defined elsewhere.
  int id(Value v) {
    auto it = ids_.find(v);
    if (it != ids_.end())
      return it->second;
    if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == top_) {
      int n = emit("i32", "arg",
                   "\"name\": " + jsonString(getTileClassifierArgNames()[arg.getArgNumber()]));
      ids_[v] = n;
      return n;
    }
    error_ = "the classifier uses a value defined outside it";
    return -1;
  }

  bool ids(Operation &op, SmallVectorImpl<int> &out) {
    for (Value v : op.getOperands()) {
      int n = id(v);
      if (n < 0)
        return false;
      out.push_back(n);
    }
    return true;
  }

  static bool hasLoad(Region &r) {
    return r.walk([](LoadParamOp) { return WalkResult::interrupt(); }).wasInterrupted();
  }

  /// The ops of `block` under path condition `guard` (-1: always); its
  /// terminator's operands go to `yielded`.
  bool walk(Block &block, int guard, SmallVectorImpl<int> &yielded) {
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        yielded.clear();
        return ids(op, yielded);
      }
      if (!encodeOp(op, guard))
        return false;
    }
    return fail("a block without a terminator");
  }

  bool encodeIf(scf::IfOp op, int guard) {
    int cond = id(op.getCondition());
    if (cond < 0)
      return false;
    // A read inside a branch runs only when the branch is taken.
    auto branchGuard = [&](bool thenSide) {
      int c = cond;
      if (!thenSide)
        c = emit("i1", "not", argList({cond}));
      if (guard >= 0)
        c = emit("i1", "andi", argList({guard, c}));
      return c;
    };
    SmallVector<int, 2> thenValues, elseValues;
    int thenGuard = hasLoad(op.getThenRegion()) ? branchGuard(true) : -1;
    if (!walk(op.getThenRegion().front(), thenGuard, thenValues))
      return false;
    if (!op.getElseRegion().empty()) {
      int elseGuard = hasLoad(op.getElseRegion()) ? branchGuard(false) : -1;
      if (!walk(op.getElseRegion().front(), elseGuard, elseValues))
        return false;
    }
    if (thenValues.size() != op.getNumResults() || elseValues.size() != op.getNumResults())
      return failOp(*op, "branches yield a different number of values than the if");
    for (auto [i, r] : llvm::enumerate(op.getResults())) {
      const char *t = typeName(r.getType());
      if (!t)
        return failOp(*op, "result type");
      ids_[r] = emit(t, "select", argList({cond, thenValues[i], elseValues[i]}));
    }
    return true;
  }

  bool encodeOp(Operation &op, int guard) {
    if (auto ifOp = dyn_cast<scf::IfOp>(op))
      return encodeIf(ifOp, guard);
    if (op.getNumRegions() != 0)
      return failOp(op, "ops with regions other than scf.if");
    if (op.getNumResults() != 1)
      return failOp(op, "expected one result");
    Value result = op.getResult(0);
    const char *t = typeName(result.getType());
    if (!t)
      return failOp(op, "only i1, i32, i64 and f32 values are supported");
    std::string type = t;
    SmallVector<int, 3> in;
    if (!ids(op, in))
      return false;
    std::string opName, rest;
    if (!fieldsOf(op, type, in, guard, opName, rest))
      return false;
    ids_[result] = emit(t, opName, rest);
    return true;
  }

  /// The program op for `op` and its fields after "op" and "type".
  bool fieldsOf(Operation &op, const std::string &type, ArrayRef<int> in, int guard,
                std::string &opName, std::string &fields) {
    StringRef full = op.getName().getStringRef();
    StringRef name = full;
    bool isArith = name.consume_front("arith.");
    auto withArgs = [&](StringRef n) {
      opName = n.str();
      if (in.size() == 1) return argList({in[0]});
      if (in.size() == 2) return argList({in[0], in[1]});
      if (in.size() == 3) return argList({in[0], in[1], in[2]});
      return std::string();
    };

    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
        opName = "const";
        if (type == "i1")
          fields = fmt::format("\"value\": {}", i.getValue().getBoolValue() ? "true" : "false");
        else
          fields = fmt::format("\"value\": {}", i.getValue().getSExtValue());
        return true;
      }
      if (auto f = dyn_cast<FloatAttr>(c.getValue()); f && type == "f32") {
        float value = static_cast<float>(f.getValueAsDouble());
        uint32_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        opName = "const";
        fields = fmt::format("\"bits\": {}", bits);
        return true;
      }
      return failOp(op, "constant kind");
    }
    if (auto get = dyn_cast<GetParamOp>(op)) {
      const ParamSlot *slot = findParam(get.getName());
      if (!slot || slot->domain != ParamDomain::scalar)
        return failOp(op, fmt::format("'{}' is not a scalar param", get.getName().str()));
      opName = "param";
      fields = "\"name\": " + jsonString(slot->name);
      return true;
    }
    if (auto load = dyn_cast<LoadParamOp>(op)) {
      const ParamSlot *slot = findParam(load.getName());
      if (!slot || slot->domain == ParamDomain::scalar)
        return failOp(op, fmt::format("'{}' is not an array param", load.getName().str()));
      opName = "load";
      fields = fmt::format("\"name\": {}, {}", jsonString(slot->name), argList({in[0]}));
      if (guard >= 0)
        fields += fmt::format(", \"guard\": {}", guard);
      return true;
    }
    if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
      opName = "cmpi";
      fields = fmt::format("\"pred\": \"{}\", {}",
                           arith::stringifyCmpIPredicate(cmp.getPredicate()).str(),
                           argList({in[0], in[1]}));
      return true;
    }
    if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
      opName = "cmpf";
      fields = fmt::format("\"pred\": \"{}\", {}",
                           arith::stringifyCmpFPredicate(cmp.getPredicate()).str(),
                           argList({in[0], in[1]}));
      return true;
    }
    if (isa<arith::SelectOp>(op)) {
      fields = withArgs("select");
      return true;
    }
    if (isa<arith::ExtUIOp, arith::ExtSIOp, arith::TruncIOp, arith::SIToFPOp, arith::UIToFPOp,
            arith::FPToSIOp, arith::FPToUIOp>(op)) {
      fields = withArgs(name);
      return true;
    }
    if (isa<arith::BitcastOp>(op)) {
      Type from = op.getOperand(0).getType(), to = op.getResult(0).getType();
      if (from == to || (from.isF32() && to.isInteger(32)) || (from.isInteger(32) && to.isF32())) {
        fields = withArgs("bitcast");
        return true;
      }
      return failOp(op, "cast types");
    }
    if (type == "i1") {
      const char *logic = isArith && in.size() == 2 ? booleanOp(name) : nullptr;
      if (!logic)
        return failOp(op, "this op on i1");
      fields = withArgs(logic);
      return true;
    }
    if (type == "i32" || type == "i64") {
      if (isArith && in.size() == 2 && isIntegerBinary(name)) {
        fields = withArgs(name);
        return true;
      }
      if (in.size() == 1 && (full == "math.absi" || full == "math.ctpop" ||
                             full == "math.ctlz" || full == "math.cttz")) {
        fields = withArgs(full.drop_front(5));
        return true;
      }
      return failOp(op, "integer op");
    }
    if (const char *f = floatOp(full, in.size())) {
      fields = withArgs(f);
      return true;
    }
    return failOp(op, "float op without an exactly reproducible host equivalent");
  }

  const ParamSlot *findParam(StringRef name) const {
    for (const ParamSlot &s : desc_.params)
      if (s.name == name)
        return &s;
    return nullptr;
  }

  const VariantDesc &desc_;
  std::string &error_;
  Block *top_ = nullptr;
  llvm::DenseMap<Value, int> ids_;
  std::vector<std::string> ops_;
  std::vector<std::string> types_;
  int result_ = -1;
};

} // namespace

bool encodeClassifierProgram(TileClassifierOp classifier, const VariantDesc &desc,
                             const std::string &indent, std::string &json,
                             std::string &error) {
  ProgramEncoder encoder(desc, error);
  if (!encoder.encode(classifier))
    return false;
  json = encoder.render(indent);
  return true;
}

} // namespace attn::target
