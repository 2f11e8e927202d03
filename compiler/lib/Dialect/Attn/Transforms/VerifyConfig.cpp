//===- VerifyConfig.cpp - Is this configuration one our kernels run? ------===//
//
// The op verifier accepts any well-formed variant; this pass rejects the
// ones the kernel templates cannot instantiate, with errors at the `.attn`
// line of the setting (MLIRGen keeps each setting's location as a NameLoc
// inside the variant's FusedLoc).
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"

namespace attn {
#define GEN_PASS_DEF_ATTNVERIFYCONFIG
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {

// What the tensor-core templates are instantiated for. Head dims are multiples
// of 16 (the mma k step) with register budgets that fit one CTA tile.
constexpr int64_t kSupportedHeadDims[] = {64, 96, 128, 256};
constexpr int64_t kMaxHeads = 256;
constexpr int64_t kMaxGroupSize = 64;
constexpr int64_t kMaxPageSize = 4096;
constexpr int64_t kMaxBlockSize = 256;

/// The location of config key `key` (a NameLoc in the variant's FusedLoc), or
/// the variant's own location when the key was not written.
Location configLoc(VariantOp variant, StringRef key) {
  if (auto fused = dyn_cast<FusedLoc>(variant.getLoc()))
    for (Location loc : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(loc))
        if (name.getName() == key)
          return name.getChildLoc();
  return variant.getLoc();
}

bool isPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

struct VerifyConfigPass : attn::impl::AttnVerifyConfigBase<VerifyConfigPass> {
  void runOnOperation() override {
    VariantOp v = getOperation();
    bool ok = true;
    auto fail = [&](StringRef key) {
      ok = false;
      return emitError(configLoc(v, key));
    };

    int64_t qk = v.getHeadDimQk(), vo = v.getHeadDimVo();
    if (qk != vo) {
      if (!(qk == 192 && vo == 128))
        fail("head_dim") << "unsupported head dims " << qk << " : " << vo
                         << "; with different qk and vo dims only 192 : 128 is supported";
    } else if (!llvm::is_contained(kSupportedHeadDims, qk)) {
      fail("head_dim") << "unsupported head_dim " << qk
                       << "; supported: 64, 96, 128, 256 (or 192 : 128)";
    }

    if (v.getNumQHeads() > kMaxHeads)
      fail("heads") << "at most " << kMaxHeads << " query heads are supported, got "
                    << v.getNumQHeads();
    if (v.getGroupSize() > kMaxGroupSize)
      fail("heads") << "at most " << kMaxGroupSize
                    << " query heads per KV head are supported, got " << v.getGroupSize();

    if (auto page = v.getPageSize(); page && *page > kMaxPageSize)
      fail("kv") << "page size " << *page << " exceeds the supported maximum of "
                 << kMaxPageSize;
    if (v.getKvLayout() == KVLayout::block_sparse) {
      for (int64_t b : {*v.getBlockQ(), *v.getBlockKv()})
        if (!isPowerOfTwo(b) || b > kMaxBlockSize) {
          fail("kv") << "block_sparse block sizes must be powers of two up to "
                     << kMaxBlockSize << ", got " << b;
          break;
        }
    }

    for (HookKind kind : {HookKind::query, HookKind::key})
      if (HookOp hook = v.getHook(kind); hook && hook.getRopeDims() &&
                                         static_cast<int64_t>(*hook.getRopeDims()) > qk)
        fail("head_dim") << "rope dims " << *hook.getRopeDims()
                         << " exceed head_dim " << qk;

    // Slot 0 of every params blob is the runtime's token_offsets (docs/codegen.md),
    // and attnrt addresses params by name: a param may not take that name.
    for (ParamOp param : v.getBody().front().getOps<ParamOp>())
      if (param.getSymName() == "token_offsets") {
        ok = false;
        param.emitError("the param name 'token_offsets' is reserved (the runtime fills "
                        "slot 0 of the params with the requests' token offsets); rename it");
      }

    if (!ok)
      signalPassFailure();
  }
};

} // namespace
