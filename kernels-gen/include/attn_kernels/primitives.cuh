//===- primitives.cuh - Tensor-core, copy and shared-memory primitives ----===//
//
// Thin inline-PTX wrappers (sm_80+; also valid when compiled for sm_90/90a):
// mma.sync m16n8k16, ldmatrix, cp.async, conversions, exp2, and the swizzled
// shared-memory tile layout. No CCCL, no std headers: NVRTC compiles this with
// only the CUDA include directory (see docs/codegen.md).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_PRIMITIVES_CUH
#define ATTN_KERNELS_PRIMITIVES_CUH

#include "attn_kernels/abi.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace attn_kernels {

// ---------------------------------------------------------------------------
// Element types. The variant names its DType (__nv_bfloat16 or __half); the
// traits select the matching mma and conversion instructions.
template <class T> struct DTypeTraits;
template <> struct DTypeTraits<__nv_bfloat16> { static constexpr bool kIsBF16 = true; };
template <> struct DTypeTraits<__half> { static constexpr bool kIsBF16 = false; };

// Packs two floats into one 32-bit register of two 16-bit values; `lo` goes
// into the low half, which is the element with the smaller column index in
// every mma fragment (kernels.md section 2).
template <class T> __device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  uint32_t r;
  if constexpr (DTypeTraits<T>::kIsBF16)
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  else
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

// One 16-bit element <-> float.
template <class T> __device__ __forceinline__ float to_float(unsigned short bits) {
  if constexpr (DTypeTraits<T>::kIsBF16) {
    return __uint_as_float(((uint32_t)bits) << 16);
  } else {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(bits));
    return f;
  }
}
// Two packed 16-bit elements (pack2's layout) -> floats (lo, hi).
template <class T> __device__ __forceinline__ float2 unpack2(uint32_t bits) {
  return make_float2(to_float<T>((unsigned short)(bits & 0xffffu)),
                     to_float<T>((unsigned short)(bits >> 16)));
}
template <class T> __device__ __forceinline__ unsigned short from_float(float f) {
  unsigned short r;
  if constexpr (DTypeTraits<T>::kIsBF16)
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r) : "f"(f));
  else
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(f));
  return r;
}

// ---------------------------------------------------------------------------
// Numbers.
__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }

// MUFU exp2; ex2.approx(-inf) = +0, which is what masked logits rely on.
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
__device__ __forceinline__ float fast_log2(float x) {
  float y;
  asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// ---------------------------------------------------------------------------
// Shared-memory addresses as 32-bit .shared offsets (what ldmatrix and
// cp.async take).
__device__ __forceinline__ uint32_t smem_addr(const void *p) {
  uint32_t a;
  asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
  return a;
}

// ---------------------------------------------------------------------------
// cp.async: 16-byte global->shared copies that bypass L1 (.cg). src_bytes = 0
// fills the 16 bytes with zeros without reading global memory: used for rows
// past the end of a tile so that P(=0) * V(garbage) can never make a NaN.
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void *src, bool valid) {
  int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(n)
               : "memory");
}
// The same copy with an L2 cache policy (l2_evict_first_policy) attached.
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void *src, bool valid,
                                            uint64_t policy) {
  int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global.L2::cache_hint [%0], [%1], 16, %2, %3;" ::"r"(dst),
               "l"(src), "r"(n), "l"(policy)
               : "memory");
}
// An L2 policy for data read once: its lines are the first to go, so a
// stream of K/V does not push out what the next launch reads first (its
// work items, page table and merge lists) or the split's partial states.
__device__ __forceinline__ uint64_t l2_evict_first_policy() {
  uint64_t policy;
  asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));
  return policy;
}
// Asks L2 to fetch `bytes` (a multiple of 16) from 16-byte-aligned global
// `src` (sm_90+; nothing on sm_80). Only a hint: nothing reaches the CTA, and
// L2 is where global memory is coherent, so it is safe even on bytes another
// kernel is still writing.
__device__ __forceinline__ void prefetch_l2(const void *src, uint32_t bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(__cvta_generic_to_global(src)),
               "r"(bytes)
               : "memory");
#endif
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;" ::: "memory");
}
template <int N> __device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
}

// ---------------------------------------------------------------------------
// Programmatic dependent launch (sm_90+; nothing on sm_80). When the runtime
// launches a kernel with programmatic stream serialization, the kernel may
// start while the previous kernel in the stream is still running; it must
// call wait_for_prerequisite_grid() before it reads anything that kernel may
// write (q, k, v, params arrays) or writes anything (o, lse, the workspace).
// Without that launch attribute the wait returns at once.
// allow_dependent_grid() lets the next such kernel start launching now (its
// CTAs take SM room as ours leave and then wait for our completion).
__device__ __forceinline__ void wait_for_prerequisite_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_dependent_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// ---------------------------------------------------------------------------
// ldmatrix: four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of
// matrix i, register i receives matrix i in the mma fragment layout (thread t:
// row t/4, columns 2(t%4)+{0,1}); .trans delivers the transpose (V as B).
__device__ __forceinline__ void ldmatrix_x4(uint32_t addr, uint32_t (&r)[4]) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t addr, uint32_t (&r)[4]) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// ---------------------------------------------------------------------------
// D = A(16x16, row) * B(16x8, col) + D with fp32 accumulation.
template <class T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                          uint32_t b1) {
  if constexpr (DTypeTraits<T>::kIsBF16)
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, "
                 "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
                 "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// ---------------------------------------------------------------------------
// A shared-memory tile of ROWS rows of D 16-bit elements, addressed in
// 16-byte chunks. When a row has a multiple of 8 chunks (D = 64, 128, 192,
// 256) chunk c of row r is stored at c ^ (r % 8): the 8 rows an ldmatrix (or
// the 8 row-segments a warp's cp.asyncs) touch at one logical chunk then hit
// 8 different 16-byte bank groups (kernels.md section 3). Other widths
// (D = 96: 12 chunks) pad each row by one chunk instead: a row stride of 13
// chunks = 52 words puts 8 consecutive rows on distinct 4-bank groups.
template <int ROWS, int D> struct SmemTile {
  static_assert(D % 16 == 0, "head dims must be multiples of 16");
  static constexpr int kRows = ROWS;
  static constexpr int kChunks = D / 8;
  static constexpr bool kSwizzle = (kChunks % 8) == 0;
  static constexpr int kRowChunks = kSwizzle ? kChunks : kChunks + 1;
  static constexpr int kRowBytes = kRowChunks * 16;
  static constexpr int kBytes = ROWS * kRowBytes;

  // Byte offset of chunk `c` of row `r`.
  __device__ __forceinline__ static uint32_t chunk_offset(int r, int c) {
    return (uint32_t)(r * kRowBytes + (kSwizzle ? (c ^ (r & 7)) : c) * 16);
  }
  // Byte offset of element `e` (0..D) of row `r`.
  __device__ __forceinline__ static uint32_t elem_offset(int r, int e) {
    return chunk_offset(r, e >> 3) + (uint32_t)((e & 7) * 2);
  }
};

// ---------------------------------------------------------------------------
// Returns x, but the compiler may not assume it equals any other value, nor
// move it out of a loop. Per-thread constants derived from it inside the
// K/V loop are then recomputed per tile (a few integer ops) instead of being
// hoisted by LICM into registers that stay live across the whole kernel.
__device__ __forceinline__ int opaque(int x) {
  asm volatile("" : "+r"(x));
  return x;
}

// ---------------------------------------------------------------------------
// Warp reductions over the 4 lanes (a "quad") that share an accumulator row.
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
  return x;
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  x += __shfl_xor_sync(0xffffffffu, x, 2);
  return x;
}

} // namespace attn_kernels

#endif
