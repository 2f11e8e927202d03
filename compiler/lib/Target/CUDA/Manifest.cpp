//===- Manifest.cpp - The JSON beside every artifact ----------------------===//
//
// Written by hand (no JSON library in the build) with a fixed key order, so a
// manifest is byte-for-byte reproducible and FileCheck-able. The runtime
// needs it to fill the params blob (offsets, types, domains) and to launch
// (entry names, threads, smem symbols); ABI and attnc versions let it refuse
// artifacts it does not understand.
//
//===----------------------------------------------------------------------===//
#include "attn/Target/CUDA/Manifest.h"
#include "attn/Target/CUDA/Compile.h"

#include "attn_kernels/abi.h" // ATTN_ABI_VERSION: the one place the ABI is versioned

#include <fmt/format.h>

namespace attn::target {

constexpr int kAbiVersion = ATTN_ABI_VERSION;

std::string jsonString(llvm::StringRef text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20)
        out += fmt::format("\\u{:04x}", c);
      else
        out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The kernel templates wait for the previous grid (griddepcontrol.wait,
// primitives.cuh) only when compiled for compute capability 9.0 or newer;
// the runtime may launch them with programmatic stream serialization only
// then.
static bool supportsProgrammaticLaunch(llvm::StringRef arch) {
  llvm::StringRef digits = arch;
  if (!digits.consume_front("sm_") && !digits.consume_front("compute_"))
    return false;
  unsigned version = 0;
  digits.consumeInteger(10, version); // stops at a suffix such as "a"
  return version >= 90;
}

std::string renderManifest(const VariantDesc &d, llvm::StringRef arch,
                           llvm::StringRef artifact) {
  std::string j = "{\n";
  j += fmt::format("  \"format\": \"attnc-manifest\", \"abi_version\": {}, "
                   "\"attnc_version\": {},\n",
                   kAbiVersion, jsonString(kAttncVersion));
  j += fmt::format("  \"variant\": {}, \"dtype\": {},\n", jsonString(d.name),
                   jsonString(d.dtype));
  j += fmt::format("  \"head_dim_qk\": {}, \"head_dim_vo\": {}, \"num_q_heads\": {}, "
                   "\"num_kv_heads\": {}, \"group_size\": {},\n",
                   d.headDimQK, d.headDimVO, d.numQHeads, d.numKVHeads, d.groupSize);
  j += fmt::format("  \"kv_layout\": {}, \"page_size\": {}, \"block_q\": {}, "
                   "\"block_kv\": {},\n",
                   jsonString(d.kvLayout), d.pageSize, d.blockQ, d.blockKV);
  // The scale as the shortest text that reads back as the same double.
  j += fmt::format("  \"normalize\": {}, \"scale\": {},\n",
                   jsonString(d.softmax ? "softmax" : "none"), d.scale);
  j += fmt::format("  \"params_bytes\": {},\n", d.paramsBytes);
  j += "  \"params\": [";
  for (size_t i = 0; i < d.params.size(); ++i) {
    const ParamSlot &p = d.params[i];
    j += i ? ",\n    " : "\n    ";
    j += fmt::format("{{\"name\": {}, \"type\": \"{}\", \"domain\": \"{}\"", jsonString(p.name),
                     p.isFloat ? "f32" : "i32", stringifyParamDomain(p.domain).str());
    if (p.defaultJson)
      j += fmt::format(", \"default\": {}", *p.defaultJson);
    j += fmt::format(", \"offset\": {}}}", p.offset);
  }
  j += d.params.empty() ? "],\n" : "\n  ],\n";
  j += "  \"kernels\": [";
  for (size_t i = 0; i < d.kernels.size(); ++i) {
    const EntryPoint &k = d.kernels[i];
    j += i ? ",\n    " : "\n    ";
    j += fmt::format("{{\"kind\": {}, \"name\": {}", jsonString(k.kind), jsonString(k.symbol));
    if (k.kind == "merge") {
      int64_t threads = k.config.numWarps ? k.config.threads() : kDefaultMergeThreads;
      j += fmt::format(", \"threads\": {}}}", threads);
      continue;
    }
    j += fmt::format(", \"block_m\": {}, \"block_n\": {}, \"num_warps\": {}, \"stages\": {}, "
                     "\"threads\": {}, \"smem_symbol\": {}}}",
                     k.config.blockM, k.config.blockN, k.config.numWarps, k.config.stages,
                     k.config.threads(), jsonString(k.smemSymbol));
  }
  j += "\n  ],\n";
  if (!d.classifierProgram.empty())
    j += fmt::format("  \"tile_classifier\": {},\n", d.classifierProgram);
  j += fmt::format("  \"arch\": {}, \"programmatic_launch\": {}, \"artifact\": {}\n}}\n",
                   jsonString(arch), supportsProgrammaticLaunch(arch) ? "true" : "false",
                   jsonString(artifact));
  return j;
}

} // namespace attn::target
