//===- JitTest.cpp - attnc_jit without a GPU ------------------------------===//
//
// compileSource: examples/causal.attn to a cubin + manifest through NVRTC and
// a fresh cache directory (a miss, then a hit), malformed sources back as
// clang-style diagnostics. attn_jit_compile: the same through the C entry,
// loaded by the attnrt C API over the fake driver (no libcuda here).
//
//===----------------------------------------------------------------------===//
#include "attn/JIT/Jit.h"
#include "attn/JIT/attn_jit.h"

#include "CApiFakeDriver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
namespace fake = attnrt::capi::fakedriver;

namespace {

std::string readExample(const std::string &name) {
  std::ifstream in(std::string(ATTN_EXAMPLES_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A cache directory of our own, so that the first compile is a miss.
std::string freshCacheDir(const std::string &tag) {
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("attnc-jit-test-" + tag + "-" +
                  std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  return dir.string();
}

TEST(Jit, CompilesCausalAndHitsTheCache) {
  std::string source = readExample("causal.attn");
  ASSERT_FALSE(source.empty());
  attn::jit::JitOptions o;
  o.arch = "sm_90a";
  o.cacheDir = freshCacheDir("cache");
  attn::jit::JitArtifact first, second;
  std::string diags;
  ASSERT_EQ(attn::jit::compileSource(source, "causal.attn", o, first, diags),
            attn::jit::JitError::kNone)
      << diags;
  EXPECT_FALSE(first.fromCache);
  EXPECT_EQ(first.arch, "sm_90a");
  ASSERT_GE(first.image.size(), 4u);
  EXPECT_EQ(first.image[0], '\x7f');
  EXPECT_EQ(std::string(first.image.begin() + 1, first.image.begin() + 4), "ELF");
  EXPECT_NE(first.manifestJson.find("\"attnc-manifest\""), std::string::npos);
  EXPECT_NE(first.manifestJson.find("\"sm_90a\""), std::string::npos);

  ASSERT_EQ(attn::jit::compileSource(source, "causal.attn", o, second, diags),
            attn::jit::JitError::kNone)
      << diags;
  EXPECT_TRUE(second.fromCache);
  EXPECT_EQ(second.image, first.image);
  EXPECT_EQ(second.manifestJson, first.manifestJson);
  EXPECT_FALSE(fs::is_empty(o.cacheDir));
}

TEST(Jit, MalformedSourceGivesDiagnostics) {
  attn::jit::JitOptions o;
  o.cacheDir = freshCacheDir("bad");
  attn::jit::JitArtifact art;
  std::string diags;
  std::string bad = "variant broken {\n  head_dim = 128;\n  logits = score +;\n}\n";
  EXPECT_EQ(attn::jit::compileSource(bad, "broken.attn", o, art, diags),
            attn::jit::JitError::kUserError);
  EXPECT_NE(diags.find("broken.attn:3:"), std::string::npos) << diags;
  EXPECT_NE(diags.find("error:"), std::string::npos) << diags;
  EXPECT_NE(diags.find("^"), std::string::npos) << diags; // the caret line
  EXPECT_TRUE(art.image.empty());
}

TEST(Jit, UnsupportedArchAndVariantSelection) {
  attn::jit::JitOptions o;
  o.arch = "sm_75";
  attn::jit::JitArtifact art;
  std::string diags;
  EXPECT_EQ(attn::jit::compileSource(readExample("causal.attn"), "causal.attn", o, art, diags),
            attn::jit::JitError::kUnsupportedArch);
  EXPECT_NE(diags.find("sm_75"), std::string::npos) << diags;
  o.arch = "sm_90a";
  o.variant = "nope";
  EXPECT_EQ(attn::jit::compileSource(readExample("causal.attn"), "causal.attn", o, art, diags),
            attn::jit::JitError::kUserError);
  EXPECT_NE(diags.find("no variant named 'nope'"), std::string::npos) << diags;
  EXPECT_EQ(attn::jit::archForDevice(9, 0), "sm_90a");
  EXPECT_EQ(attn::jit::archForDevice(8, 6), "sm_86");
  EXPECT_EQ(attn::jit::archForDevice(7, 5), "");
}

TEST(JitCApi, CompileAndLoadThroughTheCEntry) {
  std::string source = readExample("causal.attn");
  attn_jit_options o{};
  o.arch = "sm_90a";
  std::string cache = freshCacheDir("capi");
  o.cache_dir = cache.c_str();
  attn_module m = nullptr;
  ASSERT_EQ(attn_jit_compile(source.data(), source.size(), "causal.attn", &o, &m), ATTN_OK)
      << attn_last_error();
  attn_module_info info;
  ASSERT_EQ(attn_module_get_info(m, &info), ATTN_OK);
  EXPECT_STREQ(info.arch, "sm_90a");
  EXPECT_EQ(attn_module_destroy(m), ATTN_OK);

  // Diagnostics as the message.
  std::string bad = "variant broken {\n  head_dim = 128;\n  logits = score +;\n}\n";
  EXPECT_EQ(attn_jit_compile(bad.data(), bad.size(), "broken.attn", &o, &m),
            ATTN_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(attn_last_error()).find("broken.attn:3:"), std::string::npos)
      << attn_last_error();

  // No arch and no current device (the fake driver has none).
  fake::deviceMajor = 0;
  EXPECT_EQ(attn_jit_compile(source.data(), source.size(), nullptr, nullptr, &m),
            ATTN_CUDA_ERROR);
  EXPECT_NE(std::string(attn_last_error()).find("no arch given"), std::string::npos)
      << attn_last_error();
  // With one, its arch is the default.
  fake::deviceMajor = 9;
  fake::deviceMinor = 0;
  o.arch = nullptr;
  ASSERT_EQ(attn_jit_compile(source.data(), source.size(), nullptr, &o, &m), ATTN_OK)
      << attn_last_error();
  ASSERT_EQ(attn_module_get_info(m, &info), ATTN_OK);
  EXPECT_STREQ(info.arch, "sm_90a");
  EXPECT_EQ(attn_module_destroy(m), ATTN_OK);
  fake::deviceMajor = 0;

  EXPECT_EQ(attn_jit_compile(nullptr, 3, nullptr, &o, &m), ATTN_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("source is NULL"), std::string::npos);
  EXPECT_EQ(attn_jit_compile(source.data(), source.size(), nullptr, &o, nullptr),
            ATTN_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("out is NULL"), std::string::npos);
}

} // namespace
