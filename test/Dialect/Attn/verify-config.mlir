// RUN: attn-opt %s -split-input-file -attn-verify-config -verify-diagnostics
// Well-formed variants our kernels cannot run are rejected by the pass, not
// the op verifier.

// expected-error @+1 {{unsupported head_dim 80; supported: 64, 96, 128, 256 (or 192 : 128)}}
attn.variant @hd80 attributes {dtype = bf16, head_dim_qk = 80 : i64, head_dim_vo = 80 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{unsupported head dims 192 : 64}}
attn.variant @mla attributes {dtype = bf16, head_dim_qk = 192 : i64, head_dim_vo = 64 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{block_sparse block sizes must be powers of two up to 256, got 48}}
attn.variant @bsr attributes {block_kv = 64 : i64, block_q = 48 : i64, dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout block_sparse>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{at most 64 query heads per KV head are supported, got 128}}
attn.variant @group attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 1 : i64, num_q_heads = 128 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{page size 5000 exceeds the supported maximum of 4096}}
attn.variant @page attributes {dtype = f16, head_dim_qk = 64 : i64, head_dim_vo = 64 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, page_size = 5000 : i64, scale = 1.0 : f64} {
}

// -----

// Supported: no diagnostics.
attn.variant @ok_mla attributes {dtype = bf16, head_dim_qk = 192 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 64 : i64, page_size = 1 : i64, scale = 1.0 : f64} {
}
attn.variant @ok_bsr attributes {block_kv = 1 : i64, block_q = 256 : i64, dtype = f16, head_dim_qk = 96 : i64, head_dim_vo = 96 : i64, kv_layout = #attn<kv_layout block_sparse>, normalize = #attn<normalize softmax>, num_kv_heads = 2 : i64, num_q_heads = 4 : i64, scale = 1.0 : f64} {
}

// -----

// The runtime owns slot 0 of the params blob under this name.
attn.variant @reserved attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{the param name 'token_offsets' is reserved}}
  attn.param @token_offsets : i32 tokens
}
