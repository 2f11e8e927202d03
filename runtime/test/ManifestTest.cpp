//===- ManifestTest.cpp - Manifest parsing and validation -----------------===//
#include "attnrt/Manifest.h"

#include "TestManifests.h"
#include "attn_kernels/abi.h"

#include <gtest/gtest.h>

using namespace attnrt;
using namespace attnrt_test;

namespace {

Status parse(const std::string &json, Manifest *m = nullptr) {
  Manifest local;
  return parseManifest(json, m ? m : &local);
}

// Expects failure with `code` and a message containing `needle`.
void expectError(const std::string &json, StatusCode code, const std::string &needle) {
  Status s = parse(json);
  ASSERT_FALSE(s.ok()) << "accepted:\n" << json;
  EXPECT_EQ(s.code(), code) << s.toString();
  EXPECT_NE(s.message().find(needle), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << needle << "\"";
}

TEST(Manifest, ParsesTheDocumentedExample) {
  Manifest m;
  Status s = parse(sampleJson(), &m);
  ASSERT_TRUE(s.ok()) << s.toString();
  EXPECT_EQ(m.abiVersion, ATTN_ABI_VERSION);
  EXPECT_EQ(m.variant, "causal");
  EXPECT_EQ(m.dtype, "bf16");
  EXPECT_EQ(m.dtypeBytes(), 2);
  EXPECT_EQ(m.headDimQK, 128);
  EXPECT_EQ(m.numQHeads, 32);
  EXPECT_EQ(m.numKVHeads, 8);
  EXPECT_EQ(m.groupSize, 4);
  EXPECT_EQ(m.kvLayout, KvLayout::kPaged);
  EXPECT_EQ(m.pageSize, 16);
  EXPECT_EQ(m.normalize, Normalize::kSoftmax);
  EXPECT_DOUBLE_EQ(m.scale, 0.08838834764831845);
  EXPECT_EQ(m.paramsBytes, 32u);
  ASSERT_EQ(m.params.size(), 3u);
  const ParamInfo *w = m.param("window");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->type, ParamType::kI32);
  EXPECT_EQ(w->domain, ParamDomain::kScalar);
  EXPECT_TRUE(w->hasDefault);
  EXPECT_EQ(w->defaultValue, 4096);
  EXPECT_EQ(w->offset, 8u);
  const ParamInfo *sl = m.param("slopes");
  ASSERT_NE(sl, nullptr);
  EXPECT_EQ(sl->domain, ParamDomain::kHeads);
  EXPECT_FALSE(sl->hasDefault);
  EXPECT_EQ(m.param("nope"), nullptr);
  ASSERT_EQ(m.kernels.size(), 3u);
  const KernelInfo *p = m.kernel(KernelKind::kPrefill);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "attn_causal_prefill");
  EXPECT_EQ(p->blockM, 128);
  EXPECT_EQ(p->blockN, 64);
  EXPECT_EQ(p->threads, 256);
  EXPECT_EQ(p->smemSymbol, "attn_causal_prefill_smem_bytes");
  const KernelInfo *g = m.kernel(KernelKind::kMerge);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->blockM, 0);
  EXPECT_EQ(m.arch, "sm_90a");
  EXPECT_EQ(m.artifact, "causal.sm_90a.cubin");
  EXPECT_TRUE(m.programmaticLaunch);
}

TEST(Manifest, EveryRequiredFieldIsRequired) {
  for (const char *key :
       {"format", "abi_version", "variant", "dtype", "head_dim_qk", "head_dim_vo", "num_q_heads",
        "num_kv_heads", "group_size", "kv_layout", "page_size", "block_q", "block_kv",
        "normalize", "scale", "params_bytes", "params", "kernels", "arch"}) {
    SCOPED_TRACE(key);
    expectError(sampleWith(key, ""), StatusCode::kInvalidManifest,
                std::string("missing required field \"") + key + "\"");
  }
  // Informational fields may be absent.
  EXPECT_TRUE(parse(sampleWith("attnc_version", "")).ok());
  EXPECT_TRUE(parse(sampleWith("artifact", "")).ok());
  // Manifests from before programmatic launch: the runtime must not use it.
  Manifest m;
  ASSERT_TRUE(parse(sampleWith("programmatic_launch", ""), &m).ok());
  EXPECT_FALSE(m.programmaticLaunch);
}

TEST(Manifest, AbiVersion) {
  expectError(sampleWith("abi_version", "999"), StatusCode::kAbiMismatch, "abi_version is 999");
  expectError(sampleWith("abi_version", "1"), StatusCode::kAbiMismatch,
              "ABI " + std::to_string(ATTN_ABI_VERSION)); // ABI 1 had no per-CTA work ranges
  expectError(sampleWith("abi_version", R"("1")"), StatusCode::kInvalidManifest,
              "must be an integer");
  expectError(sampleWith("abi_version", "1.5"), StatusCode::kInvalidManifest,
              "must be an integer");
}

TEST(Manifest, NotAManifest) {
  expectError("[1, 2]", StatusCode::kInvalidManifest, "JSON object");
  expectError("{", StatusCode::kParseError, "line 1");
  expectError(sampleWith("format", R"("other")"), StatusCode::kInvalidManifest, "attnc-manifest");
}

TEST(Manifest, FieldTypesAndValues) {
  expectError(sampleWith("dtype", R"("f32")"), StatusCode::kInvalidManifest, "bf16, f16");
  expectError(sampleWith("head_dim_qk", "0"), StatusCode::kInvalidManifest, "head_dim_qk");
  expectError(sampleWith("head_dim_qk", R"("128")"), StatusCode::kInvalidManifest, "got string");
  expectError(sampleWith("num_q_heads", "-1"), StatusCode::kInvalidManifest, "num_q_heads");
  expectError(sampleWith("group_size", "3"), StatusCode::kInvalidManifest, "32 / 8");
  expectError(sampleWith("num_kv_heads", "5"), StatusCode::kInvalidManifest, "group_size");
  expectError(sampleWith("kv_layout", R"("dense")"), StatusCode::kInvalidManifest, "block_sparse");
  expectError(sampleWith("page_size", "0"), StatusCode::kInvalidManifest, "page_size");
  expectError(sampleWith("normalize", R"("sum")"), StatusCode::kInvalidManifest, "normalize");
  expectError(sampleWith("scale", R"("x")"), StatusCode::kInvalidManifest, "scale");
  expectError(sampleWith("params_bytes", "36"), StatusCode::kInvalidManifest, "multiple of 8");
  expectError(sampleWith("params_bytes", "4"), StatusCode::kInvalidManifest, "params_bytes");
  expectError(sampleWith("params", "{}"), StatusCode::kInvalidManifest, "must be an array");
  expectError(sampleWith("kernels", "3"), StatusCode::kInvalidManifest, "must be an array");
  expectError(sampleWith("arch", R"("hopper")"), StatusCode::kInvalidManifest, "sm_<NN>");
  expectError(sampleWith("variant", R"("")"), StatusCode::kInvalidManifest, "variant");
  expectError(sampleWith("programmatic_launch", "1"), StatusCode::kInvalidManifest,
              "programmatic_launch");
}

TEST(Manifest, BlockSparseNeedsBlocks) {
  auto f = sampleFields();
  for (auto &kv : f)
    if (kv.first == "kv_layout")
      kv.second = R"("block_sparse")";
  expectError(toJson(f), StatusCode::kInvalidManifest, "block_q");
  for (auto &kv : f)
    if (kv.first == "block_q" || kv.first == "block_kv")
      kv.second = "64";
  EXPECT_TRUE(parse(toJson(f)).ok());
}

std::string withParams(const std::string &params) { return sampleWith("params", params); }

TEST(Manifest, ParamSlots) {
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":32}])"),
              StatusCode::kInvalidManifest, "exceeds params_bytes 32");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":1000000}])"),
              StatusCode::kInvalidManifest, "exceeds params_bytes");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":0}])"),
              StatusCode::kInvalidManifest, "slot 0");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":12}])"),
              StatusCode::kInvalidManifest, "multiple of 8");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":-8}])"),
              StatusCode::kInvalidManifest, "offset");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":8},
                             {"name":"b","type":"f32","domain":"scalar","offset":8}])"),
              StatusCode::kInvalidManifest, "used by another param");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":8},
                             {"name":"a","type":"f32","domain":"scalar","offset":16}])"),
              StatusCode::kInvalidManifest, "declared twice");
  expectError(withParams(R"([{"name":"token_offsets","type":"i32","domain":"tokens","offset":8}])"),
              StatusCode::kInvalidManifest, "reserved");
  EXPECT_TRUE(parse(withParams(R"([{"name":"a","type":"f32","domain":"scalar","offset":24}])")).ok());
  EXPECT_TRUE(parse(withParams("[]")).ok());
}

TEST(Manifest, ParamFields) {
  expectError(withParams(R"([{"type":"f32","domain":"scalar","offset":8}])"),
              StatusCode::kInvalidManifest, "params[0].name");
  expectError(withParams(R"([{"name":"a","domain":"scalar","offset":8}])"),
              StatusCode::kInvalidManifest, "params[0].type");
  expectError(withParams(R"([{"name":"a","type":"f32","offset":8}])"),
              StatusCode::kInvalidManifest, "params[0].domain");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar"}])"),
              StatusCode::kInvalidManifest, "params[0].offset");
  expectError(withParams(R"([{"name":"a","type":"f64","domain":"scalar","offset":8}])"),
              StatusCode::kInvalidManifest, "f32, i32");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"rows","offset":8}])"),
              StatusCode::kInvalidManifest, "tokens");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"heads","default":1,"offset":8}])"),
              StatusCode::kInvalidManifest, "only allowed for scalar");
  expectError(withParams(R"([{"name":"a","type":"i32","domain":"scalar","default":1.5,"offset":8}])"),
              StatusCode::kInvalidManifest, "i32 range");
  expectError(withParams(R"([{"name":"a","type":"i32","domain":"scalar","default":4294967296,"offset":8}])"),
              StatusCode::kInvalidManifest, "i32 range");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","default":1e300,"offset":8}])"),
              StatusCode::kInvalidManifest, "finite f32");
  expectError(withParams(R"([{"name":"a","type":"f32","domain":"scalar","default":"1","offset":8}])"),
              StatusCode::kInvalidManifest, "must be a number");
  expectError(withParams("[3]"), StatusCode::kInvalidManifest, "params[0]");
}

std::string withKernels(const std::string &k) { return sampleWith("kernels", k); }

TEST(Manifest, Kernels) {
  expectError(withKernels(R"([{"kind":"backward","name":"x","threads":128}])"),
              StatusCode::kInvalidManifest, "prefill, decode, merge");
  expectError(withKernels(R"([{"kind":"merge","name":"x","threads":128}])"),
              StatusCode::kInvalidManifest, "neither a prefill nor a decode");
  expectError(withKernels("[]"), StatusCode::kInvalidManifest, "neither a prefill nor a decode");
  expectError(withKernels(R"([{"kind":"prefill","name":"a","block_n":64,"threads":128}])"),
              StatusCode::kInvalidManifest, "kernels[0].block_m");
  expectError(withKernels(R"([{"kind":"prefill","name":"a","block_m":64,"threads":128}])"),
              StatusCode::kInvalidManifest, "kernels[0].block_n");
  expectError(withKernels(R"([{"kind":"prefill","name":"a","block_m":64,"block_n":64}])"),
              StatusCode::kInvalidManifest, "kernels[0].threads");
  expectError(withKernels(R"([{"kind":"prefill","name":"a","block_m":64,"block_n":64,"threads":2048}])"),
              StatusCode::kInvalidManifest, "threads");
  expectError(withKernels(R"([{"kind":"prefill","name":"","block_m":64,"block_n":64,"threads":128}])"),
              StatusCode::kInvalidManifest, "name");
  expectError(withKernels(R"([{"kind":"prefill","name":"a","block_m":64,"block_n":64,"threads":128},
                              {"kind":"prefill","name":"b","block_m":64,"block_n":64,"threads":128}])"),
              StatusCode::kInvalidManifest, "two kernels of kind \"prefill\"");
  expectError(withKernels(R"([{"kind":"prefill","name":"a","block_m":64,"block_n":64,"threads":128},
                              {"kind":"merge","name":"a","threads":128}])"),
              StatusCode::kInvalidManifest, "two kernels named");
  Manifest m;
  ASSERT_TRUE(parse(withKernels(R"([{"kind":"decode","name":"d","block_m":16,"block_n":64,"threads":128}])"), &m).ok());
  EXPECT_EQ(m.kernel(KernelKind::kPrefill), nullptr);
  EXPECT_EQ(m.kernel(KernelKind::kMerge), nullptr);
  EXPECT_TRUE(m.kernels[0].smemSymbol.empty());
}

TEST(Manifest, NullOutput) { EXPECT_FALSE(parseManifest(sampleJson(), nullptr).ok()); }

TEST(Arch, Parse) {
  ArchVersion a;
  ASSERT_TRUE(parseArch("sm_90a", &a));
  EXPECT_EQ(a.major, 9);
  EXPECT_EQ(a.minor, 0);
  EXPECT_TRUE(a.archSpecific);
  ASSERT_TRUE(parseArch("sm_86", &a));
  EXPECT_EQ(a.major, 8);
  EXPECT_EQ(a.minor, 6);
  EXPECT_FALSE(a.archSpecific);
  ASSERT_TRUE(parseArch("sm_120", &a));
  EXPECT_EQ(a.major, 12);
  EXPECT_EQ(a.minor, 0);
  for (const char *bad : {"sm_", "sm_9", "sm_9x", "compute_90", "90", "", "sm_90aa"})
    EXPECT_FALSE(parseArch(bad, &a)) << bad;
}

TEST(Arch, Compatibility) {
  ArchVersion sm80{8, 0, false}, sm86{8, 6, false}, sm90a{9, 0, true}, sm90{9, 0, false};
  EXPECT_TRUE(archRunsOn(sm80, 8, 0));
  EXPECT_TRUE(archRunsOn(sm80, 8, 6));  // same major, newer minor
  EXPECT_FALSE(archRunsOn(sm86, 8, 0)); // older minor
  EXPECT_FALSE(archRunsOn(sm80, 9, 0)); // the H100 case: no SASS for 9.0
  EXPECT_TRUE(archRunsOn(sm90a, 9, 0));
  EXPECT_FALSE(archRunsOn(sm90a, 10, 0));
  EXPECT_TRUE(archRunsOn(sm90, 9, 0));
  EXPECT_FALSE(archRunsOn(sm90, 8, 9));
}

} // namespace
