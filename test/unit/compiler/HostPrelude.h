//===- HostPrelude.h - CUDA intrinsics for emitted code compiled on the host -===//
//
// The host differential tests (EmittedHooksHostTest, ClassifierProgramHostTest)
// compile the CUDA emitter's hooks and tile classifier with the host C++
// compiler. This prelude stands in for the device-only intrinsics that code
// may call; cuda_bf16.h / cuda_fp16.h themselves compile for the host.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_UNIT_COMPILER_HOSTPRELUDE_H
#define ATTN_TEST_UNIT_COMPILER_HOSTPRELUDE_H

namespace attn_test {

inline constexpr const char *kHostPrelude = R"(
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <climits>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include "attn_kernels/abi.h"
using std::signbit;
static inline int __float2int_rz(float x) { if (x >= 2147483647.0f) return INT_MAX; if (x <= -2147483648.0f) return INT_MIN; return (int)x; }
static inline long long __float2ll_rz(float x) { if (x >= 9.2233720e18f) return LLONG_MAX; if (x <= -9.2233720e18f) return LLONG_MIN; return (long long)x; }
static inline unsigned __float2uint_rz(float x) { if (x <= 0) return 0; if (x >= 4294967295.0f) return UINT_MAX; return (unsigned)x; }
static inline unsigned long long __float2ull_rz(float x) { if (x <= 0) return 0; if (x >= 1.8446744e19f) return ULLONG_MAX; return (unsigned long long)x; }
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
static inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
template <typename T> static inline T __ldg(const T *p) { return *p; }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline int __ffsll(long long x) { return __builtin_ffsll(x); }
static inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
static inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
)";

} // namespace attn_test

#endif
