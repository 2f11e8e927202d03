// RUN: attn-opt %s -split-input-file -verify-diagnostics
// Every structural rule of the dialect, broken once.

// expected-error @+1 {{num_q_heads (12) must be a multiple of num_kv_heads (8)}}
attn.variant @gqa attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 12 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{dtype must be bf16 or f16, got 'f32'}}
attn.variant @dtype attributes {dtype = f32, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{page_size is required with, and only with, the paged layout}}
attn.variant @paged attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{page_size must be at least 1}}
attn.variant @page0 attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, page_size = 0 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{block_q and block_kv are required with, and only with, the block_sparse layout}}
attn.variant @bsr attributes {block_q = 64 : i64, dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout block_sparse>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

// expected-error @+1 {{scale must be finite and positive}}
attn.variant @scale attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = -1.0 : f64} {
}

// -----

attn.variant @dup attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %t = arith.constant true
    attn.yield %t : i1
  }
  // expected-error @+1 {{duplicate mask hook}}
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %t = arith.constant true
    attn.yield %t : i1
  }
}

// -----

// expected-error @+1 {{a weights hook requires normalize = none}}
attn.variant @weights attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.hook weights {
  ^bb0(%s: f32, %l: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    attn.yield %l : f32
  }
}

// -----

// expected-error @+1 {{normalize = none requires a weights hook}}
attn.variant @none attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize none>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
}

// -----

attn.variant @argc attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{a mask hook takes 7 block arguments, got 2}}
  attn.hook mask {
  ^bb0(%q: i32, %k: i32):
    %t = arith.constant true
    attn.yield %t : i1
  }
}

// -----

attn.variant @argty attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{block argument #0 (score) must be f32, got 'i32'}}
  attn.hook logits {
  ^bb0(%s: i32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %f = arith.sitofp %s : i32 to f32
    attn.yield %f : f32
  }
}

// -----

attn.variant @yieldty attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %f = arith.constant 1.0 : f32
    // expected-error @+1 {{must yield exactly one value of type 'i1'}}
    attn.yield %f : f32
  }
}

// -----

attn.variant @i64 attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    // expected-error @+1 {{hook bodies compute only with i1, i32 and f32}}
    %w = arith.extsi %q : i32 to i64
    %t = arith.constant true
    attn.yield %t : i1
  }
}

// -----

attn.variant @foreign attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    // expected-error @+1 {{is not allowed in an attn hook body}}
    %t = scf.execute_region -> i1 {
      %x = arith.constant true
      scf.yield %x : i1
    }
    attn.yield %t : i1
  }
}

// -----

attn.variant @unknown attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.hook logits {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    // expected-error @+1 {{refers to unknown param @nope}}
    %p = attn.get_param @nope : f32
    attn.yield %p : f32
  }
}

// -----

attn.variant @scalar_as_array attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.param @cap : f32 scalar
  attn.hook logits {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    // expected-error @+1 {{param @cap is a scalar; use attn.get_param}}
    %p = attn.load_param @cap[%h] : f32
    attn.yield %p : f32
  }
}

// -----

attn.variant @array_as_scalar attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.param @slopes : f32 heads
  attn.hook logits {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    // expected-error @+1 {{param @slopes is an array; use attn.load_param}}
    %p = attn.get_param @slopes : f32
    attn.yield %p : f32
  }
}

// -----

attn.variant @param_type attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.param @window : i32 scalar
  attn.hook logits {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    // expected-error @+1 {{result type 'f32' does not match param type 'i32'}}
    %p = attn.get_param @window : f32
    attn.yield %p : f32
  }
}

// -----

attn.variant @array_default attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{only scalar params may have a default}}
  attn.param @slopes : f32 heads = 1.0 : f32
}

// -----

attn.variant @default_type attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{default value type 'f32' does not match param type 'i32'}}
  attn.param @w : i32 scalar = 1.0 : f32
}

// -----

attn.variant @rope_logits attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{rope attributes are only allowed on query and key hooks}}
  attn.hook logits attributes {rope_theta = 1.0e4 : f64} {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    attn.yield %s : f32
  }
}

// -----

attn.variant @rope_dims attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{rope_dims must be even, positive and at most head_dim_qk}}
  attn.hook query attributes {rope_dims = 33 : i64, rope_theta = 1.0e4 : f64} {
  ^bb0(%x: f32, %d: i32, %q: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    attn.yield %x : f32
  }
}

// -----

attn.variant @classifier attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{takes 9 block arguments, got 4}}
  attn.tile_classifier {
  ^bb0(%q0: i32, %q1: i32, %k0: i32, %k1: i32):
    %c = arith.constant 2 : i32
    attn.yield %c : i32
  }
}

// -----

attn.variant @body attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  // expected-error @+1 {{is not allowed in an attn.variant body}}
  %c = arith.constant 1 : i32
}
