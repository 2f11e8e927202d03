// RUN: attn-opt %s -split-input-file -attn-select-kernels | FileCheck %s
// The configs depend on the bytes of one row (head dim x element size) and,
// for decode, on the GQA group size; each entry point gets its own dictionary.

// d = 128, group 4: the wide prefill tile, 16-row decode.
// CHECK-LABEL: attn.variant @d128
// CHECK-SAME: kernel_configs = {decode = {block_m = 16 : i64, block_n = 64 : i64, num_warps = 4 : i64, stages = 3 : i64}, merge = {num_warps = 4 : i64}, prefill = {block_m = 128 : i64, block_n = 32 : i64, num_warps = 4 : i64, stages = 3 : i64}, template = "sm80"}
attn.variant @d128 attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
}

// -----

// d = 256 (f16): half-height prefill tiles, 32-key decode tiles over 2 warps.
// CHECK-LABEL: attn.variant @d256
// CHECK-SAME: decode = {block_m = 16 : i64, block_n = 32 : i64, num_warps = 2 : i64, stages = 3 : i64}
// CHECK-SAME: prefill = {block_m = 64 : i64, block_n = 64 : i64, num_warps = 4 : i64, stages = 2 : i64}
attn.variant @d256 attributes {dtype = f16, head_dim_qk = 256 : i64, head_dim_vo = 256 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 16 : i64, page_size = 16 : i64, scale = 0.0625 : f64} {
}

// -----

// 192:128 is sized by its wider (qk) rows.
// CHECK-LABEL: attn.variant @mla
// CHECK-SAME: decode = {block_m = 16 : i64, block_n = 32 : i64, num_warps = 2 : i64, stages = 3 : i64}
// CHECK-SAME: prefill = {block_m = 64 : i64, block_n = 64 : i64, num_warps = 4 : i64, stages = 2 : i64}
attn.variant @mla attributes {dtype = bf16, head_dim_qk = 192 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.0721 : f64} {
}

// -----

// d = 64 with a GQA group of 32 heads: 32 packed decode rows.
// CHECK-LABEL: attn.variant @wide_group
// CHECK-SAME: decode = {block_m = 32 : i64, block_n = 64 : i64, num_warps = 4 : i64, stages = 3 : i64}
// CHECK-SAME: prefill = {block_m = 128 : i64, block_n = 32 : i64, num_warps = 4 : i64, stages = 3 : i64}
attn.variant @wide_group attributes {dtype = bf16, head_dim_qk = 64 : i64, head_dim_vo = 64 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 1 : i64, num_q_heads = 32 : i64, scale = 0.125 : f64} {
}

// -----

// Running it again replaces the decision rather than adding a second one.
// CHECK-LABEL: attn.variant @rerun
// CHECK-SAME: kernel_configs = {decode = {block_m = 16 : i64
// CHECK-NOT: kernel_configs
attn.variant @rerun attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kernel_configs = {prefill = {block_m = 1 : i64}}, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
}
