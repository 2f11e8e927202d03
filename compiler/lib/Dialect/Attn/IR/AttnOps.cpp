//===- AttnOps.cpp - Verifiers and helpers of the attn ops ----------------===//
//
// The verifiers here check structure (what any well-formed variant must
// satisfy). Whether our kernels *support* a configuration is a separate
// question, answered by the attn-verify-config pass.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace attn;

//===----------------------------------------------------------------------===//
// Hook signatures
//===----------------------------------------------------------------------===//

// Keep in step with dsl's hookBuiltins(): MLIRGen checks the two agree.
static const HookArg kLogitsArgs[] = {
    {"score", true},  {"q_idx", false}, {"kv_idx", false}, {"head", false},
    {"kv_head", false}, {"batch", false}, {"q_len", false}, {"kv_len", false}};
static const HookArg kMaskArgs[] = {
    {"q_idx", false}, {"kv_idx", false}, {"head", false}, {"kv_head", false},
    {"batch", false}, {"q_len", false}, {"kv_len", false}};
static const HookArg kWeightsArgs[] = {
    {"score", true},    {"logit", true},
    {"q_idx", false},   {"kv_idx", false}, {"head", false},
    {"kv_head", false}, {"batch", false},  {"q_len", false}, {"kv_len", false}};
static const HookArg kQueryArgs[] = {
    {"q", true},        {"dim", false},   {"q_idx", false}, {"head", false},
    {"kv_head", false}, {"batch", false}, {"q_len", false}, {"kv_len", false}};
static const HookArg kKeyArgs[] = {
    {"k", true},      {"dim", false},   {"kv_idx", false}, {"kv_head", false},
    {"batch", false}, {"q_len", false}, {"kv_len", false}};
static const HookArg kOutputArgs[] = {
    {"o", true},        {"dim", false},   {"q_idx", false}, {"head", false},
    {"kv_head", false}, {"batch", false}, {"q_len", false}, {"kv_len", false}};

ArrayRef<HookArg> attn::getHookSignature(HookKind kind) {
  switch (kind) {
  case HookKind::logits: return kLogitsArgs;
  case HookKind::mask: return kMaskArgs;
  case HookKind::weights: return kWeightsArgs;
  case HookKind::query: return kQueryArgs;
  case HookKind::key: return kKeyArgs;
  case HookKind::output: return kOutputArgs;
  }
  return {};
}

Type attn::getHookResultType(HookKind kind, MLIRContext *ctx) {
  if (kind == HookKind::mask)
    return IntegerType::get(ctx, 1);
  return Float32Type::get(ctx);
}

int attn::findHookArg(HookKind kind, StringRef name) {
  ArrayRef<HookArg> sig = getHookSignature(kind);
  for (size_t i = 0; i < sig.size(); ++i)
    if (sig[i].name == name)
      return static_cast<int>(i);
  return -1;
}

static const llvm::StringLiteral kClassifierArgs[] = {
    "q0", "q1", "k0", "k1", "head", "kv_head", "batch", "q_len", "kv_len"};

ArrayRef<llvm::StringLiteral> attn::getTileClassifierArgNames() {
  return kClassifierArgs;
}

//===----------------------------------------------------------------------===//
// Shared region checks
//===----------------------------------------------------------------------===//

/// Hook and classifier bodies are pure scalar code: upstream arith, math and
/// scf (if/yield only), param reads, and our terminator. Anything else (calls,
/// loops, memory) has no meaning on a per-element hook.
/// The tile classifier may also use i64: it does interval arithmetic on i32
/// bounds and must see an overflow to widen the interval.
static LogicalResult verifyScalarBody(Operation *owner, Region &region,
                                      bool allowI64 = false) {
  WalkResult result = region.walk([&](Operation *op) -> WalkResult {
    if (op == owner)
      return WalkResult::advance();
    StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
    bool allowed = ns == "arith" || ns == "math" || isa<scf::IfOp, scf::YieldOp>(op) ||
                   isa<GetParamOp, LoadParamOp, YieldOp>(op);
    if (!allowed) {
      op->emitOpError("is not allowed in an attn hook body (only arith, math, "
                      "scf.if and param reads are)");
      return WalkResult::interrupt();
    }
    for (Type t : op->getResultTypes())
      if (!t.isInteger(1) && !t.isInteger(32) && !t.isF32() &&
          !(allowI64 && t.isInteger(64))) {
        op->emitOpError("produces ") << t
            << "; hook bodies compute only with i1, i32 and f32";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

static LogicalResult verifyYield(Operation *owner, Region &region, Type expected) {
  auto yield = dyn_cast<YieldOp>(region.front().getTerminator());
  if (!yield)
    return owner->emitOpError("body must end in attn.yield");
  if (yield.getValues().size() != 1 || yield.getValues()[0].getType() != expected)
    return yield.emitOpError("must yield exactly one value of type ") << expected;
  return success();
}

//===----------------------------------------------------------------------===//
// VariantOp
//===----------------------------------------------------------------------===//

HookOp VariantOp::getHook(HookKind kind) {
  for (auto hook : getBody().front().getOps<HookOp>())
    if (hook.getKind() == kind)
      return hook;
  return nullptr;
}

ParamOp VariantOp::getParam(StringRef name) {
  for (auto param : getBody().front().getOps<ParamOp>())
    if (param.getSymName() == name)
      return param;
  return nullptr;
}

TileClassifierOp VariantOp::getTileClassifier() {
  auto range = getBody().front().getOps<TileClassifierOp>();
  return range.empty() ? nullptr : *range.begin();
}

LogicalResult VariantOp::verify() {
  if (getHeadDimQk() <= 0 || getHeadDimVo() <= 0)
    return emitOpError("head dims must be positive");
  if (getNumQHeads() <= 0 || getNumKvHeads() <= 0)
    return emitOpError("head counts must be positive");
  if (getNumQHeads() % getNumKvHeads() != 0)
    return emitOpError("num_q_heads (") << getNumQHeads()
           << ") must be a multiple of num_kv_heads (" << getNumKvHeads() << ")";
  Type dtype = getDtype();
  if (!dtype.isBF16() && !dtype.isF16())
    return emitOpError("dtype must be bf16 or f16, got ") << dtype;
  double scale = getScale().convertToDouble();
  if (!std::isfinite(scale) || scale <= 0)
    return emitOpError("scale must be finite and positive");

  bool paged = getKvLayout() == KVLayout::paged;
  bool sparse = getKvLayout() == KVLayout::block_sparse;
  if (paged != getPageSize().has_value())
    return emitOpError("page_size is required with, and only with, the paged layout");
  if (paged && *getPageSize() < 1)
    return emitOpError("page_size must be at least 1");
  if (sparse != (getBlockQ().has_value() && getBlockKv().has_value()) ||
      (!sparse && (getBlockQ() || getBlockKv())))
    return emitOpError("block_q and block_kv are required with, and only with, "
                       "the block_sparse layout");
  if (sparse && (*getBlockQ() < 1 || *getBlockKv() < 1))
    return emitOpError("block sizes must be at least 1");

  bool seen[6] = {};
  unsigned classifiers = 0;
  for (Operation &op : getBody().front()) {
    if (auto hook = dyn_cast<HookOp>(op)) {
      auto idx = static_cast<unsigned>(hook.getKind());
      if (seen[idx])
        return hook.emitOpError("duplicate ")
               << stringifyHookKind(hook.getKind()) << " hook";
      seen[idx] = true;
    } else if (isa<TileClassifierOp>(op)) {
      if (++classifiers > 1)
        return op.emitOpError("a variant has at most one tile classifier");
    } else if (!isa<ParamOp>(op)) {
      return op.emitOpError("is not allowed in an attn.variant body");
    }
  }
  bool none = getNormalize() == Normalize::none;
  bool hasWeights = seen[static_cast<unsigned>(HookKind::weights)];
  if (none && !hasWeights)
    return emitOpError("normalize = none requires a weights hook");
  if (!none && hasWeights)
    return emitOpError("a weights hook requires normalize = none");
  return success();
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  Type type = getType();
  if (!type.isInteger(32) && !type.isF32())
    return emitOpError("param type must be i32 or f32, got ") << type;
  if (auto def = getDefaultValueAttr()) {
    if (getDomain() != ParamDomain::scalar)
      return emitOpError("only scalar params may have a default");
    if (def.getType() != type)
      return emitOpError("default value type ")
             << def.getType() << " does not match param type " << type;
    if (!isa<IntegerAttr, FloatAttr>(def))
      return emitOpError("default value must be an integer or float attribute");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// HookOp
//===----------------------------------------------------------------------===//

BlockArgument HookOp::getArg(StringRef name) {
  int idx = findHookArg(getKind(), name);
  return idx < 0 ? BlockArgument() : getBlock().getArgument(idx);
}

void HookOp::getAsmBlockArgumentNames(Region &region, OpAsmSetValueNameFn setNameFn) {
  ArrayRef<HookArg> sig = getHookSignature(getKind());
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    if (i < sig.size())
      setNameFn(arg, sig[i].name);
}

LogicalResult HookOp::verifyRegions() {
  Region &region = getBody();
  if (!region.hasOneBlock())
    return emitOpError("body must have exactly one block");
  ArrayRef<HookArg> sig = getHookSignature(getKind());
  Block &block = region.front();
  if (block.getNumArguments() != sig.size())
    return emitOpError("a ") << stringifyHookKind(getKind()) << " hook takes "
                             << sig.size() << " block arguments, got "
                             << block.getNumArguments();
  for (auto [i, arg] : llvm::enumerate(block.getArguments())) {
    bool ok = sig[i].isFloat ? arg.getType().isF32() : arg.getType().isInteger(32);
    if (!ok)
      return emitOpError("block argument #")
             << i << " (" << sig[i].name << ") must be "
             << (sig[i].isFloat ? "f32" : "i32") << ", got " << arg.getType();
  }
  bool rotaryHook = getKind() == HookKind::query || getKind() == HookKind::key;
  if ((getRopeTheta() || getRopeDims() || getRopeInterleaved()) && !rotaryHook)
    return emitOpError("rope attributes are only allowed on query and key hooks");
  if (getRopeDims() && !getRopeTheta())
    return emitOpError("rope_dims requires rope_theta");
  if (auto theta = getRopeTheta())
    if (!(theta->convertToDouble() > 0) || !std::isfinite(theta->convertToDouble()))
      return emitOpError("rope_theta must be finite and positive");
  if (auto dims = getRopeDims()) {
    auto variant = (*this)->getParentOfType<VariantOp>();
    if (*dims <= 0 || *dims % 2 != 0 || (variant && *dims > variant.getHeadDimQk()))
      return emitOpError("rope_dims must be even, positive and at most head_dim_qk");
  }
  if (failed(verifyScalarBody(*this, region)))
    return failure();
  return verifyYield(*this, region, getHookResultType(getKind(), getContext()));
}

//===----------------------------------------------------------------------===//
// TileClassifierOp
//===----------------------------------------------------------------------===//

void TileClassifierOp::getAsmBlockArgumentNames(Region &region,
                                                OpAsmSetValueNameFn setNameFn) {
  ArrayRef<llvm::StringLiteral> names = getTileClassifierArgNames();
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    if (i < names.size())
      setNameFn(arg, names[i]);
}

LogicalResult TileClassifierOp::verifyRegions() {
  Region &region = getBody();
  if (!region.hasOneBlock())
    return emitOpError("body must have exactly one block");
  Block &block = region.front();
  if (block.getNumArguments() != getTileClassifierArgNames().size())
    return emitOpError("takes ") << getTileClassifierArgNames().size()
                                 << " block arguments, got " << block.getNumArguments();
  for (BlockArgument arg : block.getArguments())
    if (!arg.getType().isInteger(32))
      return emitOpError("block arguments must be i32");
  if (failed(verifyScalarBody(*this, region, /*allowI64=*/true)))
    return failure();
  return verifyYield(*this, region, IntegerType::get(getContext(), 32));
}

//===----------------------------------------------------------------------===//
// Param reads
//===----------------------------------------------------------------------===//

static LogicalResult verifyParamUse(Operation *op, FlatSymbolRefAttr name,
                                    Type resultType, bool indexed,
                                    SymbolTableCollection &symbols) {
  auto variant = op->getParentOfType<VariantOp>();
  if (!variant)
    return op->emitOpError("must be nested in an attn.variant");
  auto param = symbols.lookupSymbolIn<ParamOp>(variant, name);
  if (!param)
    return op->emitOpError("refers to unknown param ") << name;
  if (param.getType() != resultType)
    return op->emitOpError("result type ")
           << resultType << " does not match param type " << param.getType();
  bool isArray = param.getDomain() != ParamDomain::scalar;
  if (indexed && !isArray)
    return op->emitOpError("param ") << name << " is a scalar; use attn.get_param";
  if (!indexed && isArray)
    return op->emitOpError("param ") << name << " is an array; use attn.load_param";
  return success();
}

LogicalResult GetParamOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyParamUse(*this, getNameAttr(), getType(), false, symbols);
}

LogicalResult LoadParamOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyParamUse(*this, getNameAttr(), getType(), true, symbols);
}

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"
