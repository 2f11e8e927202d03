// RUN: attn-opt %s -split-input-file -attn-classify-tiles -attn-simplify-hooks | FileCheck %s

// Causal: empty when the lowest key is past the last query (k0 > q1), full
// when the highest key is at or before the first query (k1 <= q0).

// CHECK-LABEL: attn.variant @causal
// CHECK:       attn.tile_classifier {
// CHECK-NEXT:  ^bb0(%q0: i32, %q1: i32, %k0: i32, %k1: i32, %head: i32, %kv_head: i32, %batch: i32, %q_len: i32, %kv_len: i32):
// CHECK-DAG:     %[[EMPTY:.*]] = arith.constant 0 : i32
// CHECK-DAG:     %[[PARTIAL:.*]] = arith.constant 1 : i32
// CHECK-DAG:     %[[FULL:.*]] = arith.constant 2 : i32
// CHECK-DAG:     %[[Q0:.*]] = arith.extsi %q0 : i32 to i64
// CHECK-DAG:     %[[Q1:.*]] = arith.extsi %q1 : i32 to i64
// CHECK-DAG:     %[[K0:.*]] = arith.extsi %k0 : i32 to i64
// CHECK-DAG:     %[[K1:.*]] = arith.extsi %k1 : i32 to i64
// CHECK-DAG:     %[[MAYDROP:.*]] = arith.cmpi slt, %[[Q0]], %[[K1]] : i64
// CHECK-DAG:     %[[MAYKEEP:.*]] = arith.cmpi sle, %[[K0]], %[[Q1]] : i64
// CHECK:         %[[NOTEMPTY:.*]] = arith.select %[[MAYDROP]], %[[PARTIAL]], %[[FULL]] : i32
// CHECK:         %[[CLS:.*]] = arith.select %[[MAYKEEP]], %[[NOTEMPTY]], %[[EMPTY]] : i32
// CHECK:         attn.yield %[[CLS]] : i32
// CHECK-NEXT:  }
attn.variant @causal attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
  attn.hook mask {
  ^bb0(%q_idx: i32, %kv_idx: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %0 = arith.cmpi sle, %kv_idx, %q_idx : i32
    attn.yield %0 : i1
  }
}

// -----

// No mask: every tile is full. A stale classifier is replaced, not kept.

// CHECK-LABEL: attn.variant @no_mask
// CHECK:       attn.tile_classifier {
// CHECK-NEXT:  ^bb0(
// CHECK-NEXT:    %[[FULL:.*]] = arith.constant 2 : i32
// CHECK-NEXT:    attn.yield %[[FULL]] : i32
// CHECK-NEXT:  }
// CHECK-NOT:   attn.tile_classifier
attn.variant @no_mask attributes {dtype = f16, head_dim_qk = 64 : i64, head_dim_vo = 64 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 4 : i64, num_q_heads = 4 : i64, scale = 0.125 : f64} {
  attn.tile_classifier {
  ^bb0(%q0: i32, %q1: i32, %k0: i32, %k1: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %c = arith.constant 1 : i32
    attn.yield %c : i32
  }
}

// -----

// Sliding window: the window is read at run time; q - kv over the tile is
// [q0 - k1, q1 - k0], widened to the full i32 range if a bound overflows.

// CHECK-LABEL: attn.variant @window
// CHECK:       attn.tile_classifier {
// CHECK-DAG:     %[[EMPTY:.*]] = arith.constant 0 : i32
// CHECK-DAG:     %[[PARTIAL:.*]] = arith.constant 1 : i32
// CHECK-DAG:     %[[FULL:.*]] = arith.constant 2 : i32
// CHECK-DAG:     %[[IMAX:.*]] = arith.constant 2147483647 : i64
// CHECK-DAG:     %[[IMIN:.*]] = arith.constant -2147483648 : i64
// CHECK-DAG:     %[[Q0:.*]] = arith.extsi %q0 : i32 to i64
// CHECK-DAG:     %[[Q1:.*]] = arith.extsi %q1 : i32 to i64
// CHECK-DAG:     %[[K0:.*]] = arith.extsi %k0 : i32 to i64
// CHECK-DAG:     %[[K1:.*]] = arith.extsi %k1 : i32 to i64
// CHECK-DAG:     %[[W32:.*]] = attn.get_param @window : i32
// CHECK-DAG:     %[[W:.*]] = arith.extsi %[[W32]] : i32 to i64
// CHECK-DAG:     %[[DHI:.*]] = arith.subi %[[Q1]], %[[K0]] : i64
// CHECK-DAG:     %[[DLO:.*]] = arith.subi %[[Q0]], %[[K1]] : i64
// CHECK-DAG:     arith.cmpi sgt, %[[DHI]], %[[IMAX]] : i64
// CHECK-DAG:     arith.cmpi slt, %[[DLO]], %[[IMIN]] : i64
// CHECK:         %[[LO:.*]] = arith.select %{{.*}}, %[[IMIN]], %[[DLO]] : i64
// CHECK:         %[[HI:.*]] = arith.select %{{.*}}, %[[IMAX]], %[[DHI]] : i64
// CHECK-DAG:     arith.cmpi sle, %[[W]], %[[HI]] : i64
// CHECK-DAG:     arith.cmpi slt, %[[LO]], %[[W]] : i64
// CHECK:         arith.select %{{.*}}, %[[PARTIAL]], %[[FULL]] : i32
// CHECK:         arith.select %{{.*}}, %{{.*}}, %[[EMPTY]] : i32
// CHECK:         attn.yield
attn.variant @window attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout paged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, page_size = 16 : i64, scale = 0.088388 : f64} {
  attn.param @window : i32 scalar = 4096 : i32
  attn.hook mask {
  ^bb0(%q_idx: i32, %kv_idx: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %0 = arith.cmpi sle, %kv_idx, %q_idx : i32
    %w = attn.get_param @window : i32
    %d = arith.subi %q_idx, %kv_idx : i32
    %1 = arith.cmpi slt, %d, %w : i32
    %2 = arith.andi %0, %1 : i1
    attn.yield %2 : i1
  }
}

// -----

// A mask decided by floats is never proved empty or full here: the
// classifier folds to "partial" (only the soundness of that is required).

// CHECK-LABEL: attn.variant @float_mask
// CHECK:       attn.tile_classifier {
// CHECK:         %[[PARTIAL:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    attn.yield %[[PARTIAL]] : i32
attn.variant @float_mask attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout ragged>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 32 : i64, scale = 0.088388 : f64} {
  attn.param @slopes : f32 heads
  attn.hook mask {
  ^bb0(%q_idx: i32, %kv_idx: i32, %h: i32, %kvh: i32, %b: i32, %ql: i32, %kvl: i32):
    %s = attn.load_param @slopes[%h] : f32
    %d = arith.subi %kv_idx, %q_idx : i32
    %df = arith.sitofp %d : i32 to f32
    %x = arith.mulf %s, %df : f32
    %t = arith.constant -8.0 : f32
    %0 = arith.cmpf ogt, %x, %t : f32
    attn.yield %0 : i1
  }
}
