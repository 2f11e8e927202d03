//===- HostDifferential.h - Emitted device code, compiled and run on the host -===//
//
// What the host differential tests (EmittedHooksHostTest,
// ClassifierProgramHostTest) share: loading a spec, a prelude that stands in
// for the device-only intrinsics the CUDA emitter's hooks and tile classifier
// may call (cuda_bf16.h / cuda_fp16.h themselves compile for the host), and
// compiling + running a program built from it with the host C++ compiler.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_UNIT_COMPILER_HOSTDIFFERENTIAL_H
#define ATTN_TEST_UNIT_COMPILER_HOSTDIFFERENTIAL_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Frontend/LoadSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#ifndef ATTN_SOURCE_DIR
#error "ATTN_SOURCE_DIR must point at the repository"
#endif
#ifndef ATTN_HOST_CXX
#error "ATTN_HOST_CXX must name the host C++ compiler"
#endif
#ifndef ATTN_CUDA_INCLUDE
#error "ATTN_CUDA_INCLUDE must name the CUDA include directory"
#endif

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


/// A spec file through the attnc pipeline (attn::loadSpec), with its variant.
struct LoadedSpec {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  attn::VariantOp op;
};

inline bool loadSpecFile(const std::string &path, LoadedSpec &out, std::string &error) {
  out.context = std::make_unique<mlir::MLIRContext>();
  out.module = attn::loadSpec(path, *out.context, error);
  if (!out.module || out.module->getOps<attn::VariantOp>().empty())
    return false;
  out.op = *out.module->getOps<attn::VariantOp>().begin();
  return true;
}

/// Writes kHostPrelude + `program` to <stem>.cpp, compiles it with the host
/// compiler (log in <stem>.log) and runs it with stdout to <stem>.out.
/// Returns whether both succeeded; `command` is what ran.
inline bool compileAndRunOnHost(const std::string &stem, const std::string &program,
                                std::string &command) {
  const std::string cpp = stem + ".cpp", exe = stem + ".bin";
  {
    std::ofstream f(cpp);
    f << kHostPrelude << "\n" << program;
  }
  command = std::string(ATTN_HOST_CXX) + " -std=c++17 -O1 -w -I" + ATTN_CUDA_INCLUDE + " -I" +
            ATTN_SOURCE_DIR + "/kernels-gen/include " + cpp + " -o " + exe + " 2> " + stem +
            ".log && " + exe + " > " + stem + ".out";
  return std::system(command.c_str()) == 0;
}

} // namespace attn_test

#endif
