// Uses the installed attnrt headers and library; host code only, no GPU calls.
#include <attn_kernels/abi.h>
#include <attnrt/Manifest.h>

#include <cstdio>

static const char kManifest[] = R"({
  "format": "attnc-manifest",
  "abi_version": 3,
  "attnc_version": "0.1.0",
  "variant": "causal",
  "dtype": "bf16",
  "head_dim_qk": 128,
  "head_dim_vo": 128,
  "num_q_heads": 32,
  "num_kv_heads": 8,
  "group_size": 4,
  "kv_layout": "contiguous",
  "page_size": 0,
  "block_q": 0,
  "block_kv": 0,
  "normalize": "softmax",
  "scale": 0.08838834764831845,
  "params_bytes": 8,
  "params": [],
  "kernels": [
    {"kind": "prefill", "name": "attn_causal_prefill", "block_m": 128, "block_n": 64,
     "num_warps": 8, "stages": 2, "threads": 256, "smem_symbol": ""}],
  "arch": "sm_90a",
  "artifact": "causal.sm_90a.cubin"
})";

int main() {
  attnrt::Manifest m;
  attnrt::Status st = attnrt::parseManifest(kManifest, &m);
  if (!st.ok()) {
    std::printf("parseManifest failed: %s\n", st.message().c_str());
    return 1;
  }
  if (m.abiVersion != ATTN_ABI_VERSION || m.variant != "causal" || m.kernels.size() != 1) {
    std::printf("unexpected manifest contents\n");
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
