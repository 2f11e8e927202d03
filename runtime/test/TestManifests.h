//===- TestManifests.h - Manifests shared by the unit tests ---------------===//
#ifndef ATTNRT_TEST_TESTMANIFESTS_H
#define ATTNRT_TEST_TESTMANIFESTS_H

#include "attn_kernels/abi.h"
#include "attnrt/Manifest.h"

#include <string>
#include <utility>
#include <vector>

namespace attnrt_test {

// The manifest of docs/codegen.md section 3, as ordered (key, JSON text)
// pairs so a test can drop or replace one field.
inline std::vector<std::pair<std::string, std::string>> sampleFields() {
  return {
      {"format", R"("attnc-manifest")"},
      {"abi_version", std::to_string(ATTN_ABI_VERSION)},
      {"attnc_version", R"("0.1.0")"},
      {"variant", R"("causal")"},
      {"dtype", R"("bf16")"},
      {"head_dim_qk", "128"},
      {"head_dim_vo", "128"},
      {"num_q_heads", "32"},
      {"num_kv_heads", "8"},
      {"group_size", "4"},
      {"kv_layout", R"("paged")"},
      {"page_size", "16"},
      {"block_q", "0"},
      {"block_kv", "0"},
      {"normalize", R"("softmax")"},
      {"scale", "0.08838834764831845"},
      {"params_bytes", "32"},
      {"params", R"([
        {"name": "window", "type": "i32", "domain": "scalar", "default": 4096, "offset": 8},
        {"name": "cap", "type": "f32", "domain": "scalar", "default": 50.0, "offset": 16},
        {"name": "slopes", "type": "f32", "domain": "heads", "offset": 24}])"},
      {"kernels", R"([
        {"kind": "prefill", "name": "attn_causal_prefill", "block_m": 128, "block_n": 64,
         "num_warps": 8, "stages": 2, "threads": 256, "smem_symbol": "attn_causal_prefill_smem_bytes"},
        {"kind": "decode", "name": "attn_causal_decode", "block_m": 16, "block_n": 64,
         "num_warps": 4, "stages": 3, "threads": 128, "smem_symbol": "attn_causal_decode_smem_bytes"},
        {"kind": "merge", "name": "attn_causal_merge", "threads": 128}])"},
      {"arch", R"("sm_90a")"},
      {"programmatic_launch", "true"},
      {"artifact", R"("causal.sm_90a.cubin")"},
  };
}

inline std::string toJson(const std::vector<std::pair<std::string, std::string>> &fields) {
  std::string s = "{";
  for (size_t i = 0; i < fields.size(); ++i)
    s += (i ? ",\n  \"" : "\n  \"") + fields[i].first + "\": " + fields[i].second;
  return s + "\n}";
}

// The sample with `key` replaced by `value` (or removed when value is empty).
inline std::string sampleWith(const std::string &key, const std::string &value) {
  auto fields = sampleFields();
  std::vector<std::pair<std::string, std::string>> out;
  for (auto &f : fields) {
    if (f.first != key)
      out.push_back(f);
    else if (!value.empty())
      out.emplace_back(key, value);
  }
  return toJson(out);
}

inline std::string sampleJson() { return toJson(sampleFields()); }

// A manifest built in code, for planner tests that vary shapes.
inline attnrt::Manifest makeManifest(attnrt::KvLayout layout, int qHeads = 8, int kvHeads = 2,
                                     int prefillBlockM = 64, int blockN = 32,
                                     int decodeBlockM = 16, bool withMerge = true) {
  using namespace attnrt;
  Manifest m;
  m.abiVersion = ATTN_ABI_VERSION;
  m.variant = "test";
  m.dtype = "bf16";
  m.headDimQK = m.headDimVO = 64;
  m.numQHeads = qHeads;
  m.numKVHeads = kvHeads;
  m.groupSize = qHeads / kvHeads;
  m.kvLayout = layout;
  m.pageSize = layout == KvLayout::kPaged ? 16 : 0;
  if (layout == KvLayout::kBlockSparse) {
    m.blockQ = 16;
    m.blockKV = 48;
  }
  m.scale = 0.125;
  m.paramsBytes = 8;
  KernelInfo p;
  p.kind = KernelKind::kPrefill;
  p.name = "p";
  p.blockM = prefillBlockM;
  p.blockN = blockN;
  p.threads = 128;
  m.kernels.push_back(p);
  if (decodeBlockM > 0) {
    KernelInfo d = p;
    d.kind = KernelKind::kDecode;
    d.name = "d";
    d.blockM = decodeBlockM;
    m.kernels.push_back(d);
  }
  if (withMerge) {
    KernelInfo g;
    g.kind = KernelKind::kMerge;
    g.name = "m";
    g.threads = 128;
    m.kernels.push_back(g);
  }
  m.arch = "sm_90a";
  return m;
}

} // namespace attnrt_test

#endif // ATTNRT_TEST_TESTMANIFESTS_H
