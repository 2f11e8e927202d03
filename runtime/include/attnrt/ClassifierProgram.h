//===- ClassifierProgram.h - The tile classifier as portable data -*- C++ -*-===//
//
// attnc derives a tile classifier from the mask (attn-classify-tiles) and
// compiles it into the kernels as `classify(...)`. The manifest carries the
// same function as a small straight-line program (the optional
// "tile_classifier" field, docs/codegen.md section 3) so the host can count
// the key tiles the kernels will really visit. This header is the parsed,
// validated, pre-decoded form; HostClassifier (HostClassifier.h) runs it.
//
// Every instruction defines one value, numbered by its position; operands
// name earlier values only, so a program is valid SSA by construction.
// Pure host code.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_CLASSIFIERPROGRAM_H
#define ATTNRT_CLASSIFIERPROGRAM_H

#include "attnrt/Status.h"

#include <cstdint>
#include <vector>

namespace attnrt {

class JsonValue;
struct Manifest;

// The value types of a program: i1 (0 / 1), i32, i64, f32.
enum class ClsType : uint8_t { kI1, kI32, kI64, kF32 };

enum class ClsOpcode : uint8_t {
  // Leaves. imm: arg -> which call argument (0 q0 ... 8 kv_len); const ->
  // the value (f32: its bits); param / load -> index into Manifest::params.
  kArg, kConst, kParam,
  kLoad, // a = index (i32), b = guard (i1) or -1: reads nothing when false, gives 0
  // Integer binary (i1 only andi / ori / xori), wrapping, total division.
  kAddI, kSubI, kMulI, kDivSI, kRemSI, kDivUI, kRemUI, kCeilDivSI, kCeilDivUI,
  kFloorDivSI, kShlI, kShrUI, kShrSI, kMinSI, kMaxSI, kMinUI, kMaxUI, kAndI, kOrI,
  kXOrI,
  // Integer unary (i32 / i64); kNot is i1 only.
  kAbsI, kCtPop, kCtLz, kCtTz, kNot,
  kCmpI, // aux = ClsIntPred, operands of any integer type
  kCmpF, // aux = ClsFloatPred
  kSelect, // a ? b : c
  // Casts: aux = the operand's ClsType.
  kExtSI, kExtUI, kTruncI, kSIToFP, kUIToFP, kFPToSI, kFPToUI, kBitcast,
  // Float (IEEE, bit-reproducible on host and device).
  kAddF, kSubF, kMulF, kDivF, kRemF, kMaxNumF, kMinNumF, kMaximumF, kMinimumF,
  kCopySign, kNegF, kAbsF, kFloor, kCeil, kTrunc, kRound, kRoundEven, kSqrt, kFma,
};

enum class ClsIntPred : uint8_t { kEq, kNe, kSlt, kSle, kSgt, kSge, kUlt, kUle, kUgt, kUge };
enum class ClsFloatPred : uint8_t {
  kFalse, kOeq, kOgt, kOge, kOlt, kOle, kOne, kOrd,
  kUeq, kUgt, kUge, kUlt, kUle, kUne, kUno, kTrue,
};

struct ClsInstr {
  ClsOpcode op = ClsOpcode::kConst;
  ClsType type = ClsType::kI32; // of the result
  uint8_t aux = 0;              // predicate or cast source type
  int32_t a = -1, b = -1, c = -1;
  int64_t imm = 0;
};

struct ClassifierProgram {
  std::vector<ClsInstr> ops;
  int32_t result = -1; // an i32 value: 0 empty, 1 partial, 2 full
  bool present() const { return result >= 0; }
};

// The call arguments, in the order of classify(): q0 q1 k0 k1 head kv_head
// batch q_len kv_len.
constexpr int kClsNumArgs = 9;
const char *clsArgName(int index);

// The newest program version this runtime reads.
constexpr int kClassifierProgramVersion = 1;
// Programs longer than this are rejected (a bound for hostile input).
constexpr size_t kClassifierMaxOps = 1 << 16;

// Parses the manifest's "tile_classifier" object against `m`'s params
// (already parsed). kInvalidManifest for anything malformed: unknown ops,
// types or predicates, operands that are not earlier values, operand types
// that do not fit, unknown params or params of the wrong domain / type. A
// version newer than kClassifierProgramVersion leaves *out empty (the
// runtime then treats every tile as partial) and is not an error.
Status parseClassifierProgram(const JsonValue &v, const Manifest &m,
                              ClassifierProgram *out);

} // namespace attnrt

#endif // ATTNRT_CLASSIFIERPROGRAM_H
