//===- Manifest.h - The JSON that describes a compiled variant --*- C++ -*-===//
//
// Every artifact attnc emits (cubin, fatbin, header) comes with a manifest:
// the variant's shape (head dims, heads, dtype, KV layout), its runtime
// params and where each lives in the params blob, and its kernels with their
// tile configs. The schema is docs/codegen.md section 3. This is the only
// thing the runtime knows about a variant: it shares no code with the
// compiler, only this format.
//
// Pure host code (no CUDA).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_MANIFEST_H
#define ATTNRT_MANIFEST_H

#include "attnrt/ClassifierProgram.h"
#include "attnrt/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnrt {

// Values equal the ATTN_KV_* codes of attn_kernels/abi.h.
enum class KvLayout { kContiguous = 0, kRagged = 1, kPaged = 2, kBlockSparse = 3 };
enum class Normalize { kSoftmax, kNone };
enum class ParamType { kF32, kI32 };
// How many elements an array param has: heads = num_q_heads, kv_heads =
// num_kv_heads, batch = batch size, tokens = sum of kv_len (dense, indexed
// through token_offsets). kScalar: a single value in the slot itself.
enum class ParamDomain { kScalar, kHeads, kKvHeads, kBatch, kTokens };
enum class KernelKind { kPrefill, kDecode, kMerge };

const char *kvLayoutName(KvLayout);
const char *paramTypeName(ParamType);
const char *paramDomainName(ParamDomain);
const char *kernelKindName(KernelKind);

struct ParamInfo {
  std::string name;
  ParamType type = ParamType::kF32;
  ParamDomain domain = ParamDomain::kScalar;
  bool hasDefault = false; // scalars only
  double defaultValue = 0;
  uint32_t offset = 0; // byte offset of its 8-byte slot in the params blob
};

struct KernelInfo {
  KernelKind kind = KernelKind::kPrefill;
  std::string name;       // the extern "C" entry point
  int blockM = 0;         // packed rows per tile (query rows x group); 0 for merge
  int blockN = 0;         // keys per tile; 0 for merge
  int numWarps = 0;
  int stages = 0;
  int threads = 0;        // block size to launch with
  std::string smemSymbol; // __device__ int holding its dynamic smem bytes; may be empty
};

struct Manifest {
  int abiVersion = 0;
  std::string attncVersion;
  std::string variant;
  std::string dtype; // "bf16" | "f16"
  int headDimQK = 0, headDimVO = 0;
  int numQHeads = 0, numKVHeads = 0, groupSize = 0;
  KvLayout kvLayout = KvLayout::kContiguous;
  int pageSize = 0;          // paged only (> 0)
  int blockQ = 0, blockKV = 0; // block_sparse only (> 0)
  Normalize normalize = Normalize::kSoftmax;
  double scale = 0;
  uint32_t paramsBytes = 0;
  std::vector<ParamInfo> params; // slot 0 (token_offsets) is implicit, not listed
  std::vector<KernelInfo> kernels;
  std::string arch;     // "sm_90a", "sm_80"...
  // The kernels wait for the previous grid before reading their inputs
  // (compiled for sm_90+), so run() may launch them with programmatic
  // stream serialization (Runner::setProgrammaticLaunch). Absent: false.
  bool programmaticLaunch = false;
  std::string artifact; // file name of the cubin/fatbin, informational
  // The optional "tile_classifier" program (HostClassifier.h runs it); not
  // present() when the manifest has none.
  ClassifierProgram tileClassifier;

  // nullptr when the module has no such kernel / param.
  const KernelInfo *kernel(KernelKind kind) const;
  const ParamInfo *param(std::string_view name) const;
  // Bytes of one element of q/k/v/o (2 for bf16/f16).
  int dtypeBytes() const;
};

// Parses and validates: every required field present with the right JSON
// type, abi_version == ATTN_ABI_VERSION (kAbiMismatch otherwise), format ==
// "attnc-manifest", known enum strings, consistent heads/group, param slots
// 8-aligned, >= 8 (slot 0 is token_offsets), inside params_bytes and
// disjoint, unique param and kernel names, known and unique kernel kinds, at
// least one of prefill/decode, positive tile sizes and thread counts; the
// optional "tile_classifier" as parseClassifierProgram validates it.
Status parseManifest(std::string_view json, Manifest *out);

// "sm_90a" -> {9, 0, true}. false when `arch` is not of the form sm_<digits>[a].
struct ArchVersion {
  int major = 0, minor = 0;
  bool archSpecific = false; // the "a" suffix: runs only on exactly major.minor
};
bool parseArch(std::string_view arch, ArchVersion *out);
// Whether SASS built for `built` runs on a device of compute capability
// major.minor (same major, device minor >= built minor; exact for "a").
bool archRunsOn(const ArchVersion &built, int deviceMajor, int deviceMinor);

// Ok when the kernels of `m` may be launched with programmatic stream
// serialization on a device of compute capability `deviceMajor`.x (they wait
// for the previous grid, and the device has the feature); kInvalidArgument
// saying why not otherwise. Runner::setProgrammaticLaunch and the C API share it.
Status checkProgrammaticLaunch(const Manifest &m, int deviceMajor, int deviceMinor);

} // namespace attnrt

#endif // ATTNRT_MANIFEST_H
