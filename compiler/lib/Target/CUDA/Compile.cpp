//===- Compile.cpp - Emit, then NVRTC per arch, through the disk cache ----===//
//
// The cache key covers everything the artifacts depend on: the generated
// source (which encodes the whole spec and the kernel configs), the NVRTC
// options and arch list, attnc's version, the embedded templates' bytes and
// the NVRTC version. ptxas always runs with -v (the report is how spills are
// found); whether the caller sees the report does not change the key.
//
//===----------------------------------------------------------------------===//
#include "attn/Target/CUDA/Compile.h"
#include "attn/Dialect/Attn/IR/KernelConfig.h"
#include "attn/Target/CUDA/EmbeddedHeaders.h"
#include "attn/Target/CUDA/Manifest.h"
#include "attn/Target/CUDA/VariantDesc.h"
#include "attn/Target/NVRTC/CompileCache.h"
#include "attn/Target/NVRTC/NVRTC.h"

#include "llvm/ADT/StringSet.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace attn::target {

namespace {

const llvm::StringLiteral kArchs[] = {"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"};

int archRank(llvm::StringRef arch) {
  for (size_t i = 0; i < std::size(kArchs); ++i)
    if (kArchs[i] == arch)
      return static_cast<int>(i);
  return -1;
}

/// The embedded headers under their include names, plus each name's
/// trailing parts ("attn_kernels/x.cuh" also as "x.cuh") where no other
/// header claims them, so a template including a sibling by a relative name
/// resolves too (NVRTC matches in-memory headers by the literal name).
std::vector<std::pair<llvm::StringRef, llvm::StringRef>> nvrtcHeaders() {
  std::vector<std::pair<llvm::StringRef, llvm::StringRef>> headers;
  llvm::StringMap<int> suffixCount;
  for (const EmbeddedHeader &h : embeddedKernelHeaders())
    for (size_t at = h.name.find('/'); at != llvm::StringRef::npos;
         at = h.name.find('/', at + 1))
      ++suffixCount[h.name.drop_front(at + 1)];
  for (const EmbeddedHeader &h : embeddedKernelHeaders()) {
    headers.emplace_back(h.name, h.text);
    for (size_t at = h.name.find('/'); at != llvm::StringRef::npos;
         at = h.name.find('/', at + 1)) {
      llvm::StringRef suffix = h.name.drop_front(at + 1);
      if (suffixCount[suffix] == 1 && !findEmbeddedHeader(suffix))
        headers.emplace_back(suffix, h.text);
    }
  }
  return headers;
}

std::string join(const std::vector<std::string> &items, llvm::StringRef sep) {
  std::string out;
  for (const std::string &s : items)
    out += (out.empty() ? "" : sep.str()) + s;
  return out;
}

/// Artifacts from a cache record, in the requested arch order.
bool decodeRecord(const CompileCache::Record &record, const std::vector<std::string> &archs,
                  std::vector<ArchArtifact> &artifacts) {
  if (record.size() != archs.size() * 4)
    return false;
  artifacts.clear();
  for (size_t i = 0; i < archs.size(); ++i) {
    const auto *e = &record[i * 4];
    if (e[0].first != "arch" || e[0].second != archs[i] || e[1].first != "cubin" ||
        e[2].first != "ptx" || e[3].first != "log" || e[1].second.empty())
      return false;
    ArchArtifact a;
    a.arch = archs[i];
    a.cubin.assign(e[1].second.begin(), e[1].second.end());
    a.ptx = e[2].second;
    a.ptxasLog = e[3].second;
    artifacts.push_back(std::move(a));
  }
  return true;
}

CompileCache::Record encodeRecord(const std::vector<ArchArtifact> &artifacts) {
  CompileCache::Record record;
  for (const ArchArtifact &a : artifacts) {
    record.emplace_back("arch", a.arch);
    record.emplace_back("cubin", std::string(a.cubin.begin(), a.cubin.end()));
    record.emplace_back("ptx", a.ptx);
    record.emplace_back("log", a.ptxasLog);
  }
  return record;
}

} // namespace

llvm::ArrayRef<llvm::StringLiteral> supportedArchs() { return kArchs; }

bool isSupportedArch(llvm::StringRef arch) { return archRank(arch) >= 0; }

bool writeManifest(VariantOp variant, llvm::StringRef arch, llvm::StringRef artifact,
                   std::string &json, std::string &error) {
  VariantDesc desc;
  if (!describeVariant(variant, desc, error))
    return false;
  json = renderManifest(desc, arch, artifact);
  return true;
}

/// One emit + NVRTC pass with the configs currently on the variant.
static bool compileOnce(VariantOp variant, const CompileOptions &options,
                        CompiledVariant &result, std::string &error) {
  result = CompiledVariant();
  VariantDesc desc;
  if (!describeVariant(variant, desc, error))
    return false;
  result.variant = desc.name;
  if (!desc.classifierProgramError.empty())
    result.warnings.push_back(
        "the manifest has no \"tile_classifier\" (the runtime will count every tile as "
        "work): " + desc.classifierProgramError);
  if (!emitCUDA(variant, EmitOptions(), result.cudaSource, error))
    return false;

  std::vector<std::string> archs;
  llvm::StringSet<> seen;
  for (const std::string &arch : options.archs) {
    if (!isSupportedArch(arch)) {
      error = fmt::format("unsupported architecture '{}'", arch);
      return false;
    }
    if (seen.insert(arch).second)
      archs.push_back(arch);
  }
  if (archs.empty()) {
    error = "no architecture to compile for";
    return false;
  }
  size_t newest = 0;
  for (size_t i = 1; i < archs.size(); ++i)
    if (archRank(archs[i]) > archRank(archs[newest]))
      newest = i;

  std::string includeDir;
  if (!findCudaIncludeDir(includeDir, error))
    return false;
  std::vector<std::string> nvrtcOptions = {"--std=c++17", "-default-device",
                                           "-I" + includeDir, "--ptxas-options=-v",
                                           // Optimize and assemble the entry points on
                                           // parallel threads (0 = as many as cores).
                                           "-split-compile=0"};
  for (const std::string &d : options.defines)
    nvrtcOptions.push_back("-D" + d);

  std::string key = hashParts({"attnc-compile-1", kAttncVersion, nvrtcVersionString(),
                               embeddedHeadersDigest(), result.cudaSource,
                               join(nvrtcOptions, " "), join(archs, ","),
                               options.keepPTX ? "ptx" : "no-ptx"});
  CompileCache cache(options.cacheDir);
  CompileCache::Record record;
  if (options.useCache && cache.lookup(key, record) &&
      decodeRecord(record, archs, result.artifacts)) {
    result.fromCache = true;
  } else {
    auto headers = nvrtcHeaders();
    std::vector<NVRTCOutput> outputs(archs.size());
    std::vector<std::string> errors(archs.size());
    std::vector<char> ok(archs.size(), 0);
    auto work = [&](size_t i) {
      NVRTCRequest request;
      request.source = result.cudaSource;
      request.programName = desc.name + ".cu";
      request.arch = archs[i];
      request.headers = headers;
      request.options = nvrtcOptions;
      request.wantPTX = options.keepPTX && i == newest;
      ok[i] = compileWithNVRTC(request, outputs[i], errors[i]);
    };
    auto start = std::chrono::steady_clock::now();
    // One NVRTC program per arch; they are independent, so compile them side
    // by side (NVRTC is thread-safe across programs).
    std::vector<std::thread> threads;
    unsigned width = std::max(1u, std::thread::hardware_concurrency());
    for (size_t i = 0; i < archs.size(); ++i) {
      if (threads.size() >= width) {
        for (std::thread &t : threads)
          t.join();
        threads.clear();
      }
      threads.emplace_back(work, i);
    }
    for (std::thread &t : threads)
      t.join();
    result.compileMillis =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    for (size_t i = 0; i < archs.size(); ++i)
      if (!ok[i]) {
        error = errors[i];
        return false;
      }
    for (size_t i = 0; i < archs.size(); ++i) {
      ArchArtifact a;
      a.arch = archs[i];
      a.cubin = std::move(outputs[i].cubin);
      a.ptx = std::move(outputs[i].ptx);
      a.ptxasLog = std::move(outputs[i].log);
      result.artifacts.push_back(std::move(a));
    }
    if (options.useCache) {
      std::string cacheError;
      if (!cache.store(key, encodeRecord(result.artifacts), cacheError))
        result.warnings.push_back("compile cache: " + cacheError);
    }
  }

  for (ArchArtifact &a : result.artifacts) {
    a.resources = parsePtxasLog(a.ptxasLog);
    a.spillBytes = 0;
    for (const KernelResources &k : a.resources)
      a.spillBytes += k.spillBytes();
    a.manifestJson = renderManifest(desc, a.arch, fmt::format("{}.{}.cubin", desc.name, a.arch));
    if (!options.ptxasVerbose)
      a.ptxasLog.clear();
  }
  return true;
}

/// The entry-point kinds ("prefill", "decode") that ptxas reports as spilling
/// on any arch.
static std::vector<std::string> spillingKinds(const CompiledVariant &result) {
  std::vector<std::string> kinds;
  for (const ArchArtifact &a : result.artifacts)
    for (const KernelResources &k : a.resources)
      for (const char *kind : {"prefill", "decode"})
        if (k.isEntry && k.spillBytes() &&
            llvm::StringRef(k.function).ends_with(std::string("_") + kind) &&
            std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
          kinds.push_back(kind);
  return kinds;
}

bool compileVariant(VariantOp variant, const CompileOptions &options, CompiledVariant &result,
                    std::string &error) {
  // A spill in the inner loop costs more than a smaller tile: when ptxas
  // reports one, move that entry point to its next candidate config and
  // compile again (KernelConfig.h). The final choice stays on the op.
  int64_t dim = std::max(variant.getHeadDimQk(), variant.getHeadDimVo());
  int64_t rowBytes = dim * std::max(1u, variant.getDtype().getIntOrFloatBitWidth() / 8);
  std::vector<KernelConfig> prefill = prefillCandidates(rowBytes);
  std::vector<KernelConfig> decode = decodeCandidates(rowBytes, variant.getGroupSize());
  auto position = [](const std::vector<KernelConfig> &list, std::optional<KernelConfig> c) {
    auto it = c ? std::find_if(list.begin(), list.end(),
                               [&](const KernelConfig &l) { return l.sameTiles(*c); })
                : list.end();
    return it == list.end() ? list.size() : static_cast<size_t>(it - list.begin());
  };
  std::vector<std::string> notes;
  while (true) {
    if (!compileOnce(variant, options, result, error))
      return false;
    bool moved = false;
    for (const std::string &kind : spillingKinds(result)) {
      const std::vector<KernelConfig> &list = kind == "prefill" ? prefill : decode;
      size_t at = position(list, getKernelConfig(variant, kind));
      // A config someone set by hand (not in the list) is left alone.
      if (at + 1 >= list.size())
        continue;
      KernelConfig next = list[at + 1];
      next.rolledHooks = getKernelConfig(variant, kind)->rolledHooks;
      notes.push_back(fmt::format("{} config {}x{}/{}w/{}s spilled; using {}x{}/{}w/{}s", kind,
                                  list[at].blockM, list[at].blockN, list[at].numWarps,
                                  list[at].stages, next.blockM, next.blockN, next.numWarps,
                                  next.stages));
      setKernelConfig(variant, kind, next);
      moved = true;
    }
    if (!moved)
      break;
  }
  result.notes = std::move(notes);
  return true;
}

} // namespace attn::target
