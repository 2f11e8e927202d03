//===- HostClassifier.cpp - Parsing and running the classifier program ---===//
//
// The arithmetic here must equal the device's bit for bit: the integer
// helpers reproduce attn_gen_ops (the support block attnc prints into every
// translation unit: wrap-around, x / 0 = 0, x % 0 = x, MIN / -1 = MIN,
// shifts by >= the width), float -> int conversions saturate with NaN -> 0
// as the cvt.rzi intrinsics, and only float ops that IEEE rounds exactly on
// both sides are part of the format. test/unit/compiler's
// ClassifierProgramHostTest checks this against the emitted code.
//
// Speed: the planner classifies every tile of every work item. Ops that
// depend only on constants and scalar params are evaluated once by bind();
// ops whose value the result does not need are dropped; classify() then runs
// the remaining ops over a preallocated value array.
//
//===----------------------------------------------------------------------===//
#include "attnrt/HostClassifier.h"

#include "Guard.h"

#include "attnrt/Json.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

namespace attnrt {

namespace {

const char *const kArgNames[kClsNumArgs] = {"q0",      "q1",    "k0",    "k1",    "head",
                                            "kv_head", "batch", "q_len", "kv_len"};

} // namespace

const char *clsArgName(int index) {
  return index >= 0 && index < kClsNumArgs ? kArgNames[index] : "?";
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {

// How an op's operands and result are typed.
enum class Shape : uint8_t {
  kArg, kConst, kParam, kLoad,
  kIntBinary,   // i32 / i64, both operands the result type
  kLogicBinary, // i1 / i32 / i64 (andi, ori, xori)
  kIntUnary,    // i32 / i64
  kNot,         // i1 -> i1
  kCmpI, kCmpF, kSelect,
  kExt, kTrunc, kIntToFloat, kFloatToInt, kBitcast,
  kFloatUnary, kFloatBinary, kFloatTernary,
};

struct OpSpec {
  const char *name;
  ClsOpcode op;
  Shape shape;
};

constexpr OpSpec kOps[] = {
    {"arg", ClsOpcode::kArg, Shape::kArg},
    {"const", ClsOpcode::kConst, Shape::kConst},
    {"param", ClsOpcode::kParam, Shape::kParam},
    {"load", ClsOpcode::kLoad, Shape::kLoad},
    {"addi", ClsOpcode::kAddI, Shape::kIntBinary},
    {"subi", ClsOpcode::kSubI, Shape::kIntBinary},
    {"muli", ClsOpcode::kMulI, Shape::kIntBinary},
    {"divsi", ClsOpcode::kDivSI, Shape::kIntBinary},
    {"remsi", ClsOpcode::kRemSI, Shape::kIntBinary},
    {"divui", ClsOpcode::kDivUI, Shape::kIntBinary},
    {"remui", ClsOpcode::kRemUI, Shape::kIntBinary},
    {"ceildivsi", ClsOpcode::kCeilDivSI, Shape::kIntBinary},
    {"ceildivui", ClsOpcode::kCeilDivUI, Shape::kIntBinary},
    {"floordivsi", ClsOpcode::kFloorDivSI, Shape::kIntBinary},
    {"shli", ClsOpcode::kShlI, Shape::kIntBinary},
    {"shrui", ClsOpcode::kShrUI, Shape::kIntBinary},
    {"shrsi", ClsOpcode::kShrSI, Shape::kIntBinary},
    {"minsi", ClsOpcode::kMinSI, Shape::kIntBinary},
    {"maxsi", ClsOpcode::kMaxSI, Shape::kIntBinary},
    {"minui", ClsOpcode::kMinUI, Shape::kIntBinary},
    {"maxui", ClsOpcode::kMaxUI, Shape::kIntBinary},
    {"andi", ClsOpcode::kAndI, Shape::kLogicBinary},
    {"ori", ClsOpcode::kOrI, Shape::kLogicBinary},
    {"xori", ClsOpcode::kXOrI, Shape::kLogicBinary},
    {"absi", ClsOpcode::kAbsI, Shape::kIntUnary},
    {"ctpop", ClsOpcode::kCtPop, Shape::kIntUnary},
    {"ctlz", ClsOpcode::kCtLz, Shape::kIntUnary},
    {"cttz", ClsOpcode::kCtTz, Shape::kIntUnary},
    {"not", ClsOpcode::kNot, Shape::kNot},
    {"cmpi", ClsOpcode::kCmpI, Shape::kCmpI},
    {"cmpf", ClsOpcode::kCmpF, Shape::kCmpF},
    {"select", ClsOpcode::kSelect, Shape::kSelect},
    {"extsi", ClsOpcode::kExtSI, Shape::kExt},
    {"extui", ClsOpcode::kExtUI, Shape::kExt},
    {"trunci", ClsOpcode::kTruncI, Shape::kTrunc},
    {"sitofp", ClsOpcode::kSIToFP, Shape::kIntToFloat},
    {"uitofp", ClsOpcode::kUIToFP, Shape::kIntToFloat},
    {"fptosi", ClsOpcode::kFPToSI, Shape::kFloatToInt},
    {"fptoui", ClsOpcode::kFPToUI, Shape::kFloatToInt},
    {"bitcast", ClsOpcode::kBitcast, Shape::kBitcast},
    {"addf", ClsOpcode::kAddF, Shape::kFloatBinary},
    {"subf", ClsOpcode::kSubF, Shape::kFloatBinary},
    {"mulf", ClsOpcode::kMulF, Shape::kFloatBinary},
    {"divf", ClsOpcode::kDivF, Shape::kFloatBinary},
    {"remf", ClsOpcode::kRemF, Shape::kFloatBinary},
    {"maxnumf", ClsOpcode::kMaxNumF, Shape::kFloatBinary},
    {"minnumf", ClsOpcode::kMinNumF, Shape::kFloatBinary},
    {"maximumf", ClsOpcode::kMaximumF, Shape::kFloatBinary},
    {"minimumf", ClsOpcode::kMinimumF, Shape::kFloatBinary},
    {"copysign", ClsOpcode::kCopySign, Shape::kFloatBinary},
    {"negf", ClsOpcode::kNegF, Shape::kFloatUnary},
    {"absf", ClsOpcode::kAbsF, Shape::kFloatUnary},
    {"floor", ClsOpcode::kFloor, Shape::kFloatUnary},
    {"ceil", ClsOpcode::kCeil, Shape::kFloatUnary},
    {"trunc", ClsOpcode::kTrunc, Shape::kFloatUnary},
    {"round", ClsOpcode::kRound, Shape::kFloatUnary},
    {"roundeven", ClsOpcode::kRoundEven, Shape::kFloatUnary},
    {"sqrt", ClsOpcode::kSqrt, Shape::kFloatUnary},
    {"fma", ClsOpcode::kFma, Shape::kFloatTernary},
};

constexpr const char *kIntPreds[] = {"eq",  "ne",  "slt", "sle", "sgt",
                                     "sge", "ult", "ule", "ugt", "uge"};
constexpr const char *kFloatPreds[] = {"false", "oeq", "ogt", "oge", "olt", "ole",
                                       "one",   "ord", "ueq", "ugt", "uge", "ult",
                                       "ule",   "une", "uno", "true"};
constexpr const char *kTypeNames[] = {"i1", "i32", "i64", "f32"};

bool isInt(ClsType t) { return t != ClsType::kF32; }
int widthOf(ClsType t) {
  switch (t) {
  case ClsType::kI1: return 1;
  case ClsType::kI32: return 32;
  case ClsType::kI64: return 64;
  case ClsType::kF32: return 32;
  }
  return 0;
}

class ProgramParser {
public:
  ProgramParser(const Manifest &m, ClassifierProgram *out) : m_(m), out_(out) {}

  Status parse(const JsonValue &v) {
    if (!v.isObject())
      return invalidManifest("\"tile_classifier\" must be an object");
    const JsonValue *version = v.find("version");
    if (!version || !version->isInteger() || version->asInt() < 1)
      return invalidManifest("\"tile_classifier.version\" must be a positive integer");
    if (version->asInt() > kClassifierProgramVersion)
      return Status::Ok(); // a newer format: every tile partial
    const JsonValue *ops = v.find("ops");
    if (!ops || !ops->isArray())
      return invalidManifest("\"tile_classifier.ops\" must be an array");
    if (ops->asArray().size() > kClassifierMaxOps)
      return invalidManifest("\"tile_classifier.ops\" has more than " +
                             std::to_string(kClassifierMaxOps) + " ops");
    ClassifierProgram p;
    p.ops.reserve(ops->asArray().size());
    for (size_t i = 0; i < ops->asArray().size(); ++i) {
      ClsInstr in;
      ATTNRT_RETURN_IF_ERROR(parseOp(ops->asArray()[i], i, p, &in));
      p.ops.push_back(in);
    }
    const JsonValue *result = v.find("result");
    if (!result || !result->isInteger() || result->asInt() < 0 ||
        result->asInt() >= static_cast<int64_t>(p.ops.size()))
      return invalidManifest("\"tile_classifier.result\" must be the index of an op");
    p.result = static_cast<int32_t>(result->asInt());
    if (p.ops[p.result].type != ClsType::kI32)
      return invalidManifest("\"tile_classifier.result\" must be an i32 value");
    *out_ = std::move(p);
    return Status::Ok();
  }

private:
  Status parseOp(const JsonValue &v, size_t index, const ClassifierProgram &p, ClsInstr *in) {
    std::string where = "\"tile_classifier.ops[" + std::to_string(index) + "]\"";
    auto bad = [&](const std::string &what) { return invalidManifest(where + " " + what); };
    if (!v.isObject())
      return bad("must be an object");
    const JsonValue *opName = v.find("op");
    if (!opName || !opName->isString())
      return bad("needs a string \"op\"");
    const OpSpec *spec = nullptr;
    for (const OpSpec &s : kOps)
      if (opName->asString() == s.name)
        spec = &s;
    if (!spec)
      return bad("has the unknown op \"" + opName->asString() + "\"");
    where += " (" + opName->asString() + ")";
    in->op = spec->op;

    const JsonValue *type = v.find("type");
    if (!type || !type->isString())
      return bad("needs a string \"type\"");
    int t = -1;
    for (int i = 0; i < 4; ++i)
      if (type->asString() == kTypeNames[i])
        t = i;
    if (t < 0)
      return bad("has the unknown type \"" + type->asString() + "\"");
    in->type = static_cast<ClsType>(t);

    // Operands: earlier values only.
    std::vector<ClsType> argTypes;
    int32_t argIds[3] = {-1, -1, -1};
    if (const JsonValue *args = v.find("args")) {
      if (!args->isArray() || args->asArray().size() > 3)
        return bad("\"args\" must be an array of at most 3 value indices");
      for (size_t i = 0; i < args->asArray().size(); ++i) {
        const JsonValue &a = args->asArray()[i];
        if (!a.isInteger() || a.asInt() < 0 || a.asInt() >= static_cast<int64_t>(index))
          return bad("operand " + std::to_string(i) + " is not the index of an earlier op");
        argIds[i] = static_cast<int32_t>(a.asInt());
        argTypes.push_back(p.ops[argIds[i]].type);
      }
    }
    in->a = argIds[0];
    in->b = argIds[1];
    in->c = argIds[2];
    auto arity = [&](size_t n) -> Status {
      if (argTypes.size() != n)
        return bad("takes " + std::to_string(n) + " operand(s), got " +
                   std::to_string(argTypes.size()));
      return Status::Ok();
    };
    auto typeIs = [&](bool ok) -> Status {
      if (!ok)
        return bad("has operand or result types that do not fit");
      return Status::Ok();
    };
    auto sameAll = [&](ClsType want) {
      for (ClsType at : argTypes)
        if (at != want)
          return false;
      return true;
    };
    ClsType rt = in->type;

    switch (spec->shape) {
    case Shape::kArg: {
      ATTNRT_RETURN_IF_ERROR(arity(0));
      ATTNRT_RETURN_IF_ERROR(typeIs(rt == ClsType::kI32));
      const JsonValue *name = v.find("name");
      if (!name || !name->isString())
        return bad("needs a string \"name\"");
      int found = -1;
      for (int i = 0; i < kClsNumArgs; ++i)
        if (name->asString() == kArgNames[i])
          found = i;
      if (found < 0)
        return bad("names the unknown argument \"" + name->asString() + "\"");
      in->imm = found;
      return Status::Ok();
    }
    case Shape::kConst: {
      ATTNRT_RETURN_IF_ERROR(arity(0));
      if (rt == ClsType::kF32) {
        const JsonValue *bits = v.find("bits");
        if (!bits || !bits->isInteger() || bits->asInt() < 0 || bits->asInt() > 0xffffffffLL)
          return bad("needs \"bits\": the f32 value's bit pattern as an unsigned integer");
        in->imm = bits->asInt();
        return Status::Ok();
      }
      const JsonValue *value = v.find("value");
      if (!value)
        return bad("needs a \"value\"");
      if (rt == ClsType::kI1) {
        if (value->isBool())
          in->imm = value->asBool() ? 1 : 0;
        else if (value->isInteger() && (value->asInt() == 0 || value->asInt() == 1))
          in->imm = value->asInt();
        else
          return bad("\"value\" must be true, false, 0 or 1");
        return Status::Ok();
      }
      if (!value->isInteger())
        return bad("\"value\" must be an integer");
      if (rt == ClsType::kI32 && (value->asInt() < std::numeric_limits<int32_t>::min() ||
                                  value->asInt() > std::numeric_limits<int32_t>::max()))
        return bad("\"value\" is outside the i32 range");
      in->imm = value->asInt();
      return Status::Ok();
    }
    case Shape::kParam:
    case Shape::kLoad: {
      bool load = spec->shape == Shape::kLoad;
      ATTNRT_RETURN_IF_ERROR(arity(load ? 1 : 0));
      const JsonValue *name = v.find("name");
      if (!name || !name->isString())
        return bad("needs a string \"name\"");
      int found = -1;
      for (size_t i = 0; i < m_.params.size(); ++i)
        if (m_.params[i].name == name->asString())
          found = static_cast<int>(i);
      if (found < 0)
        return bad("names \"" + name->asString() + "\", which is not a param of the manifest");
      const ParamInfo &pi = m_.params[found];
      if ((pi.domain == ParamDomain::kScalar) == load)
        return bad("reads \"" + pi.name + "\", which is " +
                   (load ? "a scalar (use \"param\")" : "an array (use \"load\")"));
      ATTNRT_RETURN_IF_ERROR(
          typeIs(rt == (pi.type == ParamType::kF32 ? ClsType::kF32 : ClsType::kI32)));
      in->imm = found;
      if (load) {
        ATTNRT_RETURN_IF_ERROR(typeIs(argTypes[0] == ClsType::kI32));
        in->b = -1;
        if (const JsonValue *guard = v.find("guard")) {
          if (!guard->isInteger() || guard->asInt() < 0 ||
              guard->asInt() >= static_cast<int64_t>(index))
            return bad("\"guard\" is not the index of an earlier op");
          in->b = static_cast<int32_t>(guard->asInt());
          ATTNRT_RETURN_IF_ERROR(typeIs(p.ops[in->b].type == ClsType::kI1));
        }
      }
      return Status::Ok();
    }
    case Shape::kIntBinary:
      ATTNRT_RETURN_IF_ERROR(arity(2));
      return typeIs((rt == ClsType::kI32 || rt == ClsType::kI64) && sameAll(rt));
    case Shape::kLogicBinary:
      ATTNRT_RETURN_IF_ERROR(arity(2));
      return typeIs(isInt(rt) && sameAll(rt));
    case Shape::kIntUnary:
      ATTNRT_RETURN_IF_ERROR(arity(1));
      return typeIs((rt == ClsType::kI32 || rt == ClsType::kI64) && sameAll(rt));
    case Shape::kNot:
      ATTNRT_RETURN_IF_ERROR(arity(1));
      return typeIs(rt == ClsType::kI1 && sameAll(rt));
    case Shape::kCmpI:
    case Shape::kCmpF: {
      ATTNRT_RETURN_IF_ERROR(arity(2));
      bool cmpf = spec->shape == Shape::kCmpF;
      ATTNRT_RETURN_IF_ERROR(typeIs(rt == ClsType::kI1 && argTypes[0] == argTypes[1] &&
                                    isInt(argTypes[0]) != cmpf));
      const JsonValue *pred = v.find("pred");
      if (!pred || !pred->isString())
        return bad("needs a string \"pred\"");
      int found = -1;
      if (cmpf) {
        for (int i = 0; i < 16; ++i)
          if (pred->asString() == kFloatPreds[i])
            found = i;
      } else {
        for (int i = 0; i < 10; ++i)
          if (pred->asString() == kIntPreds[i])
            found = i;
      }
      if (found < 0)
        return bad("has the unknown predicate \"" + pred->asString() + "\"");
      in->aux = static_cast<uint8_t>(found);
      return Status::Ok();
    }
    case Shape::kSelect:
      ATTNRT_RETURN_IF_ERROR(arity(3));
      return typeIs(argTypes[0] == ClsType::kI1 && argTypes[1] == rt && argTypes[2] == rt);
    case Shape::kExt:
    case Shape::kTrunc: {
      ATTNRT_RETURN_IF_ERROR(arity(1));
      ClsType from = argTypes[0];
      bool ok = isInt(from) && isInt(rt) &&
                (spec->shape == Shape::kExt ? widthOf(from) < widthOf(rt)
                                            : widthOf(from) > widthOf(rt));
      in->aux = static_cast<uint8_t>(from);
      return typeIs(ok);
    }
    case Shape::kIntToFloat:
      ATTNRT_RETURN_IF_ERROR(arity(1));
      in->aux = static_cast<uint8_t>(argTypes[0]);
      return typeIs(isInt(argTypes[0]) && rt == ClsType::kF32);
    case Shape::kFloatToInt:
      ATTNRT_RETURN_IF_ERROR(arity(1));
      in->aux = static_cast<uint8_t>(argTypes[0]);
      return typeIs(argTypes[0] == ClsType::kF32 && isInt(rt));
    case Shape::kBitcast: {
      ATTNRT_RETURN_IF_ERROR(arity(1));
      ClsType from = argTypes[0];
      in->aux = static_cast<uint8_t>(from);
      return typeIs(from == rt || (from == ClsType::kF32 && rt == ClsType::kI32) ||
                    (from == ClsType::kI32 && rt == ClsType::kF32));
    }
    case Shape::kFloatUnary:
      ATTNRT_RETURN_IF_ERROR(arity(1));
      return typeIs(rt == ClsType::kF32 && sameAll(rt));
    case Shape::kFloatBinary:
      ATTNRT_RETURN_IF_ERROR(arity(2));
      return typeIs(rt == ClsType::kF32 && sameAll(rt));
    case Shape::kFloatTernary:
      ATTNRT_RETURN_IF_ERROR(arity(3));
      return typeIs(rt == ClsType::kF32 && sameAll(rt));
    }
    return bad("is not supported");
  }

  const Manifest &m_;
  ClassifierProgram *out_;
};

} // namespace

Status parseClassifierProgram(const JsonValue &v, const Manifest &m, ClassifierProgram *out) {
  *out = ClassifierProgram();
  return ProgramParser(m, out).parse(v);
}

//===----------------------------------------------------------------------===//
// Semantics (attn_gen_ops, on the host)
//===----------------------------------------------------------------------===//

namespace {

template <typename T> using U = std::make_unsigned_t<T>;
template <typename T> constexpr int kBits = sizeof(T) * 8;

template <typename T> T addi(T a, T b) { return (T)((U<T>)a + (U<T>)b); }
template <typename T> T subi(T a, T b) { return (T)((U<T>)a - (U<T>)b); }
template <typename T> T muli(T a, T b) { return (T)((U<T>)a * (U<T>)b); }
template <typename T> T absi(T a) { return (T)(a < 0 ? (U<T>)0 - (U<T>)a : (U<T>)a); }
template <typename T> T divsi(T a, T b) {
  return b == 0 ? (T)0 : b == -1 ? (T)((U<T>)0 - (U<T>)a) : (T)(a / b);
}
template <typename T> T remsi(T a, T b) { return b == 0 ? a : b == -1 ? (T)0 : (T)(a % b); }
template <typename T> T divui(T a, T b) { return b == 0 ? (T)0 : (T)((U<T>)a / (U<T>)b); }
template <typename T> T remui(T a, T b) { return b == 0 ? a : (T)((U<T>)a % (U<T>)b); }
template <typename T> T ceildivui(T a, T b) {
  return b == 0 ? (T)0 : (T)((U<T>)a / (U<T>)b + ((U<T>)a % (U<T>)b != 0 ? 1 : 0));
}
template <typename T> T ceildivsi(T a, T b) {
  if (b == 0) return 0;
  T q = divsi(a, b);
  if (b == -1) return q;
  T r = a % b;
  return (r != 0 && ((r > 0) == (b > 0))) ? addi(q, (T)1) : q;
}
template <typename T> T floordivsi(T a, T b) {
  if (b == 0) return 0;
  T q = divsi(a, b);
  if (b == -1) return q;
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? subi(q, (T)1) : q;
}
template <typename T> T shli(T a, T b) {
  return (U<T>)b >= (U<T>)kBits<T> ? (T)0 : (T)((U<T>)a << (U<T>)b);
}
template <typename T> T shrui(T a, T b) {
  return (U<T>)b >= (U<T>)kBits<T> ? (T)0 : (T)((U<T>)a >> (U<T>)b);
}
template <typename T> T shrsi(T a, T b) {
  // >> of a negative value is arithmetic on every compiler attnrt supports
  // (and defined so by C++20).
  return (U<T>)b >= (U<T>)kBits<T> ? (a < 0 ? (T)-1 : (T)0) : (T)(a >> (U<T>)b);
}
template <typename T> T minui(T a, T b) { return (U<T>)a <= (U<T>)b ? a : b; }
template <typename T> T maxui(T a, T b) { return (U<T>)a >= (U<T>)b ? a : b; }
template <typename T> T ctpop(T a) {
  U<T> x = (U<T>)a;
  int n = 0;
  for (; x; x &= x - 1)
    ++n;
  return (T)n;
}
template <typename T> T ctlz(T a) {
  U<T> x = (U<T>)a;
  int n = 0;
  for (U<T> bit = (U<T>)1 << (kBits<T> - 1); bit && !(x & bit); bit >>= 1)
    ++n;
  return (T)n;
}
template <typename T> T cttz(T a) {
  U<T> x = (U<T>)a;
  if (!x) return (T)kBits<T>;
  int n = 0;
  for (; !(x & 1); x >>= 1)
    ++n;
  return (T)n;
}

template <typename T> T binary(ClsOpcode op, T a, T b) {
  switch (op) {
  case ClsOpcode::kAddI: return addi(a, b);
  case ClsOpcode::kSubI: return subi(a, b);
  case ClsOpcode::kMulI: return muli(a, b);
  case ClsOpcode::kDivSI: return divsi(a, b);
  case ClsOpcode::kRemSI: return remsi(a, b);
  case ClsOpcode::kDivUI: return divui(a, b);
  case ClsOpcode::kRemUI: return remui(a, b);
  case ClsOpcode::kCeilDivSI: return ceildivsi(a, b);
  case ClsOpcode::kCeilDivUI: return ceildivui(a, b);
  case ClsOpcode::kFloorDivSI: return floordivsi(a, b);
  case ClsOpcode::kShlI: return shli(a, b);
  case ClsOpcode::kShrUI: return shrui(a, b);
  case ClsOpcode::kShrSI: return shrsi(a, b);
  case ClsOpcode::kMinSI: return a <= b ? a : b;
  case ClsOpcode::kMaxSI: return a >= b ? a : b;
  case ClsOpcode::kMinUI: return minui(a, b);
  case ClsOpcode::kMaxUI: return maxui(a, b);
  case ClsOpcode::kAndI: return a & b;
  case ClsOpcode::kOrI: return a | b;
  case ClsOpcode::kXOrI: return a ^ b;
  default: return 0;
  }
}

template <typename T> T unary(ClsOpcode op, T a) {
  switch (op) {
  case ClsOpcode::kAbsI: return absi(a);
  case ClsOpcode::kCtPop: return ctpop(a);
  case ClsOpcode::kCtLz: return ctlz(a);
  case ClsOpcode::kCtTz: return cttz(a);
  default: return 0;
  }
}

// Signed and unsigned views of an integer value of type t (i1 reads as
// 0 / -1 signed and 0 / 1 unsigned, as the device's comparisons).
int64_t asSigned(ClsType t, int64_t v) { return t == ClsType::kI1 ? -v : v; }
uint64_t asUnsigned(ClsType t, int64_t v) {
  return t == ClsType::kI32 ? (uint64_t)(uint32_t)v : (uint64_t)v;
}

bool compareInt(ClsIntPred p, ClsType t, int64_t a, int64_t b) {
  switch (p) {
  case ClsIntPred::kEq: return a == b;
  case ClsIntPred::kNe: return a != b;
  case ClsIntPred::kSlt: return asSigned(t, a) < asSigned(t, b);
  case ClsIntPred::kSle: return asSigned(t, a) <= asSigned(t, b);
  case ClsIntPred::kSgt: return asSigned(t, a) > asSigned(t, b);
  case ClsIntPred::kSge: return asSigned(t, a) >= asSigned(t, b);
  case ClsIntPred::kUlt: return asUnsigned(t, a) < asUnsigned(t, b);
  case ClsIntPred::kUle: return asUnsigned(t, a) <= asUnsigned(t, b);
  case ClsIntPred::kUgt: return asUnsigned(t, a) > asUnsigned(t, b);
  case ClsIntPred::kUge: return asUnsigned(t, a) >= asUnsigned(t, b);
  }
  return false;
}

bool compareFloat(ClsFloatPred p, float a, float b) {
  switch (p) {
  case ClsFloatPred::kFalse: return false;
  case ClsFloatPred::kOeq: return a == b;
  case ClsFloatPred::kOgt: return a > b;
  case ClsFloatPred::kOge: return a >= b;
  case ClsFloatPred::kOlt: return a < b;
  case ClsFloatPred::kOle: return a <= b;
  case ClsFloatPred::kOne: return a < b || a > b;
  case ClsFloatPred::kOrd: return a == a && b == b;
  case ClsFloatPred::kUeq: return !(a < b || a > b);
  case ClsFloatPred::kUgt: return !(a <= b);
  case ClsFloatPred::kUge: return !(a < b);
  case ClsFloatPred::kUlt: return !(a >= b);
  case ClsFloatPred::kUle: return !(a > b);
  case ClsFloatPred::kUne: return a != b;
  case ClsFloatPred::kUno: return a != a || b != b;
  case ClsFloatPred::kTrue: return true;
  }
  return false;
}

float toFloat(int64_t bits) {
  uint32_t u = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
int64_t fromFloat(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// The cvt.rzi conversions: truncate, saturate, NaN -> 0.
int64_t fptosi(float x, ClsType to) {
  if (x != x) return 0;
  if (to == ClsType::kI1) return x <= -1.0f ? 1 : 0;
  if (to == ClsType::kI32) {
    if (x >= 2147483648.0f) return std::numeric_limits<int32_t>::max();
    if (x <= -2147483648.0f) return std::numeric_limits<int32_t>::min();
    return static_cast<int32_t>(x);
  }
  if (x >= 9223372036854775808.0f) return std::numeric_limits<int64_t>::max();
  if (x <= -9223372036854775808.0f) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}
int64_t fptoui(float x, ClsType to) {
  if (x != x) return 0;
  if (to == ClsType::kI1) return x >= 1.0f ? 1 : 0;
  if (x <= 0.0f) return 0; // (-1, 0) truncates to 0; below saturates to 0
  if (to == ClsType::kI32) {
    uint32_t u = x >= 4294967296.0f ? 0xffffffffu : static_cast<uint32_t>(x);
    return static_cast<int32_t>(u);
  }
  uint64_t u = x >= 18446744073709551616.0f ? ~uint64_t(0) : static_cast<uint64_t>(x);
  return static_cast<int64_t>(u);
}

// An integer result normalized to its type: i32 sign-extended, i1 0 / 1.
int64_t normalize(ClsType t, int64_t v) {
  if (t == ClsType::kI32) return static_cast<int32_t>(static_cast<uint32_t>(v));
  if (t == ClsType::kI1) return v & 1;
  return v;
}

float maximumf(float a, float b) {
  if (a != a || b != b) return kNaN;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
float minimumf(float a, float b) {
  if (a != a || b != b) return kNaN;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

} // namespace

//===----------------------------------------------------------------------===//
// HostArrays
//===----------------------------------------------------------------------===//

void HostArrays::set(const std::string &name, ParamType type, const void *data, int64_t count) {
  for (Array &a : arrays_)
    if (a.name == name) {
      a.type = type;
      a.data = data;
      a.count = count;
      return;
    }
  arrays_.push_back(Array{name, type, data, count});
}
void HostArrays::setI32(const std::string &name, const int32_t *data, int64_t count) {
  set(name, ParamType::kI32, data, count);
}
void HostArrays::setF32(const std::string &name, const float *data, int64_t count) {
  set(name, ParamType::kF32, data, count);
}
const HostArrays::Array *HostArrays::find(std::string_view name) const {
  for (const Array &a : arrays_)
    if (a.name == name)
      return &a;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// HostClassifier
//===----------------------------------------------------------------------===//

HostClassifier::HostClassifier(const Manifest &m)
    : program_(m.tileClassifier), params_(m.params), numQHeads_(m.numQHeads),
      numKVHeads_(m.numKVHeads), groupSize_(m.groupSize > 0 ? m.groupSize : 1) {
  if (!program_.present())
    return;
  const size_t n = program_.ops.size();
  values_.assign(n, 0);
  mirrors_.assign(params_.size(), Mirror());

  // Keep the ops the result needs (loads: also their guard).
  std::vector<uint8_t> needed(n, 0);
  needed[program_.result] = 1;
  for (size_t i = n; i-- > 0;) {
    if (!needed[i])
      continue;
    const ClsInstr &in = program_.ops[i];
    for (int32_t operand : {in.a, in.b, in.c})
      if (operand >= 0)
        needed[operand] = 1;
  }
  // Constants and scalar params, and pure ops of them only, are the same
  // for every tile of a batch.
  invariant_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ClsInstr &in = program_.ops[i];
    bool inv;
    switch (in.op) {
    case ClsOpcode::kConst:
    case ClsOpcode::kParam: inv = true; break;
    case ClsOpcode::kArg:
    case ClsOpcode::kLoad: inv = false; break;
    default:
      inv = true;
      for (int32_t operand : {in.a, in.b, in.c})
        if (operand >= 0 && !invariant_[operand])
          inv = false;
    }
    invariant_[i] = inv;
    if (needed[i] && !inv)
      live_.push_back(static_cast<int32_t>(i));
    if (needed[i] && in.op == ClsOpcode::kArg && (in.imm == 4 || in.imm == 5))
      readsHead_ = true;
  }
  // Scalars at their defaults until bind(); an op reading a scalar without
  // one keeps the classifier unbound (every tile partial).
  bound_ = true;
  for (size_t i = 0; i < n; ++i) {
    const ClsInstr &in = program_.ops[i];
    if (!invariant_[i])
      continue;
    if (in.op == ClsOpcode::kParam) {
      const ParamInfo &p = params_[in.imm];
      if (!p.hasDefault) {
        bound_ = false;
        break;
      }
      values_[i] = p.type == ParamType::kF32
                       ? fromFloat(static_cast<float>(p.defaultValue))
                       : normalize(ClsType::kI32, static_cast<int64_t>(p.defaultValue));
      continue;
    }
    evaluate(in, &values_[i], nullptr);
  }
}

Status HostClassifier::bind(const ParamSet &params, const HostArrays &arrays,
                            const BatchInfo &info) {
  return guarded("HostClassifier::bind", [&]() -> Status {
    if (!program_.present())
      return Status::Ok();
    bound_ = false;
    for (Mirror &mirror : mirrors_)
      mirror = Mirror();
    // Scalars: type and shape as packParams checks them.
    const size_t n = program_.ops.size();
    for (size_t i = 0; i < n; ++i) {
      const ClsInstr &in = program_.ops[i];
      if (in.op != ClsOpcode::kParam)
        continue;
      const ParamInfo &p = params_[in.imm];
      const ParamSet::Value *given = nullptr;
      for (const ParamSet::Value &v : params.values())
        if (v.name == p.name)
          given = &v;
      if (given) {
        if (given->isArray || given->type != p.type)
          return invalidArgument("HostClassifier::bind: param '" + p.name + "' is a scalar " +
                                 paramTypeName(p.type) + ", given " +
                                 (given->isArray ? "an array" : "a scalar ") +
                                 (given->isArray ? "" : paramTypeName(given->type)));
        values_[i] = p.type == ParamType::kF32 ? fromFloat(given->f32)
                                               : normalize(ClsType::kI32, given->i32);
      } else if (p.hasDefault) {
        values_[i] = p.type == ParamType::kF32
                         ? fromFloat(static_cast<float>(p.defaultValue))
                         : normalize(ClsType::kI32, static_cast<int64_t>(p.defaultValue));
      } else {
        return invalidArgument("HostClassifier::bind: param '" + p.name +
                               "' has no value and no default");
      }
    }
    // Mirrors.
    DomainSizes sizes;
    sizes.heads = numQHeads_;
    sizes.kvHeads = numKVHeads_;
    sizes.batch = static_cast<int64_t>(info.kvLens.size());
    sizes.tokens = info.totalKvTokens;
    for (const HostArrays::Array &a : arrays.arrays()) {
      int found = -1;
      for (size_t i = 0; i < params_.size(); ++i)
        if (params_[i].name == a.name)
          found = static_cast<int>(i);
      if (found < 0)
        return invalidArgument("HostClassifier::bind: no param named '" + a.name + "'");
      const ParamInfo &p = params_[found];
      if (p.domain == ParamDomain::kScalar)
        return invalidArgument("HostClassifier::bind: param '" + p.name +
                               "' is a scalar, given a host array");
      if (a.type != p.type)
        return invalidArgument("HostClassifier::bind: param '" + p.name + "' is " +
                               paramTypeName(p.type) + "[], the host array is " +
                               paramTypeName(a.type));
      int64_t need = p.domain == ParamDomain::kHeads     ? sizes.heads
                     : p.domain == ParamDomain::kKvHeads ? sizes.kvHeads
                     : p.domain == ParamDomain::kBatch   ? sizes.batch
                                                         : sizes.tokens;
      if (a.count < need || (need > 0 && !a.data))
        return invalidArgument("HostClassifier::bind: host array '" + p.name + "' has " +
                               std::to_string(a.count) + " elements, its domain " +
                               paramDomainName(p.domain) + " needs " + std::to_string(need));
      Mirror &mirror = mirrors_[found];
      mirror.data = a.data;
      mirror.count = a.count;
      mirror.tokens = p.domain == ParamDomain::kTokens;
    }
    tokenOffsets_.assign(info.kvTokenOffsets.begin(), info.kvTokenOffsets.end());
    for (size_t i = 0; i < n; ++i)
      if (invariant_[i] && program_.ops[i].op != ClsOpcode::kParam)
        evaluate(program_.ops[i], &values_[i], nullptr);
    bound_ = true;
    return Status::Ok();
  });
}

// One op into *v; false when the answer cannot be known (a read without a
// mirror or outside it): the caller then says partial.
bool HostClassifier::evaluate(const ClsInstr &in, int64_t *v, const int32_t *args) const {
  const int64_t *val = values_.data();
  const ClsType t = in.type;
  switch (in.op) {
  case ClsOpcode::kArg: *v = args[in.imm]; return true;
  case ClsOpcode::kConst: *v = in.imm; return true;
  case ClsOpcode::kParam: return true; // bound by bind()
  case ClsOpcode::kLoad: {
    if (in.b >= 0 && !val[in.b]) {
      *v = 0; // guarded off: the device reads nothing either
      return true;
    }
    const Mirror &mirror = mirrors_[in.imm];
    if (!mirror.data)
      return false;
    int64_t index = val[in.a];
    if (mirror.tokens) {
      const int64_t batch = args[6];
      if (batch < 0 || batch + 1 >= static_cast<int64_t>(tokenOffsets_.size()))
        return false;
      index += tokenOffsets_[batch];
    }
    if (index < 0 || index >= mirror.count)
      return false;
    if (t == ClsType::kF32)
      *v = fromFloat(static_cast<const float *>(mirror.data)[index]);
    else
      *v = static_cast<const int32_t *>(mirror.data)[index];
    return true;
  }
  case ClsOpcode::kAddI: case ClsOpcode::kSubI: case ClsOpcode::kMulI:
  case ClsOpcode::kDivSI: case ClsOpcode::kRemSI: case ClsOpcode::kDivUI:
  case ClsOpcode::kRemUI: case ClsOpcode::kCeilDivSI: case ClsOpcode::kCeilDivUI:
  case ClsOpcode::kFloorDivSI: case ClsOpcode::kShlI: case ClsOpcode::kShrUI:
  case ClsOpcode::kShrSI: case ClsOpcode::kMinSI: case ClsOpcode::kMaxSI:
  case ClsOpcode::kMinUI: case ClsOpcode::kMaxUI: case ClsOpcode::kAndI:
  case ClsOpcode::kOrI: case ClsOpcode::kXOrI:
    if (t == ClsType::kI64)
      *v = binary<int64_t>(in.op, val[in.a], val[in.b]);
    else if (t == ClsType::kI32)
      *v = binary<int32_t>(in.op, static_cast<int32_t>(val[in.a]),
                           static_cast<int32_t>(val[in.b]));
    else // i1: and / or / xor of 0 / 1
      *v = binary<int64_t>(in.op, val[in.a], val[in.b]) & 1;
    return true;
  case ClsOpcode::kAbsI: case ClsOpcode::kCtPop: case ClsOpcode::kCtLz:
  case ClsOpcode::kCtTz:
    *v = t == ClsType::kI64 ? unary<int64_t>(in.op, val[in.a])
                            : unary<int32_t>(in.op, static_cast<int32_t>(val[in.a]));
    return true;
  case ClsOpcode::kNot: *v = val[in.a] ^ 1; return true;
  case ClsOpcode::kCmpI:
    *v = compareInt(static_cast<ClsIntPred>(in.aux), program_.ops[in.a].type, val[in.a],
                    val[in.b]);
    return true;
  case ClsOpcode::kCmpF:
    *v = compareFloat(static_cast<ClsFloatPred>(in.aux), toFloat(val[in.a]),
                      toFloat(val[in.b]));
    return true;
  case ClsOpcode::kSelect: *v = val[in.a] ? val[in.b] : val[in.c]; return true;
  case ClsOpcode::kExtSI: // i1 true -> -1; i32 values are stored sign-extended
    *v = static_cast<ClsType>(in.aux) == ClsType::kI1 ? -val[in.a] : val[in.a];
    *v = normalize(t, *v);
    return true;
  case ClsOpcode::kExtUI:
    *v = static_cast<int64_t>(asUnsigned(static_cast<ClsType>(in.aux), val[in.a]));
    *v = normalize(t, *v);
    return true;
  case ClsOpcode::kTruncI: *v = normalize(t, val[in.a]); return true;
  case ClsOpcode::kSIToFP: {
    ClsType from = static_cast<ClsType>(in.aux);
    *v = fromFloat(from == ClsType::kI1 ? (val[in.a] ? -1.0f : 0.0f)
                                        : static_cast<float>(val[in.a]));
    return true;
  }
  case ClsOpcode::kUIToFP:
    *v = fromFloat(static_cast<float>(asUnsigned(static_cast<ClsType>(in.aux), val[in.a])));
    return true;
  case ClsOpcode::kFPToSI: *v = normalize(t, fptosi(toFloat(val[in.a]), t)); return true;
  case ClsOpcode::kFPToUI: *v = normalize(t, fptoui(toFloat(val[in.a]), t)); return true;
  case ClsOpcode::kBitcast:
    // f32 <-> i32 keep the bits; the stored forms differ only in sign
    // extension.
    *v = t == ClsType::kF32 ? static_cast<int64_t>(static_cast<uint32_t>(val[in.a]))
                            : normalize(t, val[in.a]);
    return true;
  default: break;
  }
  // Float ops.
  const float a = in.a >= 0 ? toFloat(val[in.a]) : 0.0f;
  const float b = in.b >= 0 ? toFloat(val[in.b]) : 0.0f;
  float r = 0;
  switch (in.op) {
  case ClsOpcode::kAddF: r = a + b; break;
  case ClsOpcode::kSubF: r = a - b; break;
  case ClsOpcode::kMulF: r = a * b; break;
  case ClsOpcode::kDivF: r = a / b; break;
  case ClsOpcode::kRemF: r = std::fmod(a, b); break;
  case ClsOpcode::kMaxNumF: r = std::fmax(a, b); break;
  case ClsOpcode::kMinNumF: r = std::fmin(a, b); break;
  case ClsOpcode::kMaximumF: r = maximumf(a, b); break;
  case ClsOpcode::kMinimumF: r = minimumf(a, b); break;
  case ClsOpcode::kCopySign: r = std::copysign(a, b); break;
  case ClsOpcode::kNegF: r = -a; break;
  case ClsOpcode::kAbsF: r = std::fabs(a); break;
  case ClsOpcode::kFloor: r = std::floor(a); break;
  case ClsOpcode::kCeil: r = std::ceil(a); break;
  case ClsOpcode::kTrunc: r = std::trunc(a); break;
  case ClsOpcode::kRound: r = std::round(a); break;
  case ClsOpcode::kRoundEven: r = std::nearbyint(a); break;
  case ClsOpcode::kSqrt: r = std::sqrt(a); break;
  case ClsOpcode::kFma: r = std::fma(a, b, toFloat(val[in.c])); break;
  default: break;
  }
  *v = fromFloat(r);
  return true;
}

int HostClassifier::classify(int q0, int q1, int k0, int k1, int head, int kvHead, int batch,
                             int qLen, int kvLen) const {
  if (!program_.present() || !bound_)
    return kTilePartial;
  const int32_t args[kClsNumArgs] = {q0, q1, k0, k1, head, kvHead, batch, qLen, kvLen};
  const ClsInstr *ops = program_.ops.data();
  int64_t *val = values_.data();
  for (int32_t i : live_)
    if (!evaluate(ops[i], &val[i], args))
      return kTilePartial;
  return static_cast<int>(static_cast<int32_t>(val[program_.result]));
}

int64_t countNonEmptyTiles(const HostClassifier &c, int request, int kvHead, int qBegin,
                           int qEnd, int kvBegin, int kvEnd, int blockM, int blockN,
                           int groupSize, const BatchInfo &info) {
  if (request < 0 || static_cast<size_t>(request) >= info.kvLens.size() ||
      request >= static_cast<int>(info.qLens.size()) || blockN <= 0 || qEnd <= qBegin ||
      kvEnd <= kvBegin)
    return 0;
  const int G = groupSize > 0 ? groupSize : 1;
  const int rows = std::max(1, blockM / G);
  const int qLen = info.qLens[request], kvLen = info.kvLens[request];
  const int h0 = kvHead * G;
  const bool perHead = c.readsHead() && G > 1;
  int64_t count = 0;
  for (int r0 = qBegin; r0 < qEnd; r0 += rows) {
    const int r1 = std::min(qEnd, r0 + rows);
    const int q0 = kvLen - qLen + r0, q1 = kvLen - qLen + r1 - 1;
    for (int k0 = kvBegin; k0 < kvEnd;) {
      const int k1 = static_cast<int>(std::min<int64_t>(int64_t(k0) + blockN, kvEnd));
      bool any;
      if (perHead) {
        any = false;
        for (int g = 0; g < G && !any; ++g)
          any = c.classify(q0, q1, k0, k1 - 1, h0 + g, kvHead, request, qLen, kvLen) != 0;
      } else {
        any = c.classify(q0, q1, k0, k1 - 1, h0, kvHead, request, qLen, kvLen) != 0;
      }
      count += any;
      k0 = k1;
    }
  }
  return count;
}

} // namespace attnrt
