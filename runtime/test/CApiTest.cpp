//===- CApiTest.cpp - attn.h: every misuse returns its documented code ----===//
//
// Through the C entry points, with the fake driver seam (CApiFakeDriver.cpp)
// in place of libcuda: handle misuse (NULL, destroyed, double destroy, wrong
// kind, forged), NULL out params, manifests (malformed, wrong ABI), batch and
// options validation through attn_runner_plan, tensors and params through
// attn_runner_run, capacities. Each case asserts the code and a message
// substring, then that a correct call sequence still works.
//
//===----------------------------------------------------------------------===//
#include "attn.h"
#include "attn.hpp"

#include "CApiFakeDriver.h"
#include "attn_kernels/abi.h"
#include "TestManifests.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using attnrt_test::sampleJson;
using attnrt_test::sampleWith;
namespace fake = attnrt::capi::fakedriver;

namespace {

const char kImage[] = "\x7f" "ELF fake cubin";

#define EXPECT_ATTN(call, code, needle)                                                \
  do {                                                                                 \
    attn_status s_ = (call);                                                           \
    EXPECT_EQ(s_, code) << #call << ": " << attn_status_name(s_) << ": "              \
                        << attn_last_error();                                         \
    EXPECT_NE(std::string(attn_last_error()).find(needle), std::string::npos)          \
        << #call << ": message was: " << attn_last_error();                            \
  } while (0)

#define ASSERT_OK(call)                                                                \
  do {                                                                                 \
    attn_status s_ = (call);                                                           \
    ASSERT_EQ(s_, ATTN_OK) << #call << ": " << attn_last_error();                      \
    ASSERT_STREQ(attn_last_error(), "");                                               \
  } while (0)

attn_module loadSample(const std::string &json = sampleJson()) {
  attn_module m = nullptr;
  attn_status s = attn_module_load(kImage, sizeof kImage, json.data(), json.size(), &m);
  EXPECT_EQ(s, ATTN_OK) << attn_last_error();
  return m;
}

// A valid batch for the sample manifest (paged, page_size 16).
struct SampleBatch {
  std::vector<int32_t> qIndptr{0, 3, 4}, kvLens{20, 5}, kvIndptr{0, 2, 3}, pages{4, 1, 0};
  attn_batch get() const {
    attn_batch b{};
    b.batch_size = 2;
    b.q_indptr = qIndptr.data();
    b.q_indptr_len = qIndptr.size();
    b.kv_lens = kvLens.data();
    b.kv_lens_len = kvLens.size();
    b.kv_indptr = kvIndptr.data();
    b.kv_indptr_len = kvIndptr.size();
    b.page_indices = pages.data();
    b.page_indices_len = pages.size();
    b.num_pages = 8;
    return b;
  }
};

attn_tensors sampleTensors(attn_module m) {
  attn_tensors t{};
  EXPECT_EQ(attn_dense_tensors(m, 0x10000, 0x20000, 0x30000, 0x40000, 0x50000, &t), ATTN_OK)
      << attn_last_error();
  return t;
}

// The whole happy path; called after every error to show nothing was left
// broken (and that the seam holds no leaked objects).
void expectUsable() {
  int modulesBefore = fake::liveModules, runnersBefore = fake::liveRunners;
  attn_module m = loadSample();
  ASSERT_NE(m, nullptr);
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 32));
  SampleBatch sb;
  attn_batch b = sb.get();
  attn_tensors t = sampleTensors(m);
  int runs = fake::runs;
  ASSERT_OK(attn_runner_forward(r, &b, &t, p, nullptr, nullptr));
  EXPECT_EQ(fake::runs, runs + 1);
  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  EXPECT_EQ(fake::liveModules, modulesBefore);
  EXPECT_EQ(fake::liveRunners, runnersBefore);
}

TEST(CApi, Versions) {
  EXPECT_EQ(attn_api_version(), ATTN_API_VERSION);
  EXPECT_EQ(attn_abi_version(), ATTN_ABI_VERSION);
  EXPECT_STREQ(attn_status_name(ATTN_OK), "ok");
  EXPECT_STREQ(attn_status_name(ATTN_INVALID_HANDLE), "invalid handle");
  EXPECT_STREQ(attn_status_name(static_cast<attn_status>(99)), "unknown");
  expectUsable();
}

TEST(CApi, NullHandles) {
  attn_module_info info;
  attn_param_info pinfo;
  attn_runner r = nullptr;
  attn_tensors t{};
  attn_batch b{};
  attn_merge_states_args ma{};
  EXPECT_ATTN(attn_module_destroy(nullptr), ATTN_INVALID_HANDLE,
              "attn_module_destroy: module handle is NULL");
  EXPECT_ATTN(attn_module_get_info(nullptr, &info), ATTN_INVALID_HANDLE, "module handle is NULL");
  EXPECT_ATTN(attn_module_param(nullptr, 0, &pinfo), ATTN_INVALID_HANDLE, "module handle is NULL");
  EXPECT_ATTN(attn_dense_tensors(nullptr, 0, 0, 0, 0, 0, &t), ATTN_INVALID_HANDLE,
              "module handle is NULL");
  EXPECT_ATTN(attn_runner_create(nullptr, nullptr, &r), ATTN_INVALID_HANDLE,
              "attn_runner_create: module handle is NULL");
  EXPECT_ATTN(attn_runner_destroy(nullptr), ATTN_INVALID_HANDLE, "runner handle is NULL");
  EXPECT_ATTN(attn_runner_plan(nullptr, &b, nullptr, nullptr), ATTN_INVALID_HANDLE,
              "attn_runner_plan: runner handle is NULL");
  EXPECT_ATTN(attn_runner_run(nullptr, &t, nullptr, nullptr), ATTN_INVALID_HANDLE,
              "attn_runner_run: runner handle is NULL");
  EXPECT_ATTN(attn_runner_forward(nullptr, &b, &t, nullptr, nullptr, nullptr),
              ATTN_INVALID_HANDLE, "runner handle is NULL");
  EXPECT_ATTN(attn_params_destroy(nullptr), ATTN_INVALID_HANDLE, "params handle is NULL");
  EXPECT_ATTN(attn_params_set_f32(nullptr, "x", 1.f), ATTN_INVALID_HANDLE, "params handle is NULL");
  EXPECT_ATTN(attn_params_set_i32(nullptr, "x", 1), ATTN_INVALID_HANDLE, "params handle is NULL");
  EXPECT_ATTN(attn_params_set_array(nullptr, "x", ATTN_PARAM_F32, 16, 1), ATTN_INVALID_HANDLE,
              "params handle is NULL");
  EXPECT_ATTN(attn_params_clear(nullptr), ATTN_INVALID_HANDLE, "params handle is NULL");
  EXPECT_ATTN(attn_merge_states(nullptr, &ma, nullptr), ATTN_INVALID_HANDLE,
              "attn_merge_states: module handle is NULL");

  // A valid runner with a NULL params handle.
  attn_module m = loadSample();
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  t = sampleTensors(m);
  EXPECT_ATTN(attn_runner_run(r, &t, nullptr, nullptr), ATTN_INVALID_HANDLE,
              "params handle is NULL");
  SampleBatch sb;
  b = sb.get();
  EXPECT_ATTN(attn_runner_forward(r, &b, &t, nullptr, nullptr, nullptr), ATTN_INVALID_HANDLE,
              "params handle is NULL");
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, DestroyedHandlesAndDoubleDestroy) {
  attn_module m = loadSample();
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));

  ASSERT_OK(attn_params_destroy(p));
  EXPECT_ATTN(attn_params_destroy(p), ATTN_INVALID_HANDLE, "was already destroyed");
  EXPECT_ATTN(attn_params_set_f32(p, "cap", 1.f), ATTN_INVALID_HANDLE,
              "attn_params_set_f32: params handle");
  EXPECT_ATTN(attn_params_clear(p), ATTN_INVALID_HANDLE, "was already destroyed");

  ASSERT_OK(attn_runner_destroy(r));
  EXPECT_ATTN(attn_runner_destroy(r), ATTN_INVALID_HANDLE,
              "attn_runner_destroy: runner handle");
  EXPECT_ATTN(attn_runner_destroy(r), ATTN_INVALID_HANDLE, "was already destroyed");
  SampleBatch sb;
  attn_batch b = sb.get();
  EXPECT_ATTN(attn_runner_plan(r, &b, nullptr, nullptr), ATTN_INVALID_HANDLE,
              "was already destroyed");
  EXPECT_EQ(fake::liveRunners, 0);

  ASSERT_OK(attn_module_destroy(m));
  EXPECT_ATTN(attn_module_destroy(m), ATTN_INVALID_HANDLE, "was already destroyed");
  attn_module_info info;
  EXPECT_ATTN(attn_module_get_info(m, &info), ATTN_INVALID_HANDLE, "was already destroyed");
  attn_runner r2 = reinterpret_cast<attn_runner>(1);
  EXPECT_ATTN(attn_runner_create(m, nullptr, &r2), ATTN_INVALID_HANDLE, "was already destroyed");
  EXPECT_EQ(r2, reinterpret_cast<attn_runner>(1)) << "out written although the handle is bad";
  EXPECT_EQ(fake::liveModules, 0);
  expectUsable();
}

TEST(CApi, WrongKindAndForgedHandles) {
  attn_module m = loadSample();
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  attn_runner r = nullptr;
  // A params handle where a module is expected, and the other way round.
  EXPECT_ATTN(attn_runner_create(reinterpret_cast<attn_module>(p), nullptr, &r),
              ATTN_INVALID_HANDLE, "is a params handle, not a module handle");
  EXPECT_ATTN(attn_params_set_f32(reinterpret_cast<attn_params>(m), "cap", 1.f),
              ATTN_INVALID_HANDLE, "is a module handle, not a params handle");
  // A pointer the library never returned (the address of a local).
  int local = 0;
  EXPECT_ATTN(attn_module_destroy(reinterpret_cast<attn_module>(&local)), ATTN_INVALID_HANDLE,
              "is not a handle this library returned");
  EXPECT_ATTN(attn_runner_destroy(reinterpret_cast<attn_runner>(~uintptr_t(0))),
              ATTN_INVALID_HANDLE, "is not a handle this library returned");
  // A destroyed params handle passed as a runner.
  attn_params dead = nullptr;
  ASSERT_OK(attn_params_create(&dead));
  ASSERT_OK(attn_params_destroy(dead));
  EXPECT_ATTN(attn_runner_destroy(reinterpret_cast<attn_runner>(dead)), ATTN_INVALID_HANDLE,
              "(and was a params handle)");
  // The misuses above destroyed nothing.
  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, NullOutParams) {
  std::string json = sampleJson();
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, json.data(), json.size(), nullptr),
              ATTN_INVALID_ARGUMENT, "attn_module_load: out is NULL");
  EXPECT_ATTN(attn_module_load_files("a", "b", nullptr), ATTN_INVALID_ARGUMENT, "out is NULL");
  EXPECT_ATTN(attn_params_create(nullptr), ATTN_INVALID_ARGUMENT,
              "attn_params_create: out is NULL");
  attn_module m = loadSample();
  EXPECT_ATTN(attn_runner_create(m, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
              "attn_runner_create: out is NULL");
  EXPECT_ATTN(attn_module_get_info(m, nullptr), ATTN_INVALID_ARGUMENT, "out is NULL");
  EXPECT_ATTN(attn_module_param(m, 0, nullptr), ATTN_INVALID_ARGUMENT, "out is NULL");
  EXPECT_ATTN(attn_dense_tensors(m, 0, 0, 0, 0, 0, nullptr), ATTN_INVALID_ARGUMENT,
              "out is NULL");
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  EXPECT_ATTN(attn_runner_plan(r, nullptr, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
              "attn_runner_plan: batch is NULL");
  EXPECT_ATTN(attn_runner_run(r, nullptr, p, nullptr), ATTN_INVALID_ARGUMENT,
              "attn_runner_run: tensors is NULL");
  EXPECT_ATTN(attn_merge_states(m, nullptr, nullptr), ATTN_INVALID_ARGUMENT, "args is NULL");
  // Null inputs to the loaders.
  attn_module m2 = nullptr;
  EXPECT_ATTN(attn_module_load(nullptr, 10, json.data(), json.size(), &m2),
              ATTN_INVALID_ARGUMENT, "image is NULL");
  EXPECT_ATTN(attn_module_load(kImage, 0, json.data(), json.size(), &m2),
              ATTN_INVALID_ARGUMENT, "image_size is 0");
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, nullptr, 5, &m2), ATTN_INVALID_ARGUMENT,
              "manifest_json is NULL");
  EXPECT_ATTN(attn_module_load_files(nullptr, "b", &m2), ATTN_INVALID_ARGUMENT,
              "image_path is NULL");
  EXPECT_EQ(m2, nullptr);
  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, MalformedManifest) {
  attn_module m = reinterpret_cast<attn_module>(1);
  std::string bad = "{\"format\": \"attnc-manifest\", ";
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, bad.data(), bad.size(), &m),
              ATTN_PARSE_ERROR, "attn_module_load: ");
  EXPECT_NE(std::string(attn_last_error()).size(), std::string("attn_module_load: ").size());
  EXPECT_EQ(m, nullptr) << "out must be NULL after a failed load";
  // Well-formed JSON that is not a manifest.
  std::string notManifest = sampleWith("kv_layout", R"("diagonal")");
  EXPECT_ATTN(
      attn_module_load(kImage, sizeof kImage, notManifest.data(), notManifest.size(), &m),
      ATTN_INVALID_MANIFEST, "diagonal");
  std::string missing = sampleWith("head_dim_qk", "");
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, missing.data(), missing.size(), &m),
              ATTN_INVALID_MANIFEST, "head_dim_qk");
  // manifest_len is honoured: the prefix of a valid manifest is malformed.
  std::string good = sampleJson();
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, good.data(), good.size() / 2, &m),
              ATTN_PARSE_ERROR, "attn_module_load");
  EXPECT_EQ(fake::liveModules, 0);
  expectUsable();
}

TEST(CApi, WrongAbiVersion) {
  attn_module m = nullptr;
  std::string json = sampleWith("abi_version", "999");
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, json.data(), json.size(), &m),
              ATTN_ABI_MISMATCH, "999");
  EXPECT_EQ(m, nullptr);
  expectUsable();
}

TEST(CApi, LoadFiles) {
  attn_module m = nullptr;
  EXPECT_ATTN(attn_module_load_files("/nonexistent/x.cubin", "/nonexistent/x.json", &m),
              ATTN_NOT_FOUND, "cannot open '/nonexistent/x.cubin'");
  std::string dir = ::testing::TempDir();
  std::string image = dir + "/capi_test.cubin", manifest = dir + "/capi_test.json",
              empty = dir + "/capi_test_empty.cubin";
  {
    FILE *f = std::fopen(image.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(kImage, 1, sizeof kImage, f);
    std::fclose(f);
    f = std::fopen(manifest.c_str(), "wb");
    std::string json = sampleJson();
    std::fwrite(json.data(), 1, json.size(), f);
    std::fclose(f);
    f = std::fopen(empty.c_str(), "wb");
    std::fclose(f);
  }
  EXPECT_ATTN(attn_module_load_files(image.c_str(), "/nonexistent/x.json", &m), ATTN_NOT_FOUND,
              "x.json");
  EXPECT_ATTN(attn_module_load_files(empty.c_str(), manifest.c_str(), &m),
              ATTN_INVALID_ARGUMENT, "is empty");
  ASSERT_OK(attn_module_load_files(image.c_str(), manifest.c_str(), &m));
  attn_module_info info;
  ASSERT_OK(attn_module_get_info(m, &info));
  EXPECT_STREQ(info.variant, "causal");
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, DriverFailuresPropagate) {
  attn_module m = nullptr;
  std::string json = sampleJson();
  fake::nextFailure =
      attnrt::Status(attnrt::StatusCode::kArchMismatch, "module compiled for sm_90a cannot load");
  EXPECT_ATTN(attn_module_load(kImage, sizeof kImage, json.data(), json.size(), &m),
              ATTN_ARCH_MISMATCH, "cannot load");
  EXPECT_EQ(m, nullptr);
  EXPECT_ATTN(attn_init_device(0), ATTN_CUDA_ERROR, "attn_init_device: no CUDA driver");
  m = loadSample();
  attn_runner r = nullptr;
  fake::nextFailure = attnrt::Status(attnrt::StatusCode::kCudaError, "CUDA_ERROR_OUT_OF_MEMORY");
  EXPECT_ATTN(attn_runner_create(m, nullptr, &r), ATTN_CUDA_ERROR, "OUT_OF_MEMORY");
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(fake::liveRunners, 0);
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, ModuleQueries) {
  attn_module m = loadSample();
  attn_module_info info;
  ASSERT_OK(attn_module_get_info(m, &info));
  EXPECT_STREQ(info.variant, "causal");
  EXPECT_STREQ(info.dtype, "bf16");
  EXPECT_STREQ(info.arch, "sm_90a");
  EXPECT_EQ(info.head_dim_qk, 128);
  EXPECT_EQ(info.head_dim_vo, 128);
  EXPECT_EQ(info.num_q_heads, 32);
  EXPECT_EQ(info.num_kv_heads, 8);
  EXPECT_EQ(info.group_size, 4);
  EXPECT_EQ(info.kv_layout, ATTN_KV_LAYOUT_PAGED);
  EXPECT_EQ(info.page_size, 16);
  EXPECT_EQ(info.has_lse, 1);
  EXPECT_EQ(info.dtype_bytes, 2);
  ASSERT_EQ(info.num_params, 3);
  attn_param_info p;
  ASSERT_OK(attn_module_param(m, 1, &p));
  EXPECT_STREQ(p.name, "cap");
  EXPECT_EQ(p.type, ATTN_PARAM_F32);
  EXPECT_EQ(p.domain, ATTN_DOMAIN_SCALAR);
  EXPECT_EQ(p.has_default, 1);
  EXPECT_DOUBLE_EQ(p.default_value, 50.0);
  ASSERT_OK(attn_module_param(m, 2, &p));
  EXPECT_EQ(p.domain, ATTN_DOMAIN_HEADS);
  EXPECT_ATTN(attn_module_param(m, 3, &p), ATTN_INVALID_ARGUMENT, "param index 3 is out of range");
  EXPECT_ATTN(attn_module_param(m, -1, &p), ATTN_INVALID_ARGUMENT, "out of range");
  attn_tensors t = sampleTensors(m);
  EXPECT_EQ(t.q_stride_row, 32 * 128);
  EXPECT_EQ(t.kv_stride_page, 16 * 8 * 128);
  // A runner keeps its module alive after the module handle is destroyed.
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  ASSERT_OK(attn_module_destroy(m));
  EXPECT_EQ(fake::liveModules, 1);
  SampleBatch sb;
  attn_batch b = sb.get();
  ASSERT_OK(attn_runner_plan(r, &b, nullptr, nullptr));
  ASSERT_OK(attn_runner_destroy(r));
  EXPECT_EQ(fake::liveModules, 0);
  expectUsable();
}

TEST(CApi, BatchValidationThroughPlan) {
  attn_module m = loadSample();
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 32));
  attn_tensors t = sampleTensors(m);

  struct Case {
    const char *what;
    void (*mutate)(SampleBatch &, attn_batch &);
    const char *needle;
    bool reachesValidation = true; // false: rejected by the C layer itself
  };
  const Case cases[] = {
      {"q_indptr NULL with a length",
       [](SampleBatch &, attn_batch &b) { b.q_indptr = nullptr; },
       "q_indptr is NULL but q_indptr_len is 3", false},
      {"short q_indptr", [](SampleBatch &, attn_batch &b) { b.q_indptr_len = 2; },
       "q_indptr has 2 entries, needs 3"},
      {"decreasing q_indptr",
       [](SampleBatch &s, attn_batch &) { s.qIndptr = {0, 3, 2}; }, "q_indptr"},
      {"kv shorter than q", [](SampleBatch &s, attn_batch &) { s.kvLens = {2, 5}; },
       "kv_len"},
      {"page out of range", [](SampleBatch &s, attn_batch &) { s.pages = {4, 8, 0}; },
       "page"},
      {"negative page", [](SampleBatch &s, attn_batch &) { s.pages = {4, -1, 0}; }, "page"},
      {"wrong page count", [](SampleBatch &s, attn_batch &) { s.kvIndptr = {0, 1, 2}; },
       "page"},
      {"negative batch", [](SampleBatch &, attn_batch &b) { b.batch_size = -1; },
       "batch_size is -1"},
      {"page_indices NULL with a length",
       [](SampleBatch &, attn_batch &b) { b.page_indices = nullptr; },
       "page_indices is NULL but page_indices_len is 3", false},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    SampleBatch sb;
    attn_batch b = sb.get();
    c.mutate(sb, b);
    // The vectors may have been replaced: refresh the pointers the case did
    // not null out on purpose.
    attn_batch fresh = sb.get();
    if (b.q_indptr)
      b.q_indptr = fresh.q_indptr;
    b.kv_lens = fresh.kv_lens;
    b.kv_indptr = fresh.kv_indptr;
    if (b.page_indices)
      b.page_indices = fresh.page_indices;
    EXPECT_ATTN(attn_runner_plan(r, &b, nullptr, nullptr), ATTN_INVALID_ARGUMENT, c.needle);
    EXPECT_ATTN(attn_runner_plan(r, &b, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
                "attn_runner_plan: ");
    // A plan that failed validation leaves the runner unplanned.
    if (c.reachesValidation)
      EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "call plan() first");
    // And the same runner plans and runs the good batch afterwards.
    SampleBatch good;
    attn_batch gb = good.get();
    ASSERT_OK(attn_runner_forward(r, &gb, &t, p, nullptr, nullptr));
  }

  // Options.
  SampleBatch sb;
  attn_batch b = sb.get();
  attn_run_options o{};
  o.kv_chunk = -5;
  EXPECT_ATTN(attn_runner_plan(r, &b, &o, nullptr), ATTN_INVALID_ARGUMENT,
              "options.kv_chunk is -5");
  o = attn_run_options{};
  o.force_kernel = static_cast<attn_kernel_choice>(7);
  EXPECT_ATTN(attn_runner_plan(r, &b, &o, nullptr), ATTN_INVALID_ARGUMENT,
              "not an attn_kernel_choice");
  o = attn_run_options{};
  o.kv_chunk = 64;
  o.deterministic = 1;
  o.force_kernel = ATTN_KERNEL_PREFILL;
  ASSERT_OK(attn_runner_plan(r, &b, &o, nullptr));
  EXPECT_EQ(fake::lastOptions.kvChunk, 64);
  EXPECT_TRUE(fake::lastOptions.deterministic);
  EXPECT_EQ(fake::lastOptions.forceKernel, attnrt::KernelKind::kPrefill);

  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, TensorsThroughRun) {
  attn_module m = loadSample();
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 32));
  SampleBatch sb;
  attn_batch b = sb.get();
  ASSERT_OK(attn_runner_plan(r, &b, nullptr, nullptr));
  attn_tensors t = sampleTensors(m);
  t.o = 0;
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "attn_runner_run: ");
  t = sampleTensors(m);
  t.q += 2; // misaligned
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "align");
  t = sampleTensors(m);
  ASSERT_OK(attn_runner_run(r, &t, p, nullptr));
  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, ParamsErrors) {
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  EXPECT_ATTN(attn_params_set_f32(p, nullptr, 1.f), ATTN_INVALID_ARGUMENT,
              "attn_params_set_f32: name is NULL");
  EXPECT_ATTN(attn_params_set_i32(p, "", 1), ATTN_INVALID_ARGUMENT, "name is empty");
  EXPECT_ATTN(attn_params_set_array(p, "slopes", static_cast<attn_param_type>(5), 0x100, 4),
              ATTN_INVALID_ARGUMENT, "not an attn_param_type");
  EXPECT_ATTN(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x100, -4),
              ATTN_INVALID_ARGUMENT, "count is -4");
  EXPECT_ATTN(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0, 4), ATTN_INVALID_ARGUMENT,
              "null device address");

  // Checked against the manifest at run time.
  attn_module m = loadSample();
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  SampleBatch sb;
  attn_batch b = sb.get();
  ASSERT_OK(attn_runner_plan(r, &b, nullptr, nullptr));
  attn_tensors t = sampleTensors(m);
  // Missing required array.
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "slopes");
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 32));
  ASSERT_OK(attn_runner_run(r, &t, p, nullptr));
  // Unknown name.
  ASSERT_OK(attn_params_set_f32(p, "no_such_param", 1.f));
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "no_such_param");
  ASSERT_OK(attn_params_clear(p));
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 32));
  // Wrong type: window is i32.
  ASSERT_OK(attn_params_set_f32(p, "window", 3.f));
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "window");
  ASSERT_OK(attn_params_set_i32(p, "window", 3)); // replaces the f32
  ASSERT_OK(attn_runner_run(r, &t, p, nullptr));
  // Scalar given as an array, and an array shorter than its domain.
  ASSERT_OK(attn_params_set_array(p, "cap", ATTN_PARAM_F32, 0x70000, 1));
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "cap");
  ASSERT_OK(attn_params_set_f32(p, "cap", 30.f));
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 31));
  EXPECT_ATTN(attn_runner_run(r, &t, p, nullptr), ATTN_INVALID_ARGUMENT, "slopes");
  ASSERT_OK(attn_params_set_array(p, "slopes", ATTN_PARAM_F32, 0x60000, 32));
  ASSERT_OK(attn_runner_run(r, &t, p, nullptr));

  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, Capacities) {
  attn_module m = loadSample();
  attn_runner r = reinterpret_cast<attn_runner>(1);
  attn_capacities caps{};
  EXPECT_ATTN(attn_runner_create(m, &caps, &r), ATTN_INVALID_ARGUMENT, "attn_runner_create: ");
  EXPECT_EQ(r, nullptr);
  caps.max_batch = 1;
  caps.max_q_rows = 64;
  ASSERT_OK(attn_runner_create(m, &caps, &r));
  SampleBatch sb; // 2 requests
  attn_batch b = sb.get();
  EXPECT_ATTN(attn_runner_plan(r, &b, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
              "capacity exceeded");
  b.batch_size = 1;
  b.q_indptr_len = 2;
  b.kv_lens_len = 1;
  b.kv_indptr_len = 2;
  b.page_indices_len = 2;
  ASSERT_OK(attn_runner_plan(r, &b, nullptr, nullptr));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
  expectUsable();
}

TEST(CApi, MergeStatesArguments) {
  attn_module m = loadSample();
  attn_merge_states_args a{};
  a.rows = -1;
  EXPECT_ATTN(attn_merge_states(m, &a, nullptr), ATTN_INVALID_ARGUMENT, "rows is negative");
  a.rows = 0;
  ASSERT_OK(attn_merge_states(m, &a, nullptr));
  ASSERT_OK(attn_module_destroy(m));
}

TEST(CApi, LastErrorIsPerThreadAndClearedBySuccess) {
  EXPECT_EQ(attn_params_destroy(nullptr), ATTN_INVALID_HANDLE);
  std::string mine = attn_last_error();
  std::string theirs = "unset";
  std::thread([&] { theirs = attn_last_error(); }).join();
  EXPECT_EQ(theirs, "");
  EXPECT_EQ(std::string(attn_last_error()), mine);
  // Queries of the version do not touch it; a successful call clears it.
  attn_abi_version();
  EXPECT_EQ(std::string(attn_last_error()), mine);
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  ASSERT_OK(attn_params_destroy(p));
  EXPECT_EQ(attn_report_error(ATTN_UNSUPPORTED, "from a layered library"), ATTN_UNSUPPORTED);
  EXPECT_STREQ(attn_last_error(), "from a layered library");
}

TEST(CApi, ConcurrentCreateDestroy) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([] {
      for (int j = 0; j < 500; ++j) {
        attn_params p = nullptr;
        ASSERT_EQ(attn_params_create(&p), ATTN_OK);
        ASSERT_EQ(attn_params_set_i32(p, "w", j), ATTN_OK);
        ASSERT_EQ(attn_params_destroy(p), ATTN_OK);
        ASSERT_EQ(attn_params_destroy(p), ATTN_INVALID_HANDLE);
      }
    });
  for (auto &t : threads)
    t.join();
  expectUsable();
}

// The C++ wrapper: RAII and Error objects over the same calls.
TEST(CApiWrapper, RaiiAndErrors) {
  std::string json = sampleJson();
  {
    attn::Module m;
    attn::Error e = m.load(kImage, sizeof kImage, json);
    ASSERT_TRUE(e.ok()) << e.message;
    EXPECT_EQ(m.info().num_q_heads, 32);
    attn::Runner r;
    ASSERT_TRUE(r.create(m).ok());
    attn::Params p;
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(p.setArray("slopes", ATTN_PARAM_F32, 0x60000, 32).ok());
    SampleBatch sb;
    attn_batch b = sb.get();
    attn_tensors t = m.denseTensors(0x10000, 0x20000, 0x30000, 0x40000, 0x50000);
    attn::Error fe = r.forward(b, t, p);
    ASSERT_TRUE(fe.ok()) << fe.message;
    b.batch_size = -1;
    attn::Error pe = r.plan(b);
    EXPECT_EQ(pe.code, ATTN_INVALID_ARGUMENT);
    EXPECT_NE(pe.message.find("batch_size is -1"), std::string::npos) << pe.message;
    EXPECT_EQ(fake::liveModules, 1);
    EXPECT_EQ(fake::liveRunners, 1);
    // Moves transfer ownership: one destroy, no double destroy.
    attn::Module moved = std::move(m);
    EXPECT_FALSE(m.valid());
    EXPECT_TRUE(moved.valid());
  }
  EXPECT_EQ(fake::liveModules, 0);
  EXPECT_EQ(fake::liveRunners, 0);
  attn::Module bad;
  attn::Error e = bad.load(kImage, sizeof kImage, std::string("{"));
  EXPECT_EQ(e.code, ATTN_PARSE_ERROR);
  EXPECT_FALSE(e.message.empty());
  EXPECT_FALSE(bad.valid());
  attn_module_info info;
  EXPECT_EQ(attn_module_get_info(bad.get(), &info), ATTN_INVALID_HANDLE);
  expectUsable();
}

// pickArtifact over an emitted header's kArtifacts.
struct FakeArtifact {
  const char *arch;
  const unsigned char *cubin;
  size_t cubin_size;
  const char *manifest;
};

TEST(CApiWrapper, PickArtifact) {
  static const FakeArtifact arts[] = {{"sm_80", nullptr, 0, ""}, {"sm_90a", nullptr, 0, ""}};
  EXPECT_EQ(attn::pickArtifact(arts, 9, 0), &arts[1]);
  EXPECT_EQ(attn::pickArtifact(arts, 8, 6), &arts[0]);
  EXPECT_EQ(attn::pickArtifact(arts, 8, 0), &arts[0]);
  EXPECT_EQ(attn::pickArtifact(arts, 10, 0), nullptr);
  EXPECT_EQ(attn::pickArtifact(arts, 7, 5), nullptr);
  static const FakeArtifact a86[] = {{"sm_86", nullptr, 0, ""}};
  EXPECT_EQ(attn::pickArtifact(a86, 8, 0), nullptr);
  EXPECT_TRUE(attn::archRunsOn("sm_90a", 9, 0));
  EXPECT_FALSE(attn::archRunsOn("sm_90a", 9, 1));
  EXPECT_TRUE(attn::archRunsOn("sm_80", 8, 9));
  EXPECT_FALSE(attn::archRunsOn("bogus", 8, 0));
}

} // namespace

namespace {
// Plan-time host params for the tile costs: a live handle is accepted, a
// destroyed one is an invalid handle, and the runner still plans afterwards.
TEST(CApi, PlanWithHostParams) {
  attn_module m = loadSample();
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  attn_params p = nullptr;
  ASSERT_OK(attn_params_create(&p));
  SampleBatch sb;
  attn_batch b = sb.get();
  attn_run_options o{};
  o.host_params = p;
  ASSERT_OK(attn_runner_plan(r, &b, &o, nullptr));
  attn_params gone = nullptr;
  ASSERT_OK(attn_params_create(&gone));
  ASSERT_OK(attn_params_destroy(gone));
  o.host_params = gone;
  EXPECT_ATTN(attn_runner_plan(r, &b, &o, nullptr), ATTN_INVALID_HANDLE, "was already destroyed");
  o.host_params = nullptr;
  ASSERT_OK(attn_runner_plan(r, &b, &o, nullptr));
  ASSERT_OK(attn_params_destroy(p));
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));
}
} // namespace

namespace {

TEST(CApi, ProgrammaticLaunch) {
  EXPECT_ATTN(attn_runner_set_programmatic_launch(nullptr, 1), ATTN_INVALID_HANDLE,
              "attn_runner_set_programmatic_launch: runner handle is NULL");
  attn_module m = loadSample(); // "programmatic_launch": true
  attn_runner r = nullptr;
  ASSERT_OK(attn_runner_create(m, nullptr, &r));
  // The device decides too: an sm_80 device refuses, an sm_90 one accepts.
  fake::deviceMajor = 8;
  fake::programmatic = false;
  EXPECT_ATTN(attn_runner_set_programmatic_launch(r, 1), ATTN_INVALID_ARGUMENT, "sm_90");
  EXPECT_FALSE(fake::programmatic);
  fake::deviceMajor = 9;
  ASSERT_OK(attn_runner_set_programmatic_launch(r, 1));
  EXPECT_TRUE(fake::programmatic);
  ASSERT_OK(attn_runner_set_programmatic_launch(r, 0));
  EXPECT_FALSE(fake::programmatic);
  fake::deviceMajor = fake::deviceMinor = 0;
  ASSERT_OK(attn_runner_destroy(r));
  ASSERT_OK(attn_module_destroy(m));

  // Kernels whose manifest does not say they wait (an older attnc, or built
  // for sm_80): refused whatever the device, and turning it off still works.
  for (const char *value : {"false", ""}) {
    SCOPED_TRACE(value);
    attn_module old = loadSample(sampleWith("programmatic_launch", value));
    ASSERT_OK(attn_runner_create(old, nullptr, &r));
    fake::deviceMajor = 9;
    EXPECT_ATTN(attn_runner_set_programmatic_launch(r, 1), ATTN_INVALID_ARGUMENT,
                "do not wait for the previous grid");
    ASSERT_OK(attn_runner_set_programmatic_launch(r, 0));
    fake::deviceMajor = 0;
    ASSERT_OK(attn_runner_destroy(r));
    ASSERT_OK(attn_module_destroy(old));
  }
  expectUsable();
}

} // namespace
