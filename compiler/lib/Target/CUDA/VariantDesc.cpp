//===- VariantDesc.cpp - Params layout, names and configs of a variant ----===//
#include "attn/Target/CUDA/VariantDesc.h"
#include "attn/Target/CUDA/ClassifierProgram.h"

#include "llvm/ADT/StringSet.h"

#include <fmt/format.h>

using namespace mlir;

namespace attn::target {

namespace {

/// C++ keywords and CUDA/NVRTC identifiers a field may not be called; the
/// .attn language only reserves its own few keywords, so `class` or `int`
/// are legal param names there.
bool isReservedCppName(StringRef name) {
  static const llvm::StringSet<> kReserved = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
      "bool", "break", "case", "catch", "char", "char8_t", "char16_t", "char32_t",
      "class", "compl", "concept", "const", "consteval", "constexpr", "constinit",
      "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype",
      "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
      "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept",
      "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
      "protected", "public", "register", "reinterpret_cast", "requires", "return",
      "short", "signed", "sizeof", "static", "static_assert", "static_cast",
      "struct", "switch", "template", "this", "thread_local", "throw", "true",
      "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
      // Slot 0 of every Params struct.
      "token_offsets"};
  if (kReserved.contains(name))
    return true;
  // Reserved to the implementation: __x and _X.
  if (name.starts_with("__") || (name.size() > 1 && name[0] == '_' &&
                                 name[1] >= 'A' && name[1] <= 'Z'))
    return true;
  // Headers define object-like macros in capitals (INFINITY, NAN, CUDART_*);
  // a field with such a name would be macro-expanded.
  return llvm::none_of(name, [](char c) { return c >= 'a' && c <= 'z'; });
}

std::string layoutName(KVLayout layout) { return stringifyKVLayout(layout).str(); }

} // namespace

bool describeVariant(VariantOp variant, VariantDesc &desc, std::string &error) {
  desc = VariantDesc();
  desc.name = variant.getSymName().str();
  desc.genNamespace = "attn_gen_" + desc.name;
  Type dtype = variant.getDtype();
  if (dtype.isBF16())
    desc.dtype = "bf16";
  else if (dtype.isF16())
    desc.dtype = "f16";
  else {
    error = fmt::format("variant '{}': unsupported dtype for CUDA code generation", desc.name);
    return false;
  }
  desc.headDimQK = variant.getHeadDimQk();
  desc.headDimVO = variant.getHeadDimVo();
  desc.numQHeads = variant.getNumQHeads();
  desc.numKVHeads = variant.getNumKvHeads();
  desc.groupSize = variant.getGroupSize();
  desc.kvLayout = layoutName(variant.getKvLayout());
  desc.pageSize = variant.getPageSize().value_or(0);
  desc.blockQ = variant.getBlockQ().value_or(0);
  desc.blockKV = variant.getBlockKv().value_or(0);
  desc.softmax = variant.getNormalize() == Normalize::softmax;
  desc.scale = variant.getScale().convertToDouble();

  // Field names: the param's own name where that is safe C++, otherwise a
  // prefixed one that collides with nothing else in the struct.
  llvm::StringSet<> used = {"token_offsets"};
  for (ParamOp p : variant.getBody().front().getOps<ParamOp>())
    used.insert(p.getSymName());
  int64_t offset = kParamSlotBytes; // slot 0: token_offsets
  for (ParamOp p : variant.getBody().front().getOps<ParamOp>()) {
    ParamSlot slot;
    slot.name = p.getSymName().str();
    slot.field = slot.name;
    if (isReservedCppName(slot.field)) {
      std::string candidate = "attn_param_" + slot.name;
      while (used.contains(candidate))
        candidate += "_";
      used.insert(candidate);
      slot.field = candidate;
    }
    slot.isFloat = p.getType().isF32();
    if (!slot.isFloat && !p.getType().isInteger(32)) {
      error = fmt::format("param '{}' has a type the code generator does not know", slot.name);
      return false;
    }
    slot.domain = p.getDomain();
    slot.offset = offset;
    offset += kParamSlotBytes;
    if (Attribute def = p.getDefaultValueAttr()) {
      if (auto i = dyn_cast<IntegerAttr>(def))
        slot.defaultJson = fmt::format("{}", i.getValue().getSExtValue());
      else if (auto f = dyn_cast<FloatAttr>(def))
        // Shortest text that reads back as the same f32.
        slot.defaultJson = fmt::format("{}", static_cast<float>(f.getValueAsDouble()));
    }
    desc.params.push_back(std::move(slot));
  }
  desc.paramsBytes = offset;

  for (StringRef kind : {"prefill", "decode", "merge"}) {
    std::optional<KernelConfig> config = getKernelConfig(variant, kind);
    if (!config) {
      error = fmt::format("variant '{}' has no kernel config for '{}' (run attn-select-kernels)",
                          desc.name, kind.str());
      return false;
    }
    EntryPoint entry;
    entry.kind = kind.str();
    entry.symbol = fmt::format("attn_{}_{}", desc.name, entry.kind);
    if (kind != "merge")
      entry.smemSymbol = entry.symbol + "_smem_bytes";
    entry.config = *config;
    desc.kernels.push_back(entry);
  }

  // The host's copy of the classifier is optional: an op it cannot express
  // costs the planner precision, not the compile.
  if (TileClassifierOp classifier = variant.getTileClassifier()) {
    std::string why;
    if (!encodeClassifierProgram(classifier, desc, "  ", desc.classifierProgram, why)) {
      desc.classifierProgram.clear();
      desc.classifierProgramError = why;
    }
  }
  return true;
}

} // namespace attn::target
