// RUN: attn-opt %s -attn-simplify-hooks | FileCheck %s
// MLIRGen re-emits a `let` at each use; the pass folds constants and CSEs
// the copies inside each hook region.

// CHECK-LABEL: attn.variant @softcap
attn.variant @softcap attributes {dtype = bf16, head_dim_qk = 128 : i64, head_dim_vo = 128 : i64, kv_layout = #attn<kv_layout contiguous>, normalize = #attn<normalize softmax>, num_kv_heads = 8 : i64, num_q_heads = 8 : i64, scale = 1.0 : f64} {
  attn.param @cap : f32 scalar = 50.0 : f32
  // CHECK: attn.hook logits {
  // CHECK: %[[CAP:.*]] = attn.get_param @cap : f32
  // CHECK-NOT: attn.get_param
  // CHECK: %[[DIV:.*]] = arith.divf %score, %[[CAP]] : f32
  // CHECK-NEXT: %[[TANH:.*]] = math.tanh %[[DIV]] : f32
  // CHECK-NEXT: %[[MUL:.*]] = arith.mulf %[[CAP]], %[[TANH]] : f32
  // CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[MUL]], %[[MUL]] : f32
  // CHECK-NEXT: attn.yield %[[SUM]] : f32
  attn.hook logits {
  ^bb0(%s: f32, %q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %cap0 = attn.get_param @cap : f32
    %0 = arith.divf %s, %cap0 : f32
    %1 = math.tanh %0 : f32
    %2 = arith.mulf %cap0, %1 : f32
    %cap1 = attn.get_param @cap : f32
    %3 = arith.divf %s, %cap1 : f32
    %4 = math.tanh %3 : f32
    %5 = arith.mulf %cap1, %4 : f32
    %6 = arith.addf %2, %5 : f32
    attn.yield %6 : f32
  }
  // Constant arithmetic folds; an scf.if on a constant condition disappears.
  // CHECK: attn.hook mask {
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT: %[[C6:.*]] = arith.constant 6 : i32
  // CHECK-NEXT: %[[D:.*]] = arith.subi %q_idx, %kv_idx : i32
  // CHECK-NEXT: %[[R:.*]] = arith.cmpi slt, %[[D]], %[[C6]] : i32
  // CHECK-NEXT: attn.yield %[[R]] : i1
  attn.hook mask {
  ^bb0(%q: i32, %k: i32, %h: i32, %kh: i32, %b: i32, %ql: i32, %kl: i32):
    %c2 = arith.constant 2 : i32
    %c3 = arith.constant 3 : i32
    %w = arith.muli %c2, %c3 : i32
    %d = arith.subi %q, %k : i32
    %t = arith.constant true
    %r = scf.if %t -> (i1) {
      %lt = arith.cmpi slt, %d, %w : i32
      scf.yield %lt : i1
    } else {
      %f = arith.constant false
      scf.yield %f : i1
    }
    attn.yield %r : i1
  }
}
