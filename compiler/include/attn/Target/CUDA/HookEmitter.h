//===- HookEmitter.h - A hook or classifier region as C++ statements -*- C++ -*-===//
//
// Translates the body of an attn.hook or attn.tile_classifier region (arith,
// math, scf.if, attn.get_param / attn.load_param, attn.yield) into straight
// C++ statements that end in `return`, one named temporary (t0_, t1_, ...)
// per SSA value. The semantics are the reference interpreter's:
// integers wrap, x / 0 = 0 and x % 0 = x (also MIN / -1 = MIN), float to int
// conversions truncate and saturate with NaN -> 0, ordered and unordered
// float comparisons are told apart, minimumf/maximumf propagate NaN. The
// helpers that need more than an operator live in the fixed support block
// (hookSupportSource()), printed once per translation unit.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_CUDA_HOOKEMITTER_H
#define ATTN_TARGET_CUDA_HOOKEMITTER_H

#include "attn/Target/CUDA/VariantDesc.h"

#include "mlir/IR/Region.h"

#include <string>
#include <vector>

namespace attn::target {

struct RegionEmitEnv {
  /// The C++ expression of each block argument, in order.
  std::vector<std::string> args;
  /// The params the region may read (field names, domains).
  const VariantDesc *desc = nullptr;
  /// The Params object and the current request, as C++ expressions.
  std::string paramsVar = "p";
  std::string batchVar = "batch";
  /// Prefix of every emitted line.
  std::string indent = "    ";
};

/// Appends the statements computing `region`'s single yielded value to `out`,
/// ending in `return <value>;`. Returns false with a message on an op it does
/// not know (the verifier already limits what a region may hold).
bool emitRegionBody(mlir::Region &region, const RegionEmitEnv &env,
                    std::string &out, std::string &error);

/// The C++ type of an i1 / i32 / i64 / f32 value ("bool", "int32_t", ...),
/// or empty for anything else.
std::string cppTypeOf(mlir::Type type);

/// A C++ literal for an f32 value: exact, with an `f` suffix; infinities and
/// NaN as bit patterns.
std::string floatLiteral(float value);

/// The device helpers the emitted statements call (namespace attn_gen_ops),
/// under an include guard so several generated TUs may be concatenated.
const char *hookSupportSource();

} // namespace attn::target

#endif
