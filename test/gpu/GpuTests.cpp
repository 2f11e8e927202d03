//===- GpuTests.cpp - Every example, layout and dtype on the real GPU -----===//
//
// For each example x KV layout x dtype (and a few GQA ratios), this program
// compiles the variant in-process with NVRTC (the real back end), loads the
// cubin through attnrt (the real driver API), runs odd-shaped batches with
// fresh random inputs and poisoned outputs, and compares every output and LSE
// with the float64 reference evaluator. Without a GPU it says so and exits 0.
//
// Usage: attn-gpu-tests [--examples DIR] [--filter SUBSTR] [--quick] [--jobs N]
//
//===----------------------------------------------------------------------===//
#include "Compare.h"
#include "EdgeSupport.h"
#include "GpuRun.h"
#include "HostTensors.h"
#include "VariantBuilder.h"

#include "attn/Reference/Evaluator.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn_kernels/abi.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>

using namespace attn;
using namespace attn::gputest;

namespace {

struct Config {
  std::string example;
  Overrides overrides;
  bool longShapes = false; ///< also run the 4096-key shapes
};

struct ShapeCase {
  const char *name;
  std::vector<int64_t> qLens, kvLens;
  bool longOnly;
};

const std::vector<ShapeCase> &shapes() {
  static const std::vector<ShapeCase> all = {
      {"decode 1/1,1/17,1/577", {1, 1, 1}, {1, 17, 577}, false},
      {"prefill 17/17,127/127", {17, 127}, {17, 127}, false},
      {"append 1/1,17/577,127/127,5/1000", {1, 17, 127, 5}, {1, 577, 127, 1000}, false},
      {"long 1/4096,64/4096", {1, 64}, {4096, 4096}, true},
  };
  return all;
}

std::vector<Config> buildMatrix(const std::vector<std::string> &examples, bool quick) {
  std::vector<Config> m;
  for (const std::string &ex : examples) {
    for (bool bf16 : {true, false}) {
      std::vector<Overrides> layouts;
      auto add = [&](int layout, int64_t page) {
        Overrides o;
        o.layout = layout;
        o.pageSize = page;
        o.bf16 = bf16;
        layouts.push_back(o);
      };
      add(ATTN_KV_RAGGED, 0);
      add(ATTN_KV_PAGED, 16);
      if (!quick) {
        add(ATTN_KV_CONTIGUOUS, 0);
        add(ATTN_KV_PAGED, 5);
        add(ATTN_KV_PAGED, 1);
        add(ATTN_KV_BLOCK_SPARSE, 0);
      }
      for (const Overrides &o : layouts) {
        bool longShapes = bf16 && (*o.layout == ATTN_KV_PAGED && o.pageSize == 16);
        m.push_back({ex, o, longShapes && !quick});
      }
    }
  }
  // Head dim 96, which no example uses; and every feature at once with
  // qk == vo, to tell a 192:128 problem from a hook problem.
  for (const std::string &ex : examples)
    if (ex.find("/everything.attn") != std::string::npos) {
      Overrides o;
      o.layout = ATTN_KV_PAGED;
      o.pageSize = 16;
      o.headDim = 128;
      m.push_back({ex, o, false});
    }
  for (const std::string &ex : examples)
    if (ex.find("/causal.attn") != std::string::npos)
      for (bool bf16 : {true, false}) {
        Overrides o;
        o.layout = ATTN_KV_PAGED;
        o.pageSize = 16;
        o.bf16 = bf16;
        o.headDim = 96;
        m.push_back({ex, o, false});
      }
  // GQA ratios 1 and 8 on top of the examples' own (1, 2, 4 and 5).
  for (int64_t group : {1, 8}) {
    Overrides o;
    o.layout = ATTN_KV_PAGED;
    o.pageSize = 16;
    o.groupSize = group;
    for (const std::string &ex : examples)
      if (ex.find("/causal.attn") != std::string::npos ||
          ex.find("/gemma2") != std::string::npos)
        m.push_back({ex, o, false});
  }
  return m;
}

struct Compiled {
  BuiltVariant built;
  target::CompiledVariant artifact;
  std::string error;
  double seconds = 0;
};

struct Tally {
  int passed = 0, failed = 0;
  double worstRel = 0, worstLse = 0;
};

std::vector<std::string> exampleFiles(const std::string &dir, const std::string &filter) {
  const char *names[] = {"vanilla", "causal", "sliding_window", "gemma2_softcap_window",
                         "alibi", "prefix_lm", "document_mask", "chunked",
                         "streaming_llm", "sigmoid", "rotary", "everything"};
  std::vector<std::string> examples;
  for (const char *n : names) {
    std::string path = dir + "/" + n + ".attn";
    if (filter.empty() || path.find(filter) != std::string::npos)
      examples.push_back(path);
  }
  return examples;
}

/// Compiles every configuration of the matrix for `arch`, `jobs` at a time
/// (NVRTC is thread-safe across programs; each has its own MLIRContext).
std::vector<Compiled> compileMatrix(const std::vector<Config> &matrix, const std::string &arch,
                                    unsigned jobs) {
  std::vector<Compiled> compiled(matrix.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned j = 0; j < std::min<unsigned>(jobs, matrix.size()); ++j)
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < matrix.size();) {
        auto start = std::chrono::steady_clock::now();
        Compiled &c = compiled[i];
        if (buildVariant(matrix[i].example, matrix[i].overrides, c.built, c.error)) {
          target::CompileOptions opts;
          opts.archs = {arch};
          opts.useCache = false;
          if (!target::compileVariant(c.built.op, opts, c.artifact, c.error) && c.error.empty())
            c.error = "compile failed";
        }
        c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    });
  for (auto &t : pool)
    t.join();
  return compiled;
}

/// --compile-only: the whole matrix through NVRTC, no GPU needed. Fails on a
/// compile error or a spill.
int compileMatrixOnly(const std::string &dir, const std::string &filter, bool quick,
                      unsigned jobs) {
  std::vector<Config> matrix = buildMatrix(exampleFiles(dir, filter), quick);
  std::vector<Compiled> compiled = compileMatrix(matrix, "sm_90a", jobs);
  int passed = 0, failed = 0;
  for (size_t i = 0; i < matrix.size(); ++i) {
    const Compiled &c = compiled[i];
    std::string label = matrix[i].example + " " + (c.built.op ? configLabel(c.built.op) : "?");
    unsigned spill = c.error.empty() ? c.artifact.artifacts.front().spillBytes : 0;
    if (!c.error.empty() || spill) {
      std::printf("FAIL %s: %s\n", label.c_str(),
                  c.error.empty() ? ("spills " + std::to_string(spill) + " bytes").c_str()
                                  : c.error.c_str());
      ++failed;
    } else {
      ++passed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  // Line-buffered even into a pipe: if something crashes, the log still
  // shows every line printed before it.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string examplesDir = "examples", filter;
  bool quick = false, compileOnly = false;
  unsigned jobs = std::max(2u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--examples" && i + 1 < argc)
      examplesDir = argv[++i];
    else if (a == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (a == "--quick")
      quick = true;
    else if (a == "--compile-only")
      compileOnly = true;
    else if (a == "--jobs" && i + 1 < argc)
      jobs = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    else {
      std::fprintf(stderr, "usage: attn-gpu-tests [--examples DIR] [--filter S] [--quick] "
                           "[--jobs N] [--compile-only]\n");
      return 1;
    }
  }

  if (compileOnly)
    return compileMatrixOnly(examplesDir, filter, quick, jobs);

  std::string arch, devName;
  if (int rc = startGpu(arch, devName))
    return rc == 1 ? 0 : 2; // 1: no GPU, skipped (startGpu said so)
  std::printf("device: %s (%s)\n", devName.c_str(), arch.c_str());

  std::vector<Config> matrix = buildMatrix(exampleFiles(examplesDir, filter), quick);

  // Phase 1: compile every configuration, in parallel.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Compiled> compiled = compileMatrix(matrix, arch, jobs);
  double compileWall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("compiled %zu configurations in %.1f s (%u threads)\n", matrix.size(), compileWall, jobs);

  // Phase 2: run. References are computed on worker threads while the GPU runs.
  std::map<std::string, Tally> perExample;
  int passed = 0, failed = 0;
  uint64_t seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  std::printf("seed: %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < matrix.size(); ++i) {
    Compiled &c = compiled[i];
    std::string exName = matrix[i].example.substr(matrix[i].example.rfind('/') + 1);
    Tally &tally = perExample[exName];
    std::string label = exName + " " + (c.built.op ? configLabel(c.built.op) : "?");
    auto fail = [&](const std::string &what) {
      std::printf("FAIL %s: %s\n", label.c_str(), what.c_str());
      ++failed;
      ++tally.failed;
    };
    if (!c.error.empty()) {
      fail("compile: " + c.error);
      continue;
    }
    for (const auto &a : c.artifact.artifacts)
      if (a.spillBytes)
        std::printf("warning: %s spills %u bytes on %s\n", label.c_str(), a.spillBytes, a.arch.c_str());
    const target::ArchArtifact &art = c.artifact.artifacts.front();
    attnrt::Module module;
    attnrt::Status st =
        attnrt::Module::load(art.cubin.data(), art.cubin.size(), art.manifestJson, &module);
    if (!st.ok()) {
      fail("load: " + st.toString());
      continue;
    }
    VariantOp op = c.built.op;
    bool bf16 = op.getDtype().isBF16();
    // The attributes are uint64_t; clang rejects the implicit narrowing in braces.
    Shape shape{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()),
                int64_t(op.getHeadDimQk()), int64_t(op.getHeadDimVo()), bf16};

    struct Pending {
      std::string name;
      ref::Problem problem;
      std::future<std::pair<bool, ref::Result>> reference;
      std::string refError;
    };
    std::vector<std::unique_ptr<Pending>> cases;
    for (const ShapeCase &sc : shapes()) {
      if (sc.longOnly && !matrix[i].longShapes)
        continue;
      auto pc = std::make_unique<Pending>();
      pc->name = sc.name;
      pc->problem = ref::makeRandomProblem(op, sc.qLens, sc.kvLens, rng());
      Pending *raw = pc.get();
      pc->reference = std::async(std::launch::async, [raw, op] {
        ref::Result r;
        bool ok = ref::evaluate(op, raw->problem, r, raw->refError);
        return std::make_pair(ok, std::move(r));
      });
      cases.push_back(std::move(pc));
    }
    for (auto &pc : cases) {
      auto [refOk, refResult] = pc->reference.get();
      if (!refOk) {
        fail(pc->name + ": reference: " + pc->refError);
        continue;
      }
      LayoutData data = layOut(pc->problem, shape, *matrix[i].overrides.layout,
                               matrix[i].overrides.pageSize, rng);
      // Each case as planned and with the KV forcibly split + merged: chunks
      // of 128 keys, and of 512 keys where a request has more than 1024 (a
      // merge group of fewer, longer chunks, as the planner makes them).
      int64_t longestKv = 0;
      for (int64_t l : pc->problem.kvLens)
        longestKv = std::max(longestKv, l);
      for (int split : {0, 128, 512}) {
        if (split == 512 && longestKv <= 1024)
          continue;
        GpuRunOptions ro;
        ro.run.kvChunk = split;
        GpuOutput out;
        std::string err;
        std::string caseName =
            pc->name + (split ? " [split " + std::to_string(split) + "]" : "");
        if (!runOnGpu(module, op, pc->problem, data, ro, out, err)) {
          fail(caseName + ": " + err);
          if (err.find("CUDA_ERROR_ILLEGAL") != std::string::npos ||
              err.find("LAUNCH_FAILED") != std::string::npos) {
            // The context is unusable now; destructors would only fault again.
            std::printf("the context is lost after a device fault; stopping\n");
            std::printf("%d passed, %d failed\n", passed, failed);
            std::fflush(stdout);
            std::_Exit(1);
          }
          continue;
        }
        Comparison cmp = compare(out, refResult, bf16, /*checkLse=*/true);
        tally.worstRel = std::max(tally.worstRel, cmp.relErr);
        tally.worstLse = std::max(tally.worstLse, cmp.lseErr);
        if (cmp.pass(1e-2)) {
          ++passed;
          ++tally.passed;
        } else {
          fail(caseName + ": " + cmp.describe());
        }
      }
    }
  }

  std::printf("\n%-28s %7s %7s %12s %12s\n", "example", "passed", "failed", "worst rel", "worst lse");
  for (const auto &[name, t] : perExample)
    std::printf("%-28s %7d %7d %12.2e %12.2e\n", name.c_str(), t.passed, t.failed, t.worstRel,
                t.worstLse);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
