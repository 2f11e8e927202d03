//===- attention.cuh - Umbrella header included by generated code ---------===//
//
// The generated translation unit (docs/codegen.md section 1) includes only
// this file. Compiled by NVRTC with -I<cuda>/include -I kernels-gen/include:
// no host std headers anywhere below.
//
//   attn_kernels::Config<BLOCK_M, BLOCK_N, NUM_WARPS, STAGES>
//   attn_kernels::prefill<Variant, Cfg>(args, params)   prefill_smem_bytes<Variant, Cfg>()
//   attn_kernels::decode<Variant, Cfg>(args, params)    decode_smem_bytes<Variant, Cfg>()
//   attn_kernels::merge_states<Variant>(merge_states_args)  (split-KV merges are fused)
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_ATTENTION_CUH
#define ATTN_KERNELS_ATTENTION_CUH

#include "attn_kernels/abi.h"
#include "attn_kernels/config.cuh"
#include "attn_kernels/decode.cuh"
#include "attn_kernels/merge.cuh"
#include "attn_kernels/prefill.cuh"

#endif
