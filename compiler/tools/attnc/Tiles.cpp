//===- Tiles.cpp - `attnc tiles`: draw what a mask costs ------------------===//
//
// Runs the generated tile classifier over a q_len x kv_len problem cut into
// tiles and draws the map: `#` full (no mask evaluated), `~` partial (mask
// evaluated per element), `.` empty (never loaded). With --verify it also
// evaluates the mask on every pair of every tile and reports tiles where the
// classifier was conservative (said partial; the truth is full or empty) or
// wrong (never expected: a bug in attn-classify-tiles).
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include "attn/Reference/Evaluator.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace attn;

namespace attnc {

namespace {

struct TileCounts {
  int64_t empty = 0, partial = 0, full = 0;
  int64_t conservative = 0, wrong = 0;
  int64_t pairsCovered = 0; ///< pairs in partial + full tiles
};

/// Brute force: the class the tile really has.
bool trueClass(ref::RegionInterpreter &interp, HookOp mask, int64_t q0, int64_t q1,
               int64_t k0, int64_t k1, llvm::ArrayRef<ref::Value> fixed,
               TileClass &cls, std::string &error) {
  bool anyKept = false, anyDropped = false;
  llvm::SmallVector<ref::Value, 8> args(2);
  args.append(fixed.begin(), fixed.end());
  for (int64_t q = q0; q <= q1; ++q)
    for (int64_t k = k0; k <= k1; ++k) {
      args[0] = ref::Value::ofInt(q);
      args[1] = ref::Value::ofInt(k);
      ref::Value kept;
      if (!interp.run(mask.getBody(), args, 0, kept, error))
        return false;
      (kept.i ? anyKept : anyDropped) = true;
    }
  cls = !anyKept ? TileClass::Empty : !anyDropped ? TileClass::Full : TileClass::Partial;
  return true;
}

char glyph(TileClass c) {
  switch (c) {
  case TileClass::Empty: return '.';
  case TileClass::Partial: return '~';
  case TileClass::Full: return '#';
  }
  return '?';
}

} // namespace

int runTiles(VariantOp variant, const std::string &path, int64_t qLen, int64_t kvLen,
             int64_t tileQ, int64_t tileKV, int64_t head,
             const std::vector<std::string> &paramSettings, bool verify) {
  if (qLen < 1 || kvLen < qLen) {
    reportError(path, fmt::format("need 1 <= --q-len <= --kv-len, got {} and {}", qLen, kvLen));
    return kUserError;
  }
  if (tileQ < 1 || tileKV < 1) {
    reportError(path, "tile sizes must be positive");
    return kUserError;
  }
  if (head < 0 || head >= static_cast<int64_t>(variant.getNumQHeads())) {
    reportError(path, fmt::format("--head must be in [0, {})", variant.getNumQHeads()));
    return kUserError;
  }
  int64_t rowsQ = (qLen + tileQ - 1) / tileQ, colsKV = (kvLen + tileKV - 1) / tileKV;
  if (rowsQ * colsKV > 1'000'000) {
    reportError(path, "more than a million tiles; use larger --tile sizes");
    return kUserError;
  }

  // Params: defaults, random arrays (as `attnc ref` would use), then overrides.
  ref::ParamValues params = ref::makeRandomProblem(variant, {0}, {kvLen}, 1).params;
  std::string error;
  if (!applyParamOverrides(variant, paramSettings, params, error)) {
    reportError(path, error);
    return kUserError;
  }
  // The attributes are uint64_t; clang rejects the implicit narrowing in braces.
  ref::ParamShape shape{static_cast<int64_t>(variant.getNumQHeads()),
                        static_cast<int64_t>(variant.getNumKvHeads()), 1, {kvLen}};
  ref::RegionInterpreter interp(variant, params, shape);
  if (!interp.bindParams(error)) {
    reportError(path, error);
    return kUserError;
  }
  TileClassifierOp classifier = variant.getTileClassifier();
  HookOp mask = variant.getHook(HookKind::mask);
  if (!classifier) {
    reportError(path, "internal error: no tile classifier was generated");
    return kInternalError;
  }

  int64_t kvHead = head / variant.getGroupSize();
  // head, kv_head, batch, q_len, kv_len: fixed for the whole map.
  llvm::SmallVector<ref::Value, 5> fixed = {
      ref::Value::ofInt(head), ref::Value::ofInt(kvHead), ref::Value::ofInt(0),
      ref::Value::ofInt(qLen), ref::Value::ofInt(kvLen)};
  int64_t qOffset = kvLen - qLen; // queries are aligned to the end of the KV

  std::string map;
  TileCounts counts;
  for (int64_t r = 0; r < rowsQ; ++r) {
    int64_t q0 = qOffset + r * tileQ, q1 = qOffset + std::min(qLen, (r + 1) * tileQ) - 1;
    map += fmt::format("{:>7} |", q0);
    for (int64_t c = 0; c < colsKV; ++c) {
      int64_t k0 = c * tileKV, k1 = std::min(kvLen, (c + 1) * tileKV) - 1;
      llvm::SmallVector<ref::Value, 9> args = {ref::Value::ofInt(q0), ref::Value::ofInt(q1),
                                               ref::Value::ofInt(k0), ref::Value::ofInt(k1)};
      args.append(fixed.begin(), fixed.end());
      ref::Value result;
      if (!interp.run(classifier.getBody(), args, 0, result, error)) {
        reportError(path, error);
        return kUserError;
      }
      auto cls = static_cast<TileClass>(result.i);
      if (result.i < 0 || result.i > 2) {
        reportError(path, "internal error: the classifier returned an invalid class");
        return kInternalError;
      }
      (cls == TileClass::Empty ? counts.empty
       : cls == TileClass::Full ? counts.full
                                : counts.partial)++;
      if (cls != TileClass::Empty)
        counts.pairsCovered += (q1 - q0 + 1) * (k1 - k0 + 1);
      if (verify && mask) {
        TileClass truth;
        if (!trueClass(interp, mask, q0, q1, k0, k1, fixed, truth, error)) {
          reportError(path, error);
          return kUserError;
        }
        if (truth != cls) {
          if (cls == TileClass::Partial)
            ++counts.conservative;
          else
            ++counts.wrong;
        }
      }
      map += glyph(cls);
    }
    map += "|\n";
  }

  auto &os = llvm::outs();
  os << fmt::format("variant {}: q_len {}, kv_len {}, tile {}x{}, head {}\n",
                    variant.getSymName().str(), qLen, kvLen, tileQ, tileKV, head);
  os << fmt::format("{:>7}  kv 0 .. {} ({} tiles per row)\n", "q_idx", kvLen - 1, colsKV);
  os << map;
  int64_t total = rowsQ * colsKV;
  double dense = static_cast<double>(qLen) * static_cast<double>(kvLen);
  os << fmt::format("legend: # full (no mask evaluated)  ~ partial (mask per element)  "
                    ". empty (skipped)\n");
  os << fmt::format("tiles: {} total, {} full, {} partial, {} empty; work: {:.1f}% of dense\n",
                    total, counts.full, counts.partial, counts.empty,
                    100.0 * static_cast<double>(counts.pairsCovered) / dense);
  if (verify) {
    if (!mask)
      os << "verify: no mask; every tile is full\n";
    else
      os << fmt::format("verify: {} tiles checked pair by pair: {} exact, {} conservative, "
                        "{} wrong\n",
                        total, total - counts.conservative - counts.wrong,
                        counts.conservative, counts.wrong);
    if (counts.wrong) {
      reportError(path, "internal error: the tile classifier is wrong on some tiles");
      return kInternalError;
    }
  }
  return kOk;
}

} // namespace attnc
