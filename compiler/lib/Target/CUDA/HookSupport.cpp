//===- HookSupport.cpp - Device helpers the emitted hooks call ------------===//
//
// Each helper reproduces one rule of docs/language.md section 8 / the
// reference interpreter where a plain C++ operator would differ (signed
// overflow is UB in C++, x / 0 traps, float -> int of NaN or out-of-range
// values is UB, fmaxf ignores NaN). Integer helpers compute in the unsigned
// type, which wraps by definition.
//
//===----------------------------------------------------------------------===//
#include "attn/Target/CUDA/HookEmitter.h"

namespace attn::target {

const char *hookSupportSource() {
  return R"cuda(#ifndef ATTN_GEN_OPS_DEFINED
#define ATTN_GEN_OPS_DEFINED
// Semantics of the attn dialect's scalar ops (docs/language.md section 8).
namespace attn_gen_ops {
template <typename T> struct Unsigned;
template <> struct Unsigned<int32_t> { using type = uint32_t; };
template <> struct Unsigned<int64_t> { using type = uint64_t; };
template <typename T> struct Limits;
template <> struct Limits<int32_t> { static constexpr int32_t kMin = -2147483647 - 1, kMax = 2147483647; static constexpr int kBits = 32; };
template <> struct Limits<int64_t> { static constexpr int64_t kMin = -9223372036854775807LL - 1, kMax = 9223372036854775807LL; static constexpr int kBits = 64; };

// Two's-complement wrap-around.
template <typename T> __device__ __forceinline__ T addi(T a, T b) { using U = typename Unsigned<T>::type; return (T)((U)a + (U)b); }
template <typename T> __device__ __forceinline__ T subi(T a, T b) { using U = typename Unsigned<T>::type; return (T)((U)a - (U)b); }
template <typename T> __device__ __forceinline__ T muli(T a, T b) { using U = typename Unsigned<T>::type; return (T)((U)a * (U)b); }
template <typename T> __device__ __forceinline__ T absi(T a) { using U = typename Unsigned<T>::type; return (T)(a < 0 ? (U)0 - (U)a : (U)a); }
// Truncating division: x / 0 = 0, x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0.
template <typename T> __device__ __forceinline__ T divsi(T a, T b) { using U = typename Unsigned<T>::type; return b == 0 ? (T)0 : b == -1 ? (T)((U)0 - (U)a) : (T)(a / b); }
template <typename T> __device__ __forceinline__ T remsi(T a, T b) { return b == 0 ? a : b == -1 ? (T)0 : (T)(a % b); }
template <typename T> __device__ __forceinline__ T divui(T a, T b) { using U = typename Unsigned<T>::type; return b == 0 ? (T)0 : (T)((U)a / (U)b); }
template <typename T> __device__ __forceinline__ T remui(T a, T b) { using U = typename Unsigned<T>::type; return b == 0 ? a : (T)((U)a % (U)b); }
template <typename T> __device__ __forceinline__ T ceildivui(T a, T b) { using U = typename Unsigned<T>::type; return b == 0 ? (T)0 : (T)((U)a / (U)b + ((U)a % (U)b != 0 ? 1 : 0)); }
template <typename T> __device__ __forceinline__ T ceildivsi(T a, T b) {
  if (b == 0) return 0;
  T q = divsi(a, b);
  if (b == -1) return q;
  T r = a % b;
  return (r != 0 && ((r > 0) == (b > 0))) ? addi(q, (T)1) : q;
}
template <typename T> __device__ __forceinline__ T floordivsi(T a, T b) {
  if (b == 0) return 0;
  T q = divsi(a, b);
  if (b == -1) return q;
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? subi(q, (T)1) : q;
}
// Shifts by the width or more give 0 (or the sign for shrsi), as the interpreter.
template <typename T> __device__ __forceinline__ T shli(T a, T b) { using U = typename Unsigned<T>::type; return (U)b >= (U)Limits<T>::kBits ? (T)0 : (T)((U)a << (U)b); }
template <typename T> __device__ __forceinline__ T shrui(T a, T b) { using U = typename Unsigned<T>::type; return (U)b >= (U)Limits<T>::kBits ? (T)0 : (T)((U)a >> (U)b); }
template <typename T> __device__ __forceinline__ T shrsi(T a, T b) { using U = typename Unsigned<T>::type; return (U)b >= (U)Limits<T>::kBits ? (a < 0 ? (T)-1 : (T)0) : (T)(a >> (U)b); }
template <typename T> __device__ __forceinline__ T minsi(T a, T b) { return a <= b ? a : b; }
template <typename T> __device__ __forceinline__ T maxsi(T a, T b) { return a >= b ? a : b; }
template <typename T> __device__ __forceinline__ T minui(T a, T b) { using U = typename Unsigned<T>::type; return (U)a <= (U)b ? a : b; }
template <typename T> __device__ __forceinline__ T maxui(T a, T b) { using U = typename Unsigned<T>::type; return (U)a >= (U)b ? a : b; }

// Float -> int: truncate toward zero, saturate, NaN -> 0 (the cvt.rzi
// intrinsics saturate; NaN is handled here so no PTX corner is relied on).
__device__ __forceinline__ int32_t fptosi_i32(float x) { return x != x ? 0 : __float2int_rz(x); }
__device__ __forceinline__ int64_t fptosi_i64(float x) { return x != x ? 0 : __float2ll_rz(x); }
__device__ __forceinline__ int32_t fptoui_i32(float x) { return x != x ? 0 : (int32_t)__float2uint_rz(x); }
__device__ __forceinline__ int64_t fptoui_i64(float x) { return x != x ? 0 : (int64_t)__float2ull_rz(x); }

// IEEE 754-2019 maximum / minimum: NaN propagates, -0 < +0.
__device__ __forceinline__ float maximumf(float a, float b) {
  if (a != a || b != b) return __int_as_float(0x7fffffff);
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
__device__ __forceinline__ float minimumf(float a, float b) {
  if (a != a || b != b) return __int_as_float(0x7fffffff);
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
__device__ __forceinline__ int32_t cttz(uint32_t a) { return a == 0 ? 32 : __ffs((int)a) - 1; }
__device__ __forceinline__ int64_t cttz(uint64_t a) { return a == 0 ? 64 : __ffsll((long long)a) - 1; }
} // namespace attn_gen_ops
#endif // ATTN_GEN_OPS_DEFINED
)cuda";
}

} // namespace attn::target
