//===- CApiGpuTest.cpp - attn.h on the real GPU ---------------------------===//
//
// The C API end to end: modules compiled in-process (VariantBuilder +
// compileVariant, as attn-gpu-tests does) and by attn_jit_compile, loaded
// with attn_module_load, run with attn_runner_* and checked against the
// float64 reference (Compare.h). Between the successful runs, every misuse
// the API documents: an artifact for another arch, bad indptrs, pages out of
// range, wrong and missing params, capacity exceeded, NULL and destroyed
// handles. After each error the next correct call must succeed, and guard
// bytes around the output buffers must be untouched.
//
// Usage: attn-capi-gpu-tests [--examples DIR]
// Without a GPU (or libcuda) it prints why and exits 0 as "skipped".
//
//===----------------------------------------------------------------------===//
#include "Compare.h"
#include "GpuRun.h"
#include "HostTensors.h"
#include "VariantBuilder.h"

#include "attn.h"
#include "attn/JIT/Jit.h"
#include "attn/JIT/attn_jit.h"
#include "attn/Reference/Evaluator.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn_kernels/abi.h"

#include <cuda.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace attn;
using namespace attn::gputest;

namespace {

int passed = 0, failed = 0;

void check(bool ok, const std::string &what) {
  if (ok) {
    ++passed;
    std::printf("ok   %s\n", what.c_str());
  } else {
    ++failed;
    std::printf("FAIL %s\n", what.c_str());
  }
  std::fflush(stdout);
}

// `call` returned `want` and the last error mentions `needle`.
void expectCode(attn_status got, attn_status want, const std::string &needle,
                const std::string &what) {
  std::string msg = attn_last_error();
  bool ok = got == want && msg.find(needle) != std::string::npos;
  check(ok, what + (ok ? "" : ": got " + std::string(attn_status_name(got)) + " \"" + msg +
                                  "\", want " + attn_status_name(want) + " with \"" +
                                  needle + "\""));
}

std::string archOfCurrentDevice(int *major, int *minor) {
  int32_t ma = 0, mi = 0;
  if (attn_current_device(&ma, &mi) != ATTN_OK)
    return "";
  *major = ma;
  *minor = mi;
  return jit::archForDevice(ma, mi);
}

// One output buffer with kGuard bytes of a known pattern on each side.
class GuardedBuffer {
public:
  static constexpr size_t kGuard = 4096;
  static constexpr unsigned char kPattern = 0xA5;
  bool alloc(size_t bytes, std::string &error) {
    bytes_ = bytes;
    if (!buf_.alloc(bytes + 2 * kGuard, error))
      return false;
    return reset(error);
  }
  // Guards to the pattern, the payload to 0xFF (NaN in bf16/f16/f32).
  bool reset(std::string &error) {
    if ((error = cudaError(cuMemsetD8(buf_.ptr(), kPattern, bytes_ + 2 * kGuard), "guard"))
            .size())
      return false;
    if (bytes_ &&
        (error = cudaError(cuMemsetD8(ptr(), 0xFF, bytes_), "poison")).size())
      return false;
    return true;
  }
  CUdeviceptr ptr() const { return buf_.ptr() + kGuard; }
  bool guardsIntact() const {
    std::vector<unsigned char> h(kGuard);
    for (CUdeviceptr at : {buf_.ptr(), ptr() + bytes_}) {
      if (cuMemcpyDtoH(h.data(), at, kGuard) != CUDA_SUCCESS)
        return false;
      for (unsigned char c : h)
        if (c != kPattern)
          return false;
    }
    return true;
  }
  template <typename T> bool download(std::vector<T> &out) const {
    out.resize(bytes_ / sizeof(T));
    return !bytes_ || cuMemcpyDtoH(out.data(), ptr(), bytes_) == CUDA_SUCCESS;
  }

private:
  DeviceBuffer buf_;
  size_t bytes_ = 0;
};

// A reference problem laid out for one module, its device inputs and params,
// and guarded outputs: everything a forward through the C API needs.
struct Problem {
  VariantOp op;
  ref::Problem problem;
  ref::Result reference;
  LayoutData data;
  bool bf16 = true;
  DeviceBuffer q, k, v;
  GuardedBuffer o, lse;
  std::vector<std::unique_ptr<DeviceBuffer>> paramBuffers;
  attn_params params = nullptr;

  ~Problem() {
    if (params)
      attn_params_destroy(params);
  }

  bool setUp(VariantOp variant, int layout, int64_t pageSize, std::vector<int64_t> qLens,
             std::vector<int64_t> kvLens, uint64_t seed, std::string &error) {
    op = variant;
    bf16 = op.getDtype().isBF16();
    problem = ref::makeRandomProblem(op, std::move(qLens), std::move(kvLens), seed);
    if (!ref::evaluate(op, problem, reference, error))
      return false;
    Shape shape{int64_t(op.getNumQHeads()), int64_t(op.getNumKvHeads()),
                int64_t(op.getHeadDimQk()), int64_t(op.getHeadDimVo()), bf16};
    std::mt19937_64 rng(seed);
    data = layOut(problem, shape, layout, pageSize, rng);
    size_t oBytes = size_t(data.totalQ * shape.numQHeads * shape.dimVO) * 2;
    size_t lseBytes = size_t(data.totalQ * shape.numQHeads) * 4;
    if (!q.upload(data.q.data(), data.q.size() * 2, error) ||
        !k.upload(data.k.data(), data.k.size() * 2, error) ||
        !v.upload(data.v.data(), data.v.size() * 2, error) || !o.alloc(oBytes, error) ||
        !lse.alloc(lseBytes, error))
      return false;
    if (attn_params_create(&params) != ATTN_OK) {
      error = attn_last_error();
      return false;
    }
    return bindParams(error);
  }

  // Every param of the variant from the problem's values, through the C API.
  bool bindParams(std::string &error) {
    for (ParamOp param : op.getBody().front().getOps<ParamOp>()) {
      std::string name = param.getSymName().str();
      bool isF32 = param.getType().isF32();
      if (param.getDomain() == ParamDomain::scalar) {
        auto it = problem.params.scalars.find(name);
        if (it == problem.params.scalars.end())
          continue; // the manifest's default
        attn_status s = isF32 ? attn_params_set_f32(params, name.c_str(), float(it->second))
                              : attn_params_set_i32(params, name.c_str(), int32_t(it->second));
        if (s != ATTN_OK) {
          error = attn_last_error();
          return false;
        }
        continue;
      }
      std::vector<double> flat;
      if (param.getDomain() == ParamDomain::tokens) {
        auto it = problem.params.tokens.find(name);
        if (it != problem.params.tokens.end())
          for (const auto &perRequest : it->second)
            flat.insert(flat.end(), perRequest.begin(), perRequest.end());
      } else if (auto it = problem.params.arrays.find(name); it != problem.params.arrays.end()) {
        flat = it->second;
      }
      paramBuffers.push_back(std::make_unique<DeviceBuffer>());
      DeviceBuffer &buf = *paramBuffers.back();
      bool ok;
      if (isF32) {
        std::vector<float> h(flat.begin(), flat.end());
        ok = buf.upload(h.data(), h.size() * 4, error);
      } else {
        std::vector<int32_t> h;
        for (double x : flat)
          h.push_back(int32_t(x));
        ok = buf.upload(h.data(), h.size() * 4, error);
      }
      if (!ok)
        return false;
      if (attn_params_set_array(params, name.c_str(), isF32 ? ATTN_PARAM_F32 : ATTN_PARAM_I32,
                                buf.ptr(), int64_t(flat.size())) != ATTN_OK) {
        error = attn_last_error();
        return false;
      }
    }
    return true;
  }

  attn_batch batch() const {
    attn_batch b{};
    b.batch_size = int32_t(data.kvLens.size());
    b.q_indptr = data.qIndptr.data();
    b.q_indptr_len = data.qIndptr.size();
    b.kv_lens = data.kvLens.data();
    b.kv_lens_len = data.kvLens.size();
    b.kv_indptr = data.kvIndptr.data();
    b.kv_indptr_len = data.kvIndptr.size();
    b.page_indices = data.pageIndices.data();
    b.page_indices_len = data.pageIndices.size();
    b.num_pages = data.numPages;
    b.bsr_row_offsets = data.bsrRowOffsets.data();
    b.bsr_row_offsets_len = data.bsrRowOffsets.size();
    b.bsr_indptr = data.bsrIndptr.data();
    b.bsr_indptr_len = data.bsrIndptr.size();
    b.bsr_indices = data.bsrIndices.data();
    b.bsr_indices_len = data.bsrIndices.size();
    return b;
  }

  attn_tensors tensors() const {
    attn_tensors t{};
    t.q = q.ptr();
    t.k = k.ptr();
    t.v = v.ptr();
    t.o = o.ptr();
    t.lse = lse.ptr();
    t.q_stride_row = data.qStrideRow;
    t.q_stride_head = data.qStrideHead;
    t.o_stride_row = data.oStrideRow;
    t.o_stride_head = data.oStrideHead;
    t.kv_stride_page = data.kStridePage;
    t.kv_stride_row = data.kStrideRow;
    t.kv_stride_head = data.kStrideHead;
    t.v_stride_page = data.vStridePage;
    t.v_stride_row = data.vStrideRow;
    t.v_stride_head = data.vStrideHead;
    return t;
  }

  // The guards are intact (whatever ran before), and, after a successful
  // call, the output matches the reference.
  void verify(const std::string &what, bool expectOutput) {
    check(o.guardsIntact() && lse.guardsIntact(), what + ": guard bytes intact");
    if (!expectOutput)
      return;
    if (cuCtxSynchronize() != CUDA_SUCCESS) {
      check(false, what + ": kernel execution");
      return;
    }
    GpuOutput out;
    if (!o.download(out.o) || !lse.download(out.lse)) {
      check(false, what + ": download");
      return;
    }
    Comparison cmp = compare(out, reference, bf16, /*checkLse=*/true);
    check(cmp.pass(1e-2), what + ": matches the reference (" + cmp.describe() + ")");
    std::string error;
    if (!o.reset(error) || !lse.reset(error))
      check(false, what + ": re-poison: " + error);
  }

  // A correct forward on `runner`, checked.
  void forwardOk(attn_runner runner, const std::string &what,
                 const attn_run_options *options = nullptr) {
    attn_batch b = batch();
    attn_tensors t = tensors();
    attn_status s = attn_runner_forward(runner, &b, &t, params, nullptr, options);
    check(s == ATTN_OK, what + ": forward" + (s ? std::string(": ") + attn_last_error() : ""));
    verify(what, s == ATTN_OK);
  }
};

bool compileFor(const std::string &path, const std::string &arch, BuiltVariant &built,
                target::CompiledVariant &compiled, std::string &error) {
  if (!buildVariant(path, Overrides(), built, error))
    return false;
  target::CompileOptions opts;
  opts.archs = {arch};
  opts.useCache = false;
  if (!target::compileVariant(built.op, opts, compiled, error)) {
    if (error.empty())
      error = "compile failed";
    return false;
  }
  return true;
}

attn_module load(const target::ArchArtifact &a, const std::string &manifest, attn_status *s) {
  attn_module m = nullptr;
  *s = attn_module_load(a.cubin.data(), a.cubin.size(), manifest.data(), manifest.size(), &m);
  return m;
}

std::string replaceArch(std::string manifest, const std::string &from, const std::string &to) {
  std::string key = "\"" + from + "\"";
  for (size_t at; (at = manifest.find(key)) != std::string::npos;)
    manifest.replace(at, key.size(), "\"" + to + "\"");
  return manifest;
}

// gemma2_softcap_window (paged(16), scalar params with defaults): the misuse
// matrix, each error followed by a correct forward.
void testMisuse(const std::string &examples, const std::string &arch, int major) {
  std::string path = examples + "/gemma2_softcap_window.attn";
  BuiltVariant built;
  target::CompiledVariant compiled;
  std::string error;
  if (!compileFor(path, arch, built, compiled, error)) {
    check(false, "compile gemma2_softcap_window for " + arch + ": " + error);
    return;
  }
  const target::ArchArtifact &art = compiled.artifacts.front();

  // Another arch: a cubin of another major (its own manifest), and this
  // GPU's cubin with a manifest claiming sm_100a.
  std::string otherArch = major == 8 ? "sm_90a" : "sm_80";
  BuiltVariant otherBuilt;
  target::CompiledVariant other;
  if (compileFor(path, otherArch, otherBuilt, other, error)) {
    attn_status s;
    attn_module m = load(other.artifacts.front(), other.artifacts.front().manifestJson, &s);
    expectCode(s, ATTN_ARCH_MISMATCH, otherArch, "a " + otherArch + " cubin on " + arch);
    check(m == nullptr, "no module handle after an arch mismatch");
  } else {
    check(false, "compile for " + otherArch + ": " + error);
  }
  {
    attn_status s;
    attn_module m = load(art, replaceArch(art.manifestJson, art.arch, "sm_100a"), &s);
    expectCode(s, ATTN_ARCH_MISMATCH, "sm_100a", "a manifest claiming sm_100a");
    check(m == nullptr, "no module handle after a manifest arch mismatch");
  }

  attn_status s;
  attn_module mod = load(art, art.manifestJson, &s);
  check(s == ATTN_OK, "load gemma2_softcap_window" + (s ? std::string(": ") + attn_last_error() : ""));
  if (s != ATTN_OK)
    return;
  attn_runner runner = nullptr;
  s = attn_runner_create(mod, nullptr, &runner);
  check(s == ATTN_OK, "create a runner");
  Problem p;
  if (!p.setUp(built.op, ATTN_KV_PAGED, 16, {1, 17, 127}, {33, 200, 577}, 7, error)) {
    check(false, "problem: " + error);
    return;
  }
  p.forwardOk(runner, "first forward");

  // Bad q_indptr: not monotone.
  {
    attn_batch b = p.batch();
    std::vector<int32_t> q = p.data.qIndptr;
    std::swap(q[1], q[2]);
    b.q_indptr = q.data();
    attn_tensors t = p.tensors();
    expectCode(attn_runner_forward(runner, &b, &t, p.params, nullptr, nullptr),
               ATTN_INVALID_ARGUMENT, "q_indptr", "decreasing q_indptr");
    expectCode(attn_runner_run(runner, &t, p.params, nullptr), ATTN_INVALID_ARGUMENT,
               "plan", "run after a failed plan");
    p.verify("after bad q_indptr (outputs untouched)", false);
    p.forwardOk(runner, "forward after bad q_indptr");
  }
  // A page index out of range, and a negative one.
  for (int32_t bad : {p.data.numPages, -1}) {
    attn_batch b = p.batch();
    std::vector<int32_t> pages = p.data.pageIndices;
    pages.back() = bad;
    b.page_indices = pages.data();
    expectCode(attn_runner_plan(runner, &b, nullptr, nullptr), ATTN_INVALID_ARGUMENT, "page",
               "page index " + std::to_string(bad) + " out of range");
    p.forwardOk(runner, "forward after page index " + std::to_string(bad));
  }
  // NULL arrays whose length says they hold data.
  {
    attn_batch b = p.batch();
    b.kv_lens = nullptr;
    expectCode(attn_runner_plan(runner, &b, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
               "kv_lens is NULL", "NULL kv_lens with a length");
    p.forwardOk(runner, "forward after NULL kv_lens");
  }
  // Wrong params: unknown name, wrong type, scalar as array.
  {
    attn_params bad = nullptr;
    attn_params_create(&bad);
    attn_params_set_f32(bad, "no_such_param", 1.f);
    attn_tensors t = p.tensors();
    expectCode(attn_runner_run(runner, &t, bad, nullptr), ATTN_INVALID_ARGUMENT,
               "no_such_param", "unknown param");
    attn_params_clear(bad);
    attn_params_set_f32(bad, "window", 3.f);
    expectCode(attn_runner_run(runner, &t, bad, nullptr), ATTN_INVALID_ARGUMENT, "window",
               "f32 given for the i32 param");
    attn_params_clear(bad);
    attn_params_set_array(bad, "cap", ATTN_PARAM_F32, p.q.ptr(), 1);
    expectCode(attn_runner_run(runner, &t, bad, nullptr), ATTN_INVALID_ARGUMENT, "cap",
               "scalar param given as an array");
    attn_params_destroy(bad);
    p.verify("after wrong params (outputs untouched)", false);
    p.forwardOk(runner, "forward after wrong params");
  }
  // Handles: NULL and destroyed.
  {
    attn_batch b = p.batch();
    attn_tensors t = p.tensors();
    expectCode(attn_runner_forward(nullptr, &b, &t, p.params, nullptr, nullptr),
               ATTN_INVALID_HANDLE, "runner handle is NULL", "NULL runner");
    attn_runner dead = nullptr;
    attn_runner_create(mod, nullptr, &dead);
    attn_runner_destroy(dead);
    expectCode(attn_runner_forward(dead, &b, &t, p.params, nullptr, nullptr),
               ATTN_INVALID_HANDLE, "already destroyed", "destroyed runner");
    expectCode(attn_runner_destroy(dead), ATTN_INVALID_HANDLE, "already destroyed",
               "double destroy");
    expectCode(attn_runner_forward(runner, &b, &t, nullptr, nullptr, nullptr),
               ATTN_INVALID_HANDLE, "params handle is NULL", "NULL params");
    p.forwardOk(runner, "forward after handle misuse");
  }
  // Split-KV and deterministic options through the C struct.
  {
    attn_run_options o{};
    o.kv_chunk = 128;
    o.deterministic = 1;
    p.forwardOk(runner, "forward with kv_chunk 128, deterministic", &o);
  }
  // Programmatic launch through the C API (sm_90+ kernels on an sm_90+
  // device; the scheduler tests check chains of such launches).
  {
    s = attn_runner_set_programmatic_launch(runner, 1);
    if (major >= 9 && arch.rfind("sm_9", 0) == 0) {
      check(s == ATTN_OK,
            "programmatic launch on" + (s ? std::string(": ") + attn_last_error() : ""));
      attn_run_options o{};
      o.kv_chunk = 128;
      p.forwardOk(runner, "forward with programmatic launch, kv_chunk 128", &o);
    } else {
      expectCode(s, ATTN_INVALID_ARGUMENT, "sm_90", "programmatic launch before sm_90");
    }
    check(attn_runner_set_programmatic_launch(runner, 0) == ATTN_OK, "programmatic launch off");
  }
  // Fixed capacities: a batch above them fails, one within them runs.
  {
    attn_capacities caps{};
    caps.max_batch = 2;
    caps.max_q_rows = 512;
    caps.max_page_indices = 4096;
    attn_runner reserved = nullptr;
    s = attn_runner_create(mod, &caps, &reserved);
    check(s == ATTN_OK, "create a reserved runner" + (s ? std::string(": ") + attn_last_error() : ""));
    if (s == ATTN_OK) {
      attn_batch b = p.batch(); // 3 requests
      expectCode(attn_runner_plan(reserved, &b, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
                 "capacity exceeded", "batch above max_batch");
      Problem small;
      if (small.setUp(built.op, ATTN_KV_PAGED, 16, {5, 64}, {40, 300}, 11, error))
        small.forwardOk(reserved, "reserved runner within capacity");
      else
        check(false, "small problem: " + error);
      attn_runner_destroy(reserved);
    }
  }
  // The module handle can go before the runner.
  check(attn_module_destroy(mod) == ATTN_OK, "destroy the module before its runner");
  p.forwardOk(runner, "forward on a runner whose module handle is destroyed");
  check(attn_runner_destroy(runner) == ATTN_OK, "destroy the runner");
}

// alibi (a required f32[heads] param): missing, then bound.
void testMissingParam(const std::string &examples, const std::string &arch) {
  BuiltVariant built;
  target::CompiledVariant compiled;
  std::string error;
  if (!compileFor(examples + "/alibi.attn", arch, built, compiled, error)) {
    check(false, "compile alibi: " + error);
    return;
  }
  const target::ArchArtifact &art = compiled.artifacts.front();
  attn_status s;
  attn_module mod = load(art, art.manifestJson, &s);
  check(s == ATTN_OK, "load alibi");
  if (s != ATTN_OK)
    return;
  attn_runner runner = nullptr;
  attn_runner_create(mod, nullptr, &runner);
  Problem p;
  if (!p.setUp(built.op, ATTN_KV_RAGGED, 0, {3, 64}, {100, 64}, 5, error)) {
    check(false, "alibi problem: " + error);
    return;
  }
  attn_params none = nullptr;
  attn_params_create(&none);
  attn_batch b = p.batch();
  attn_tensors t = p.tensors();
  expectCode(attn_runner_forward(runner, &b, &t, none, nullptr, nullptr), ATTN_INVALID_ARGUMENT,
             "slopes", "missing required param");
  attn_params_destroy(none);
  p.verify("after a missing param (outputs untouched)", false);
  p.forwardOk(runner, "alibi forward with slopes");
  attn_runner_destroy(runner);
  attn_module_destroy(mod);
}

// examples/causal.attn through attn_jit_compile, run and checked.
void testJit(const std::string &examples) {
  std::string path = examples + "/causal.attn";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string source = ss.str();
  attn_module mod = nullptr;
  attn_status s = attn_jit_compile(source.data(), source.size(), path.c_str(), nullptr, &mod);
  check(s == ATTN_OK, "attn_jit_compile causal.attn" + (s ? std::string(": ") + attn_last_error() : ""));
  if (s != ATTN_OK)
    return;
  std::string bad = "variant v {\n  head_dim = 128;\n  logits = score +;\n}\n";
  attn_module none = nullptr;
  expectCode(attn_jit_compile(bad.data(), bad.size(), "bad.attn", nullptr, &none),
             ATTN_INVALID_ARGUMENT, "bad.attn:3:", "attn_jit_compile diagnostics");
  attn_module_info info;
  attn_module_get_info(mod, &info);
  BuiltVariant built;
  std::string error;
  if (!buildVariant(path, Overrides(), built, error)) {
    check(false, "reference variant: " + error);
    attn_module_destroy(mod);
    return;
  }
  attn_runner runner = nullptr;
  attn_runner_create(mod, nullptr, &runner);
  Problem p;
  if (p.setUp(built.op, int(info.kv_layout), info.page_size ? info.page_size : 16, {1, 33, 128},
              {1, 90, 700}, 3, error))
    p.forwardOk(runner, "JIT module forward");
  else
    check(false, "JIT problem: " + error);
  attn_runner_destroy(runner);
  attn_module_destroy(mod);
}

} // namespace

int main(int argc, char **argv) {
  std::string examples = ATTN_EXAMPLES_DIR;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--examples" && i + 1 < argc) {
      examples = argv[++i];
    } else {
      std::fprintf(stderr, "usage: attn-capi-gpu-tests [--examples DIR]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (!std::ifstream(examples + "/causal.attn")) {
    std::fprintf(stderr, "attn-capi-gpu-tests: no causal.attn in '%s'\n", examples.c_str());
    return 2;
  }
  CUresult init = cuInit(0);
  int count = 0;
  if (init != CUDA_SUCCESS || cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
    std::printf("C API GPU tests skipped: %s\n",
                init == CUDA_SUCCESS ? "no devices" : cudaError(init, "cuInit").c_str());
    std::printf("0 passed, 0 failed, 1 skipped\n");
    return 0;
  }
  if (attn_init_device(0) != ATTN_OK) {
    std::printf("cannot initialize the GPU: %s\n", attn_last_error());
    return 2;
  }
  int major = 0, minor = 0;
  std::string arch = archOfCurrentDevice(&major, &minor);
  std::printf("device: sm_%d%d, compiling for %s\n", major, minor, arch.c_str());
  if (arch.empty()) {
    std::printf("attnc does not compile for this GPU\n");
    return 2;
  }
  expectCode(attn_init_device(1 << 20), ATTN_INVALID_ARGUMENT, "does not exist",
             "attn_init_device of a device that does not exist");

  testMisuse(examples, arch, major);
  testMissingParam(examples, arch);
  testJit(examples);

  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
