// RUN: attn-opt %s -split-input-file -attn-classify-tiles -attn-simplify-hooks | FileCheck %s

// Document mask: an array read is reproduced in the classifier only when its
// index is one value over the tile and inside the array (tokens: < kv_len);
// the read sits under an scf.if so the classifier never reads out of bounds.

// CHECK-LABEL: attn.variant @document
// CHECK:       attn.tile_classifier {
// CHECK-DAG:     %[[KVLEN:.*]] = arith.extsi %kv_len : i32 to i64
// CHECK-DAG:     arith.cmpi slt, %{{.*}}, %[[KVLEN]] : i64
// CHECK:         scf.if %{{.*}} -> (i64) {
// CHECK:           %[[V:.*]] = attn.load_param @doc[%{{.*}}] : i32
// CHECK:           %[[W:.*]] = arith.extsi %[[V]] : i32 to i64
// CHECK:           scf.yield %[[W]] : i64
// CHECK:         } else {
// CHECK:         attn.yield
attn.variant @document attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
  attn.param @doc : i32 tokens
  attn.hook mask {
  ^bb0(%q_idx: i32, %kv_idx: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %dq = attn.load_param @doc[%q_idx] : i32
    %dk = attn.load_param @doc[%kv_idx] : i32
    %0 = arith.cmpi eq, %dq, %dk : i32
    attn.yield %0 : i1
  }
}

// -----

// Per-head array with a head index: the index is a point, so the read is
// bounded by num_q_heads (a compile-time constant of the variant).

// CHECK-LABEL: attn.variant @per_head_window
// CHECK:       attn.tile_classifier {
// CHECK-DAG:     %[[NH:.*]] = arith.constant 32 : i64
// CHECK-DAG:     %[[H:.*]] = arith.extsi %head : i32 to i64
// CHECK-DAG:     arith.cmpi slt, %[[H]], %[[NH]] : i64
// CHECK:         scf.if
// CHECK:           attn.load_param @windows[%head] : i32
attn.variant @per_head_window attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
  attn.param @windows : i32 heads
  attn.hook mask {
  ^bb0(%q_idx: i32, %kv_idx: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %w = attn.load_param @windows[%h] : i32
    %d = arith.subi %q_idx, %kv_idx : i32
    %0 = arith.cmpi slt, %d, %w : i32
    attn.yield %0 : i1
  }
}

// -----

// Overflow: q * 30000000 leaves i32 inside a 200-row tile; the products are
// computed in i64 and the interval widened to the whole i32 range.

// CHECK-LABEL: attn.variant @overflow
// CHECK:       attn.tile_classifier {
// CHECK-DAG:     %[[IMAX:.*]] = arith.constant 2147483647 : i64
// CHECK-DAG:     %[[IMIN:.*]] = arith.constant -2147483648 : i64
// CHECK-DAG:     %[[A:.*]] = arith.constant 30000000 : i64
// CHECK-DAG:     arith.muli %{{.*}}, %[[A]] : i64
// CHECK:         arith.select %{{.*}}, %[[IMIN]], %{{.*}} : i64
// CHECK:         arith.select %{{.*}}, %[[IMAX]], %{{.*}} : i64
// CHECK:         attn.yield
attn.variant @overflow attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
  attn.hook mask {
  ^bb0(%q_idx: i32, %kv_idx: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %a = arith.constant 30000000 : i32
    %c = arith.constant 21000000 : i32
    %qa = arith.muli %q_idx, %a : i32
    %kc = arith.muli %kv_idx, %c : i32
    %0 = arith.cmpi slt, %qa, %kc : i32
    attn.yield %0 : i1
  }
}
