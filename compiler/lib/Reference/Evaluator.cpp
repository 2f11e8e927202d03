//===- Evaluator.cpp - Attention in float64 on the CPU --------------------===//
//
// DESIGN.md section 1, computed pair by pair in double straight from the
// variant's IR. It is the oracle, so it is written to be obviously right
// first and fast second: the only shortcuts are ones that cannot change a
// result (query/key transforms done once per row, hooks interpreted only
// where the variant has them, identity hook bodies skipped).
//
// Choices the design leaves open; every backend has to agree with them:
// - Logits and weights hooks run only on pairs the mask keeps. A masked
//   pair cannot change the result, and a hook that only makes sense inside
//   the mask (say, one that indexes an array by q_idx - kv_idx) stays legal.
// - softmax: a kept key whose logit is -inf contributes nothing, and a row
//   whose kept logits are all -inf is a row with no kept key. A +inf or NaN
//   logit follows IEEE arithmetic: exp(inf - inf) is NaN, so that row's
//   output and LSE are NaN, which is what an online softmax computes too.
// - A row with no kept key gets o = 0 exactly and lse = -inf, and the
//   output hook is NOT applied to it (the kernels write the empty row
//   directly; an output hook such as o + 1 would otherwise make it non-zero).
// - normalize = none: lse = log(sum of the kept weights) when that sum is
//   positive, NaN when it is NaN, else -inf. It is informational only:
//   `none` rows are plain sums, so nothing merges them by their LSE. A kept
//   key's weight is whatever the weights hook returns, even for a logit of
//   -inf, so such a row still counts as having kept keys.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/Evaluator.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>
#include <optional>

using namespace attn;
using namespace attn::ref;
using llvm::ArrayRef;
using llvm::MutableArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();

//===----------------------------------------------------------------------===//
// Built-ins and hooks
//===----------------------------------------------------------------------===//

/// The built-ins a hook may read. Each hook's argument list is resolved to
/// these once, so a call does not compare names.
enum class Builtin : uint8_t {
  Score, Logit, Element, Dim, QIdx, KVIdx, Head, KVHead, Batch, QLen, KVLen
};

std::optional<Builtin> builtinNamed(StringRef name) {
  return llvm::StringSwitch<std::optional<Builtin>>(name)
      .Case("score", Builtin::Score)
      .Case("logit", Builtin::Logit)
      // The element a query, key or output hook transforms.
      .Cases("q", "k", "o", Builtin::Element)
      .Case("dim", Builtin::Dim)
      .Case("q_idx", Builtin::QIdx)
      .Case("kv_idx", Builtin::KVIdx)
      .Case("head", Builtin::Head)
      .Case("kv_head", Builtin::KVHead)
      .Case("batch", Builtin::Batch)
      .Case("q_len", Builtin::QLen)
      .Case("kv_len", Builtin::KVLen)
      .Default(std::nullopt);
}

/// The built-ins' values at one point of the iteration.
struct Builtins {
  double score = 0, logit = 0, element = 0;
  int64_t dim = 0, qIdx = 0, kvIdx = 0, head = 0, kvHead = 0, batch = 0;
  int64_t qLen = 0, kvLen = 0;
};

Value builtinValue(Builtin which, const Builtins &b) {
  switch (which) {
  case Builtin::Score: return Value::ofFloat(b.score);
  case Builtin::Logit: return Value::ofFloat(b.logit);
  case Builtin::Element: return Value::ofFloat(b.element);
  case Builtin::Dim: return Value::ofInt(b.dim);
  case Builtin::QIdx: return Value::ofInt(b.qIdx);
  case Builtin::KVIdx: return Value::ofInt(b.kvIdx);
  case Builtin::Head: return Value::ofInt(b.head);
  case Builtin::KVHead: return Value::ofInt(b.kvHead);
  case Builtin::Batch: return Value::ofInt(b.batch);
  case Builtin::QLen: return Value::ofInt(b.qLen);
  case Builtin::KVLen: return Value::ofInt(b.kvLen);
  }
  return Value();
}

/// A body that yields its first block argument unchanged: a rope-only query
/// or key hook looks like this, and skipping it saves a call per element.
bool yieldsFirstArgument(HookOp hook) {
  mlir::Block &block = hook.getBlock();
  if (block.getNumArguments() == 0 || !llvm::hasSingleElement(block))
    return false;
  auto yield = llvm::dyn_cast<YieldOp>(block.front());
  return yield && yield.getValues().size() == 1 &&
         yield.getValues()[0] == block.getArgument(0);
}

/// One hook of the variant (or its absence), ready to be called.
class Hook {
public:
  bool init(HookOp op, std::string &error);
  bool present() const { return static_cast<bool>(op_); }
  bool isIdentity() const { return identity_; }

  /// Runs the body with the built-ins of `b`; `request` selects the `tokens`
  /// arrays it reads.
  bool call(RegionInterpreter &interp, const Builtins &b, int64_t request,
            Value &result, std::string &error);
  bool callFloat(RegionInterpreter &interp, const Builtins &b, int64_t request,
                 double &result, std::string &error);
  bool callBool(RegionInterpreter &interp, const Builtins &b, int64_t request,
                bool &result, std::string &error);

private:
  HookOp op_;
  SmallVector<Builtin, 9> args_;
  SmallVector<Value, 9> values_;
  bool identity_ = false;
};

bool Hook::init(HookOp op, std::string &error) {
  op_ = op;
  if (!op)
    return true;
  HookKind kind = op.getKind();
  ArrayRef<HookArg> sig = getHookSignature(kind);
  std::string name = stringifyHookKind(kind).str();
  if (op.getBody().empty() || op.getBlock().getNumArguments() != sig.size()) {
    error = name + " hook: its block arguments do not match the " + name +
            " hook signature (" + std::to_string(sig.size()) + " arguments)";
    return false;
  }
  for (const HookArg &arg : sig) {
    std::optional<Builtin> builtin = builtinNamed(arg.name);
    if (!builtin) {
      // The dialect grew a built-in this evaluator has not learnt yet.
      error = name + " hook: the reference evaluator does not know built-in '" +
              arg.name.str() + "'";
      return false;
    }
    args_.push_back(*builtin);
  }
  values_.resize(args_.size());
  identity_ = yieldsFirstArgument(op);
  return true;
}

bool Hook::call(RegionInterpreter &interp, const Builtins &b, int64_t request,
                Value &result, std::string &error) {
  if (identity_) {
    result = builtinValue(args_.front(), b);
    return true;
  }
  for (size_t i = 0; i < args_.size(); ++i)
    values_[i] = builtinValue(args_[i], b);
  return interp.run(op_.getBody(), values_, request, result, error);
}

bool Hook::callFloat(RegionInterpreter &interp, const Builtins &b,
                     int64_t request, double &result, std::string &error) {
  Value v;
  if (!call(interp, b, request, v, error))
    return false;
  if (!v.isFloat) {
    error = "hook yielded an integer where an f32 was expected";
    return false;
  }
  result = v.f;
  return true;
}

bool Hook::callBool(RegionInterpreter &interp, const Builtins &b,
                    int64_t request, bool &result, std::string &error) {
  Value v;
  if (!call(interp, b, request, v, error))
    return false;
  if (v.isFloat) {
    error = "mask hook yielded a float where an i1 was expected";
    return false;
  }
  result = v.i != 0;
  return true;
}

//===----------------------------------------------------------------------===//
// Rotary embedding
//===----------------------------------------------------------------------===//

/// The rotary embedding of a query or key hook, applied after its body.
struct Rope {
  int64_t dims = 0; ///< rotated dims R; 0 when the hook has no rope
  bool interleaved = false;
  std::vector<double> invFreq; ///< theta^(-2i/R) for i < R/2

  bool init(HookOp hook, int64_t headDim, std::string &error);
  void apply(int64_t pos, MutableArrayRef<double> x) const;
};

bool Rope::init(HookOp hook, int64_t headDim, std::string &error) {
  if (!hook || !hook.hasRope())
    return true;
  double theta = hook.getRopeTheta()->convertToDouble();
  dims = hook.getRopeDims() ? static_cast<int64_t>(*hook.getRopeDims()) : headDim;
  interleaved = hook.getRopeInterleaved();
  if (!(theta > 0) || !std::isfinite(theta) || dims <= 0 || dims % 2 != 0 ||
      dims > headDim) {
    error = stringifyHookKind(hook.getKind()).str() +
            " hook: rope needs a finite positive theta and an even rope_dims "
            "in [2, head_dim_qk]";
    return false;
  }
  for (int64_t i = 0; i < dims / 2; ++i)
    invFreq.push_back(std::pow(theta, -2.0 * static_cast<double>(i) /
                                          static_cast<double>(dims)));
  return true;
}

void Rope::apply(int64_t pos, MutableArrayRef<double> x) const {
  int64_t half = dims / 2;
  for (int64_t i = 0; i < half; ++i) {
    double angle = static_cast<double>(pos) * invFreq[i];
    double c = std::cos(angle), s = std::sin(angle);
    // Interleaved (GPT-J) rotates neighbours; the default (GPT-NeoX, Llama)
    // rotates dim i with dim i + R/2.
    int64_t a = interleaved ? 2 * i : i;
    int64_t b = interleaved ? 2 * i + 1 : i + half;
    double xa = x[a], xb = x[b];
    x[a] = xa * c - xb * s;
    x[b] = xb * c + xa * s;
  }
}

//===----------------------------------------------------------------------===//
// Configuration and input checks
//===----------------------------------------------------------------------===//

struct Config {
  int64_t numQHeads = 0, numKVHeads = 0, group = 0;
  int64_t dimQK = 0, dimVO = 0;
  double scale = 0;
  bool softmax = true;
  int64_t blockQ = 0, blockKV = 0; ///< non-zero for block_sparse
};

/// Reads the variant's configuration. The op verifier checks the same, but
/// the oracle must not crash on an op someone built without verifying it.
bool readConfig(VariantOp variant, Config &c, std::string &error) {
  c.numQHeads = static_cast<int64_t>(variant.getNumQHeads());
  c.numKVHeads = static_cast<int64_t>(variant.getNumKvHeads());
  c.dimQK = static_cast<int64_t>(variant.getHeadDimQk());
  c.dimVO = static_cast<int64_t>(variant.getHeadDimVo());
  c.scale = variant.getScale().convertToDouble();
  c.softmax = variant.getNormalize() == Normalize::softmax;
  if (c.numQHeads <= 0 || c.numKVHeads <= 0 || c.numQHeads > kMaxI32 ||
      c.numQHeads % c.numKVHeads != 0) {
    error = "variant: num_q_heads must be a positive multiple of num_kv_heads";
    return false;
  }
  if (c.dimQK <= 0 || c.dimVO <= 0 || c.dimQK > kMaxI32 || c.dimVO > kMaxI32) {
    error = "variant: head dims must be positive";
    return false;
  }
  if (!c.softmax && !variant.getHook(HookKind::weights)) {
    error = "variant: normalize = none requires a weights hook";
    return false;
  }
  c.group = c.numQHeads / c.numKVHeads;
  if (variant.getKvLayout() == KVLayout::block_sparse) {
    c.blockQ = variant.getBlockQ().value_or(0);
    c.blockKV = variant.getBlockKv().value_or(0);
    if (c.blockQ <= 0 || c.blockKV <= 0) {
      error = "variant: block_sparse needs positive block sizes";
      return false;
    }
  }
  return true;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Validates the BSR pattern of a block-sparse problem: one block row per
/// query block of each request, monotone indptr, key blocks in range.
bool checkBlockSparse(const Config &c, const Problem &p, std::string &error) {
  if (!c.blockQ) {
    if (!p.bsrRowOffsets.empty() || !p.bsrIndptr.empty() || !p.bsrIndices.empty()) {
      error = "a block-sparse pattern was given for a variant whose layout is not block_sparse";
      return false;
    }
    return true;
  }
  size_t batch = p.qLens.size();
  if (p.bsrRowOffsets.size() != batch) {
    error = "bsrRowOffsets has " + std::to_string(p.bsrRowOffsets.size()) +
            " entries, expected one per request (" + std::to_string(batch) + ")";
    return false;
  }
  if (p.bsrIndptr.empty() || p.bsrIndptr.front() != 0) {
    error = "bsrIndptr must start at 0";
    return false;
  }
  int64_t rows = static_cast<int64_t>(p.bsrIndptr.size()) - 1;
  for (int64_t r = 0; r < rows; ++r)
    if (p.bsrIndptr[r + 1] < p.bsrIndptr[r]) {
      error = "bsrIndptr is not monotone at row " + std::to_string(r);
      return false;
    }
  if (p.bsrIndptr.back() != static_cast<int64_t>(p.bsrIndices.size())) {
    error = "bsrIndptr ends at " + std::to_string(p.bsrIndptr.back()) +
            " but bsrIndices has " + std::to_string(p.bsrIndices.size()) + " entries";
    return false;
  }
  for (size_t b = 0; b < batch; ++b) {
    int64_t first = p.bsrRowOffsets[b], qBlocks = ceilDiv(p.qLens[b], c.blockQ);
    int64_t kvBlocks = ceilDiv(p.kvLens[b], c.blockKV);
    if (first < 0 || first + qBlocks > rows) {
      error = "request " + std::to_string(b) + ": its block rows [" + std::to_string(first) +
              ", " + std::to_string(first + qBlocks) + ") exceed bsrIndptr's " +
              std::to_string(rows) + " rows";
      return false;
    }
    for (int64_t r = first; r < first + qBlocks; ++r)
      for (int64_t e = p.bsrIndptr[r]; e < p.bsrIndptr[r + 1]; ++e)
        if (p.bsrIndices[e] < 0 || p.bsrIndices[e] >= kvBlocks) {
          error = "request " + std::to_string(b) + ": key block " +
                  std::to_string(p.bsrIndices[e]) + " out of range [0, " +
                  std::to_string(kvBlocks) + ")";
          return false;
        }
  }
  return true;
}

/// a * b * c without overflow, or false.
bool checkedProduct(int64_t a, int64_t b, int64_t c, int64_t &out) {
  int64_t ab;
  return !__builtin_mul_overflow(a, b, &ab) && !__builtin_mul_overflow(ab, c, &out);
}

bool checkTensorSize(StringRef name, size_t actual, int64_t rows,
                     StringRef rowsName, int64_t heads, StringRef headsName,
                     int64_t dim, StringRef dimName, std::string &error) {
  int64_t expected;
  if (!checkedProduct(rows, heads, dim, expected)) {
    error = name.str() + ": its size [" + rowsName.str() + "][" +
            headsName.str() + "][" + dimName.str() + "] overflows";
    return false;
  }
  if (static_cast<int64_t>(actual) == expected)
    return true;
  llvm::raw_string_ostream os(error);
  os << name << " has " << actual << " elements, expected " << expected << " (["
     << rowsName << " = " << rows << "][" << headsName << " = " << heads << "]["
     << dimName << " = " << dim << "])";
  return false;
}

/// Checks lengths and tensor sizes; fills the first row of each request.
bool checkProblem(const Config &c, const Problem &p, std::vector<int64_t> &qStart,
                  std::vector<int64_t> &kvStart, std::string &error) {
  if (p.qLens.size() != p.kvLens.size()) {
    error = "qLens has " + std::to_string(p.qLens.size()) +
            " requests but kvLens has " + std::to_string(p.kvLens.size());
    return false;
  }
  int64_t totalQ = 0, totalKV = 0;
  for (size_t b = 0; b < p.qLens.size(); ++b) {
    int64_t qLen = p.qLens[b], kvLen = p.kvLens[b];
    std::string where = "request " + std::to_string(b) + ": ";
    if (qLen < 0 || kvLen < 0) {
      error = where + "lengths must be non-negative (q_len = " +
              std::to_string(qLen) + ", kv_len = " + std::to_string(kvLen) + ")";
      return false;
    }
    if (kvLen < qLen) {
      error = where + "kv_len (" + std::to_string(kvLen) +
              ") must be at least q_len (" + std::to_string(qLen) +
              "): queries are aligned to the end of the KV";
      return false;
    }
    // Hooks see positions and lengths as i32.
    if (kvLen > kMaxI32) {
      error = where + "kv_len " + std::to_string(kvLen) + " does not fit in i32";
      return false;
    }
    qStart.push_back(totalQ);
    kvStart.push_back(totalKV);
    totalQ += qLen;
    totalKV += kvLen;
  }
  return checkTensorSize("q", p.q.size(), totalQ, "sum qLens", c.numQHeads,
                         "num_q_heads", c.dimQK, "head_dim_qk", error) &&
         checkTensorSize("k", p.k.size(), totalKV, "sum kvLens", c.numKVHeads,
                         "num_kv_heads", c.dimQK, "head_dim_qk", error) &&
         checkTensorSize("v", p.v.size(), totalKV, "sum kvLens", c.numKVHeads,
                         "num_kv_heads", c.dimVO, "head_dim_vo", error);
}

//===----------------------------------------------------------------------===//
// The evaluation
//===----------------------------------------------------------------------===//

class Evaluation {
public:
  Evaluation(const Config &config, const Problem &problem,
             RegionInterpreter &interp, std::vector<int64_t> qStart,
             std::vector<int64_t> kvStart)
      : c_(config), p_(problem), interp_(interp), qStart_(std::move(qStart)),
        kvStart_(std::move(kvStart)) {}

  bool initHooks(VariantOp variant, std::string &error);
  bool run(Result &result, std::string &error);

private:
  bool transformKeys(int64_t b, int64_t kvHead, std::string &error);
  bool transformQuery(const Builtins &row, std::string &error);
  bool collectKept(const Builtins &row, std::string &error);
  bool attendRow(const Builtins &row, MutableArrayRef<double> out, double &lse,
                 std::string &error);
  bool normalizeSoftmax(double &divisor, double &lse);
  bool normalizeNone(double &divisor, double &lse);
  void accumulateValues(const Builtins &row, double divisor,
                        MutableArrayRef<double> out) const;
  bool applyOutput(const Builtins &row, MutableArrayRef<double> out,
                   std::string &error);

  const double *valueRow(int64_t b, int64_t kvHead, int64_t j) const {
    return &p_.v[((kvStart_[b] + j) * c_.numKVHeads + kvHead) * c_.dimVO];
  }

  const Config &c_;
  const Problem &p_;
  RegionInterpreter &interp_;
  std::vector<int64_t> qStart_, kvStart_;
  Hook query_, key_, logits_, mask_, weights_, output_;
  Rope queryRope_, keyRope_;

  // Scratch reused across rows.
  std::vector<double> keys_;  ///< transformed keys of one (request, kv head)
  std::vector<double> queryRow_; ///< transformed query of one row
  std::vector<int64_t> kept_; ///< kept key indices of one row
  std::vector<double> keptVal_; ///< their logits (softmax) or weights (none)
  std::vector<char> blockListed_; ///< block_sparse: key blocks of this row's query block

  void listBlocks(const Builtins &row) {
    int64_t i = row.qIdx - (row.kvLen - row.qLen); // query row within the request
    int64_t blockRow = p_.bsrRowOffsets[row.batch] + i / c_.blockQ;
    blockListed_.assign(static_cast<size_t>(ceilDiv(row.kvLen, c_.blockKV)), 0);
    for (int64_t e = p_.bsrIndptr[blockRow]; e < p_.bsrIndptr[blockRow + 1]; ++e)
      blockListed_[p_.bsrIndices[e]] = 1;
  }
};

bool Evaluation::initHooks(VariantOp variant, std::string &error) {
  return query_.init(variant.getHook(HookKind::query), error) &&
         key_.init(variant.getHook(HookKind::key), error) &&
         logits_.init(variant.getHook(HookKind::logits), error) &&
         mask_.init(variant.getHook(HookKind::mask), error) &&
         weights_.init(variant.getHook(HookKind::weights), error) &&
         output_.init(variant.getHook(HookKind::output), error) &&
         queryRope_.init(variant.getHook(HookKind::query), c_.dimQK, error) &&
         keyRope_.init(variant.getHook(HookKind::key), c_.dimQK, error);
}

/// Says where a failure happened, in the terms of DESIGN.md section 1.
std::string where(const Builtins &at, bool withKey) {
  std::string s = "request " + std::to_string(at.batch) + ", head " +
                  std::to_string(at.head) + ", q_idx " + std::to_string(at.qIdx);
  if (withKey)
    s += ", kv_idx " + std::to_string(at.kvIdx);
  return s + ": ";
}

bool Evaluation::transformKeys(int64_t b, int64_t kvHead, std::string &error) {
  int64_t kvLen = p_.kvLens[b], dim = c_.dimQK;
  keys_.resize(static_cast<size_t>(kvLen * dim));
  Builtins at;
  at.kvHead = kvHead;
  at.batch = b;
  at.qLen = p_.qLens[b];
  at.kvLen = kvLen;
  bool body = key_.present() && !key_.isIdentity();
  for (int64_t j = 0; j < kvLen; ++j) {
    const double *src = &p_.k[((kvStart_[b] + j) * c_.numKVHeads + kvHead) * dim];
    MutableArrayRef<double> dst(&keys_[j * dim], dim);
    at.kvIdx = j;
    for (int64_t d = 0; d < dim; ++d) {
      at.element = src[d];
      at.dim = d;
      dst[d] = src[d];
      if (body && !key_.callFloat(interp_, at, b, dst[d], error)) {
        error = "request " + std::to_string(b) + ", kv_head " +
                std::to_string(kvHead) + ", kv_idx " + std::to_string(j) +
                ": key hook: " + error;
        return false;
      }
    }
    if (keyRope_.dims)
      keyRope_.apply(j, dst);
  }
  return true;
}

bool Evaluation::transformQuery(const Builtins &row, std::string &error) {
  int64_t dim = c_.dimQK, b = row.batch;
  int64_t i = row.qIdx - (row.kvLen - row.qLen); // the row within the request
  const double *src = &p_.q[((qStart_[b] + i) * c_.numQHeads + row.head) * dim];
  queryRow_.assign(src, src + dim);
  if (query_.present() && !query_.isIdentity()) {
    Builtins at = row;
    for (int64_t d = 0; d < dim; ++d) {
      at.element = src[d];
      at.dim = d;
      if (!query_.callFloat(interp_, at, b, queryRow_[d], error)) {
        error = where(row, false) + "query hook: " + error;
        return false;
      }
    }
  }
  if (queryRope_.dims)
    queryRope_.apply(row.qIdx, queryRow_);
  return true;
}

/// Fills kept_ with the keys the mask keeps for this row and keptVal_ with
/// their logits (softmax) or weights (none).
bool Evaluation::collectKept(const Builtins &row, std::string &error) {
  kept_.clear();
  keptVal_.clear();
  Builtins at = row;
  int64_t dim = c_.dimQK;
  if (c_.blockQ)
    listBlocks(row);
  for (int64_t j = 0; j < row.kvLen; ++j) {
    at.kvIdx = j;
    if (c_.blockQ && !blockListed_[j / c_.blockKV])
      continue;
    bool keep = true;
    if (mask_.present() && !mask_.callBool(interp_, at, row.batch, keep, error)) {
      error = where(at, true) + "mask hook: " + error;
      return false;
    }
    if (!keep)
      continue;
    const double *k = &keys_[j * dim];
    double dot = 0;
    for (int64_t d = 0; d < dim; ++d)
      dot += queryRow_[d] * k[d];
    at.score = dot * c_.scale;
    at.logit = at.score;
    if (logits_.present() &&
        !logits_.callFloat(interp_, at, row.batch, at.logit, error)) {
      error = where(at, true) + "logits hook: " + error;
      return false;
    }
    double value = at.logit;
    if (!c_.softmax &&
        !weights_.callFloat(interp_, at, row.batch, value, error)) {
      error = where(at, true) + "weights hook: " + error;
      return false;
    }
    kept_.push_back(j);
    keptVal_.push_back(value);
  }
  return true;
}

/// Turns the kept logits into unnormalized weights exp(logit - max).
/// Returns false for a row with no kept key of non-zero weight.
bool Evaluation::normalizeSoftmax(double &divisor, double &lse) {
  // A NaN logit poisons the max, as it would in IEEE arithmetic.
  double maxLogit = -kInf;
  for (double l : keptVal_)
    if (std::isnan(l) || l > maxLogit)
      maxLogit = l;
  if (kept_.empty() || maxLogit == -kInf)
    return false;
  double sum = 0;
  for (double &l : keptVal_) {
    l = std::exp(l - maxLogit);
    sum += l;
  }
  // Stable: sum >= 1 here (the max term is exp(0)) unless something is NaN.
  divisor = sum;
  lse = maxLogit + std::log(sum);
  return true;
}

/// The weights hook already gave the weights; they are summed, not
/// normalized. See the file comment for this LSE.
bool Evaluation::normalizeNone(double &divisor, double &lse) {
  if (kept_.empty())
    return false;
  double sum = 0;
  for (double w : keptVal_)
    sum += w;
  divisor = 1;
  lse = sum > 0 ? std::log(sum) : std::isnan(sum) ? sum : -kInf;
  return true;
}

/// out[d] = sum over kept j of keptVal_ * v_j[d], divided by `divisor`.
void Evaluation::accumulateValues(const Builtins &row, double divisor,
                                  MutableArrayRef<double> out) const {
  for (double &o : out)
    o = 0;
  for (size_t n = 0; n < kept_.size(); ++n) {
    const double *v = valueRow(row.batch, row.kvHead, kept_[n]);
    double w = keptVal_[n];
    for (size_t d = 0; d < out.size(); ++d)
      out[d] += w * v[d];
  }
  if (divisor != 1)
    for (double &o : out)
      o /= divisor;
}

bool Evaluation::applyOutput(const Builtins &row, MutableArrayRef<double> out,
                             std::string &error) {
  if (!output_.present() || output_.isIdentity())
    return true;
  Builtins at = row;
  for (size_t d = 0; d < out.size(); ++d) {
    at.element = out[d];
    at.dim = static_cast<int64_t>(d);
    if (!output_.callFloat(interp_, at, row.batch, out[d], error)) {
      error = where(row, false) + "output hook: " + error;
      return false;
    }
  }
  return true;
}

/// One query row: out and lse come back as the row's result.
bool Evaluation::attendRow(const Builtins &row, MutableArrayRef<double> out,
                           double &lse, std::string &error) {
  if (!transformQuery(row, error) || !collectKept(row, error))
    return false;
  double divisor = 1;
  bool anyKept = c_.softmax ? normalizeSoftmax(divisor, lse)
                            : normalizeNone(divisor, lse);
  if (!anyKept) {
    // No kept key: exactly 0 and -inf, and no output hook (file comment).
    for (double &o : out)
      o = 0;
    lse = -kInf;
    return true;
  }
  accumulateValues(row, divisor, out);
  return applyOutput(row, out, error);
}

bool Evaluation::run(Result &result, std::string &error) {
  int64_t totalQ = qStart_.empty() ? 0 : qStart_.back() + p_.qLens.back();
  result.out.assign(static_cast<size_t>(totalQ * c_.numQHeads * c_.dimVO), 0.0);
  result.lse.assign(static_cast<size_t>(totalQ * c_.numQHeads), -kInf);
  for (size_t b = 0; b < p_.qLens.size(); ++b) {
    int64_t qLen = p_.qLens[b], kvLen = p_.kvLens[b];
    if (qLen == 0)
      continue;
    // Keys are transformed once per KV head and shared by its query heads.
    for (int64_t kvHead = 0; kvHead < c_.numKVHeads; ++kvHead) {
      if (!transformKeys(b, kvHead, error))
        return false;
      for (int64_t g = 0; g < c_.group; ++g) {
        Builtins row;
        row.batch = static_cast<int64_t>(b);
        row.head = kvHead * c_.group + g;
        row.kvHead = kvHead;
        row.qLen = qLen;
        row.kvLen = kvLen;
        for (int64_t i = 0; i < qLen; ++i) {
          row.qIdx = kvLen - qLen + i;
          int64_t slot = (qStart_[b] + i) * c_.numQHeads + row.head;
          MutableArrayRef<double> out(&result.out[slot * c_.dimVO], c_.dimVO);
          if (!attendRow(row, out, result.lse[slot], error))
            return false;
        }
      }
    }
  }
  return true;
}

} // namespace

bool attn::ref::evaluate(VariantOp variant, const Problem &problem,
                         Result &result, std::string &error) {
  result = Result();
  if (!variant) {
    error = "no variant";
    return false;
  }
  Config config;
  std::vector<int64_t> qStart, kvStart;
  if (!readConfig(variant, config, error) ||
      !checkProblem(config, problem, qStart, kvStart, error) ||
      !checkBlockSparse(config, problem, error))
    return false;

  ParamShape shape;
  shape.numQHeads = config.numQHeads;
  shape.numKVHeads = config.numKVHeads;
  shape.batch = static_cast<int64_t>(problem.qLens.size());
  shape.kvLens = problem.kvLens;
  RegionInterpreter interp(variant, problem.params, shape);
  if (!interp.bindParams(error))
    return false;

  Evaluation evaluation(config, problem, interp, std::move(qStart),
                        std::move(kvStart));
  if (!evaluation.initHooks(variant, error) ||
      !evaluation.run(result, error)) {
    // Half a result must not be mistaken for an answer.
    result = Result();
    return false;
  }
  return true;
}
