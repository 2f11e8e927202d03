// RUN: attn-opt %s | attn-opt | FileCheck %s
// Round trip: every op, every hook kind, every param domain, rope attributes,
// scf.if inside a hook, and a tile classifier.

// CHECK-LABEL: attn.variant @all_features
// CHECK-SAME: dtype = bf16
// CHECK-SAME: head_dim_qk = 192 : i64, head_dim_vo = 128 : i64
// CHECK-SAME: kv_layout = #attn<kv_layout paged>
// CHECK-SAME: normalize = #attn<normalize none>
// CHECK-SAME: page_size = 16 : i64
attn.variant @all_features attributes {dtype = bf16, head_dim_qk = 192 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize none>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, page_size = 16 : i64, scale = 0.0721 : f64} {
  // CHECK: attn.param @cap : f32 scalar = 5.000000e+01 : f32
  attn.param @cap : f32 scalar = 50.0 : f32
  // CHECK: attn.param @window : i32 scalar = 4096 : i32
  attn.param @window : i32 scalar = 4096 : i32
  // CHECK: attn.param @slopes : f32 heads
  attn.param @slopes : f32 heads
  // CHECK: attn.param @gain : f32 kv_heads
  attn.param @gain : f32 kv_heads
  // CHECK: attn.param @temp : f32 batch
  attn.param @temp : f32 batch
  // CHECK: attn.param @doc : i32 tokens
  attn.param @doc : i32 tokens

  // CHECK: attn.hook logits {
  // CHECK-NEXT: ^bb0(%score: f32, %q_idx: i32, %kv_idx: i32, %head: i32, %kv_head: i32, %batch: i32, %q_len: i32, %kv_len: i32):
  // CHECK: attn.get_param @cap : f32
  // CHECK: math.tanh
  // CHECK: attn.load_param @slopes[%head] : f32
  attn.hook logits {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %cap = attn.get_param @cap : f32
    %0 = arith.divf %s, %cap : f32
    %1 = math.tanh %0 : f32
    %2 = arith.mulf %cap, %1 : f32
    %sl = attn.load_param @slopes[%h] : f32
    %3 = arith.addf %2, %sl : f32
    attn.yield %3 : f32
  }
  // CHECK: attn.hook mask {
  // CHECK: attn.load_param @doc[%q_idx] : i32
  // CHECK: scf.if
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %d0 = attn.load_param @doc[%q] : i32
    %d1 = attn.load_param @doc[%k] : i32
    %same = arith.cmpi eq, %d0, %d1 : i32
    %r = scf.if %same -> (i1) {
      %c = arith.cmpi sle, %k, %q : i32
      scf.yield %c : i1
    } else {
      %f = arith.constant false
      scf.yield %f : i1
    }
    attn.yield %r : i1
  }
  // CHECK: attn.hook weights {
  // CHECK-NEXT: ^bb0(%score: f32, %logit: f32,
  attn.hook weights {
  ^bb0(%s: f32, %l: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %t = attn.load_param @temp[%b] : f32
    %0 = arith.mulf %l, %t : f32
    attn.yield %0 : f32
  }
  // CHECK: attn.hook query attributes {rope_dims = 64 : i64, rope_theta = 1.000000e+04 : f64}
  attn.hook query attributes {rope_dims = 64 : i64, rope_theta = 1.0e4 : f64} {
  ^bb0(%x: f32, %d: i32, %q: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    attn.yield %x : f32
  }
  // CHECK: attn.hook key attributes {rope_interleaved, rope_theta = 5.000000e+05 : f64}
  // CHECK-NEXT: ^bb0(%k: f32, %dim: i32, %kv_idx: i32, %kv_head: i32, %batch: i32, %q_len: i32, %kv_len: i32):
  attn.hook key attributes {rope_interleaved, rope_theta = 5.0e5 : f64} {
  ^bb0(%x: f32, %d: i32, %k: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %g = attn.load_param @gain[%kh] : f32
    %0 = arith.mulf %x, %g : f32
    attn.yield %0 : f32
  }
  // CHECK: attn.hook output {
  // CHECK-NEXT: ^bb0(%o: f32, %dim: i32, %q_idx: i32, %head: i32,
  attn.hook output {
  ^bb0(%x: f32, %d: i32, %q: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    attn.yield %x : f32
  }
  // CHECK: attn.tile_classifier {
  // CHECK-NEXT: ^bb0(%q0: i32, %q1: i32, %k0: i32, %k1: i32, %head: i32, %kv_head: i32, %batch: i32, %q_len: i32, %kv_len: i32):
  attn.tile_classifier {
  ^bb0(%q0: i32, %q1: i32, %k0: i32, %k1: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %wide = arith.extsi %q1 : i32 to i64
    %c = arith.constant 1 : i32
    attn.yield %c : i32
  }
}

// CHECK-LABEL: attn.variant @block_sparse
// CHECK-SAME: block_kv = 64 : i64, block_q = 128 : i64
attn.variant @block_sparse attributes {block_kv = 64 : i64, block_q = 128 : i64, dtype = f16, head_dim_qk = 64 : i64, head_dim_vo = 64 : i64, kv_layout = #attn<kv_layout block_sparse>, normalize = #attn<normalize softmax>, num_kv_heads = 4 : i64, num_q_heads = 4 : i64, scale = 0.125 : f64} {
}
