//===- CompileCacheTest.cpp - The on-disk compile cache -------------------===//
#include "attn/Target/NVRTC/CompileCache.h"
#include "attn/Target/NVRTC/PtxasReport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

using attn::target::CompileCache;

namespace {

/// A fresh cache directory, removed afterwards.
struct TempDir {
  llvm::SmallString<128> path;
  TempDir() { EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("attn-cache-test", path)); }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
};

CompileCache::Record sampleRecord() {
  std::string binary("\x7f" "ELF\0\x01\x02", 7);
  return {{"arch", "sm_90a"}, {"cubin", binary}, {"ptx", ""}, {"log", "ptxas info"}};
}

TEST(CompileCache, MissThenHit) {
  TempDir dir;
  CompileCache cache(dir.path.str().str());
  std::string key = attn::target::hashParts({"source", "options"});
  CompileCache::Record out;
  EXPECT_FALSE(cache.lookup(key, out));
  std::string error;
  ASSERT_TRUE(cache.store(key, sampleRecord(), error)) << error;
  ASSERT_TRUE(cache.lookup(key, out));
  EXPECT_EQ(out, sampleRecord());
  // Another key misses.
  EXPECT_FALSE(cache.lookup(attn::target::hashParts({"source", "other options"}), out));
}

TEST(CompileCache, KeysSeparateParts) {
  EXPECT_NE(attn::target::hashParts({"ab", "c"}), attn::target::hashParts({"a", "bc"}));
  EXPECT_EQ(attn::target::hashParts({"a", "bc"}), attn::target::hashParts({"a", "bc"}));
  EXPECT_EQ(attn::target::hashParts({"x"}).size(), 64u);
}

TEST(CompileCache, DamagedEntriesAreMisses) {
  TempDir dir;
  CompileCache cache(dir.path.str().str());
  std::string key = attn::target::hashParts({"k"});
  std::string error;
  ASSERT_TRUE(cache.store(key, sampleRecord(), error)) << error;
  std::string path = cache.pathFor(key);
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto rewrite = [&](const std::string &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  CompileCache::Record out;
  // Truncated.
  rewrite(good.substr(0, good.size() - 3));
  EXPECT_FALSE(cache.lookup(key, out));
  EXPECT_TRUE(out.empty());
  // One payload byte flipped: the checksum catches it.
  std::string flipped = good;
  flipped[flipped.size() - 2] ^= 0x20;
  rewrite(flipped);
  EXPECT_FALSE(cache.lookup(key, out));
  // Foreign file, empty file.
  rewrite("not a cache entry");
  EXPECT_FALSE(cache.lookup(key, out));
  rewrite("");
  EXPECT_FALSE(cache.lookup(key, out));
  // A store repairs it.
  ASSERT_TRUE(cache.store(key, sampleRecord(), error)) << error;
  EXPECT_TRUE(cache.lookup(key, out));
}

TEST(CompileCache, RejectsKeysThatAreNotHex) {
  TempDir dir;
  CompileCache cache(dir.path.str().str());
  std::string error;
  EXPECT_FALSE(cache.store("../escape", sampleRecord(), error));
  CompileCache::Record out;
  EXPECT_FALSE(cache.lookup("../escape", out));
}

TEST(CompileCache, CreatesItsDirectory) {
  TempDir dir;
  CompileCache cache(dir.path.str().str() + "/a/b");
  std::string key = attn::target::hashParts({"k"}), error;
  ASSERT_TRUE(cache.store(key, sampleRecord(), error)) << error;
  CompileCache::Record out;
  EXPECT_TRUE(cache.lookup(key, out));
}

TEST(PtxasReport, ParsesEntriesAndSpills) {
  const char *log =
      "ptxas info    : 364 bytes gmem\n"
      "ptxas info    : Compiling entry function 'attn_x_decode' for 'sm_80'\n"
      "ptxas info    : Function properties for attn_x_decode\n"
      "ptxas         .     8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads\n"
      "ptxas info    : Used 168 registers, used 1 barriers, 8 bytes cumulative stack size, "
      "1024 bytes smem, 592 bytes cmem[0]\n"
      "ptxas info    : Compile time = 167.592 ms\n"
      "ptxas info    : Compiling entry function 'attn_x_merge' for 'sm_80'\n"
      "ptxas info    : Function properties for attn_x_merge\n"
      "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
      "ptxas info    : Used 28 registers, used 0 barriers\n";
  auto report = attn::target::parsePtxasLog(log);
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].function, "attn_x_decode");
  EXPECT_TRUE(report[0].isEntry);
  EXPECT_EQ(report[0].registers, 168u);
  EXPECT_EQ(report[0].sharedBytes, 1024u);
  EXPECT_EQ(report[0].stackBytes, 8u);
  EXPECT_EQ(report[0].spillBytes(), 16u);
  EXPECT_EQ(report[1].function, "attn_x_merge");
  EXPECT_EQ(report[1].registers, 28u);
  EXPECT_EQ(report[1].spillBytes(), 0u);
  EXPECT_TRUE(attn::target::parsePtxasLog("").empty());
}

} // namespace
