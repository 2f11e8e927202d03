//===- attnrt-info.cpp - Load an artifact and print what attnrt sees ------===//
//
// attnrt-info ARTIFACT MANIFEST.json [--device N]
// Checks that a cubin/fatbin loads on this GPU with its manifest (arch, ABI,
// param sizes, shared memory) and prints each kernel's launch facts. The
// first thing to run on a new GPU machine. Exit 0 ok, 1 load error.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Module.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ARTIFACT MANIFEST.json [--device N]\n", argv[0]);
    return 1;
  }
  int device = 0;
  for (int i = 3; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--device") == 0)
      device = std::atoi(argv[i + 1]);

  attnrt::Status s = attnrt::initDevice(device, nullptr);
  if (!s.ok()) {
    std::fprintf(stderr, "attnrt-info: %s\n", s.toString().c_str());
    return 1;
  }
  attnrt::Module module;
  s = attnrt::Module::loadFiles(argv[1], argv[2], &module);
  if (!s.ok()) {
    std::fprintf(stderr, "attnrt-info: %s\n", s.toString().c_str());
    attnrt::releaseDevice(device);
    return 1;
  }
  const attnrt::Manifest &m = module.manifest();
  std::printf("variant %s: %s, head dims %d/%d, heads %d:%d, layout %s, arch %s\n",
              m.variant.c_str(), m.dtype.c_str(), m.headDimQK, m.headDimVO, m.numQHeads,
              m.numKVHeads, attnrt::kvLayoutName(m.kvLayout), m.arch.c_str());
  std::printf("device sm_%d%d, %d SMs\n", module.ccMajor(), module.ccMinor(), module.numSMs());
  for (attnrt::KernelKind kind : {attnrt::KernelKind::kPrefill, attnrt::KernelKind::kDecode,
                                  attnrt::KernelKind::kMerge}) {
    const attnrt::LoadedKernel *k = module.kernel(kind);
    if (!k)
      continue;
    std::printf("  %-8s %-40s threads %4d smem %6d B  blocks/SM %d  tile %dx%d\n",
                attnrt::kernelKindName(kind), k->info.name.c_str(), k->info.threads,
                k->smemBytes, k->maxBlocksPerSM, k->info.blockM, k->info.blockN);
  }
  module.reset();
  attnrt::releaseDevice(device);
  return 0;
}
