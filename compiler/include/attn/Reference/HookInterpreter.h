//===- HookInterpreter.h - Runs hook regions on the CPU ---------*- C++ -*-===//
//
// Interprets a hook or tile-classifier region (arith, math, scf.if,
// attn.get_param / attn.load_param, attn.yield) on scalar values. Floats are
// computed in double (the oracle is float64 by design); integers follow the
// i32 semantics the kernels will have (two's-complement wrap, truncating
// division, x / 0 = 0 and x % 0 = x as the language defines).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_REFERENCE_HOOKINTERPRETER_H
#define ATTN_REFERENCE_HOOKINTERPRETER_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include <map>
#include <string>
#include <vector>

namespace attn::ref {

/// One scalar: i1 and i32 live in `i`, f32 in `f`.
struct Value {
  bool isFloat = false;
  int64_t i = 0;
  double f = 0.0;
  static Value ofInt(int64_t v) { return {false, v, 0.0}; }
  static Value ofFloat(double v) { return {true, 0, v}; }
  static Value ofBool(bool v) { return {false, v ? 1 : 0, 0.0}; }
};

/// Runtime values of a variant's params. Scalars and arrays over heads,
/// kv_heads and batch are flat; `tokens` arrays are ragged, one vector per
/// request with one entry per KV position. Values are given as doubles and
/// read as the kernel would see them: i32 params by truncation (saturating),
/// f32 params rounded to f32.
struct ParamValues {
  std::map<std::string, double> scalars;
  std::map<std::string, std::vector<double>> arrays;
  std::map<std::string, std::vector<std::vector<double>>> tokens;
};

/// The shape facts a param read needs to bounds-check its index.
struct ParamShape {
  int64_t numQHeads = 0;
  int64_t numKVHeads = 0;
  int64_t batch = 0;
  std::vector<int64_t> kvLens; ///< per request, for `tokens` arrays
};

class RegionInterpreter {
public:
  RegionInterpreter(VariantOp variant, const ParamValues &params,
                    const ParamShape &shape);

  /// Checks that every param the variant declares has a value of the right
  /// shape (applying defaults for missing scalars). Returns false with a
  /// message otherwise. Call once before run().
  bool bindParams(std::string &error);

  /// Runs `region` with `args` bound to its block arguments; `request` is the
  /// request whose `tokens` arrays are read. Returns false with a message on
  /// an out-of-range array index or an op the interpreter does not know.
  bool run(mlir::Region &region, llvm::ArrayRef<Value> args, int64_t request,
           Value &result, std::string &error);

private:
  VariantOp variant_;
  ParamValues params_;
  ParamShape shape_;
};

} // namespace attn::ref

#endif
