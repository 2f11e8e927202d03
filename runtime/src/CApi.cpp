//===- CApi.cpp - attn.h over attnrt --------------------------------------===//
//
// Each entry point: look the handles up (CApiHandles.h), check the pointer
// arguments, convert the C structs to attnrt's, call attnrt through the
// driver seam (CApiDriver.h), and return the Status as a code plus the
// thread's last error. No libcuda symbol is referenced from this file: the
// CPU unit tests link it against a fake driver.
//
//===----------------------------------------------------------------------===//
#include "attn.h"

#include "CApiDriver.h"
#include "CApiHandles.h"
#include "attn_kernels/abi.h"
#include "attnrt/Batch.h"
#include "attnrt/Launch.h"
#include "attnrt/Manifest.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <cstring>
#include <string>

using namespace attnrt;
using namespace attnrt::capi;

// The C codes are the C++ codes: finish() casts one to the other.
static_assert(ATTN_INVALID_ARGUMENT == int(StatusCode::kInvalidArgument), "");
static_assert(ATTN_PARSE_ERROR == int(StatusCode::kParseError), "");
static_assert(ATTN_INVALID_MANIFEST == int(StatusCode::kInvalidManifest), "");
static_assert(ATTN_ABI_MISMATCH == int(StatusCode::kAbiMismatch), "");
static_assert(ATTN_ARCH_MISMATCH == int(StatusCode::kArchMismatch), "");
static_assert(ATTN_NOT_FOUND == int(StatusCode::kNotFound), "");
static_assert(ATTN_UNSUPPORTED == int(StatusCode::kUnsupported), "");
static_assert(ATTN_CUDA_ERROR == int(StatusCode::kCudaError), "");
static_assert(ATTN_OUT_OF_MEMORY == int(StatusCode::kOutOfMemory), "");
static_assert(ATTN_INTERNAL == int(StatusCode::kInternal), "");
static_assert(ATTN_INVALID_HANDLE == int(StatusCode::kInternal) + 1,
              "ATTN_INVALID_HANDLE must follow the attnrt codes");
static_assert(ATTN_KV_LAYOUT_PAGED == int(KvLayout::kPaged) &&
                  ATTN_KV_LAYOUT_BLOCK_SPARSE == int(KvLayout::kBlockSparse),
              "");
static_assert(ATTN_DOMAIN_TOKENS == int(ParamDomain::kTokens), "");

namespace {

// The integer a C caller put in an enum-typed argument. C lets any int through
// (attn_kernel_choice)7; in C++ loading such an enum is undefined, so the
// bits are copied out as an int before anything looks at them.
template <typename E> int enumBits(const E &e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

uintptr_t raw(const void *handle) { return reinterpret_cast<uintptr_t>(handle); }

template <typename H> H toHandle(uintptr_t v) { return reinterpret_cast<H>(v); }

Status nullArg(const char *name) { return invalidArgument(std::string(name) + " is NULL"); }

// A host array from C: NULL with a non-zero length is an error here (rather
// than a Span that validateBatch would also reject) so that the message names
// the C field.
Status span(const int32_t *data, size_t size, const char *name, Span<int32_t> *out) {
  if (!data && size != 0)
    return invalidArgument(std::string(name) + " is NULL but " + name + "_len is " +
                           std::to_string(size));
  *out = Span<int32_t>(data, size);
  return Status::Ok();
}

Status toBatch(const attn_batch *b, BatchDesc *out) {
  if (!b)
    return nullArg("batch");
  out->batchSize = b->batch_size;
  out->numPages = b->num_pages;
  ATTNRT_RETURN_IF_ERROR(span(b->q_indptr, b->q_indptr_len, "q_indptr", &out->qIndptr));
  ATTNRT_RETURN_IF_ERROR(span(b->kv_lens, b->kv_lens_len, "kv_lens", &out->kvLens));
  ATTNRT_RETURN_IF_ERROR(span(b->kv_indptr, b->kv_indptr_len, "kv_indptr", &out->kvIndptr));
  ATTNRT_RETURN_IF_ERROR(
      span(b->page_indices, b->page_indices_len, "page_indices", &out->pageIndices));
  ATTNRT_RETURN_IF_ERROR(span(b->bsr_row_offsets, b->bsr_row_offsets_len, "bsr_row_offsets",
                              &out->bsrRowOffsets));
  ATTNRT_RETURN_IF_ERROR(
      span(b->bsr_indptr, b->bsr_indptr_len, "bsr_indptr", &out->bsrIndptr));
  ATTNRT_RETURN_IF_ERROR(
      span(b->bsr_indices, b->bsr_indices_len, "bsr_indices", &out->bsrIndices));
  return Status::Ok();
}

Status toOptions(const attn_run_options *o, RunOptions *out) {
  *out = RunOptions();
  if (!o)
    return Status::Ok();
  if (o->kv_chunk < 0)
    return invalidArgument("options.kv_chunk is " + std::to_string(o->kv_chunk) +
                           ", must be >= 0");
  if (o->max_grid < 0)
    return invalidArgument("options.max_grid is " + std::to_string(o->max_grid) +
                           ", must be >= 0");
  out->kvChunk = o->kv_chunk;
  out->noSplit = o->no_split != 0;
  out->maxGrid = o->max_grid;
  out->deterministic = o->deterministic != 0;
  switch (enumBits(o->force_kernel)) {
  case ATTN_KERNEL_AUTO:
    out->forceKernel = KernelKind::kMerge; // attnrt's "choose"
    break;
  case ATTN_KERNEL_PREFILL:
    out->forceKernel = KernelKind::kPrefill;
    break;
  case ATTN_KERNEL_DECODE:
    out->forceKernel = KernelKind::kDecode;
    break;
  default:
    return invalidArgument("options.force_kernel is " + std::to_string(enumBits(o->force_kernel)) +
                           ", not an attn_kernel_choice");
  }
  return Status::Ok();
}

DeviceTensors toTensors(const attn_tensors &t) {
  DeviceTensors d;
  d.q = t.q;
  d.k = t.k;
  d.v = t.v;
  d.o = t.o;
  d.lse = t.lse;
  d.qStrideRow = t.q_stride_row;
  d.qStrideHead = t.q_stride_head;
  d.oStrideRow = t.o_stride_row;
  d.oStrideHead = t.o_stride_head;
  d.kvStridePage = t.kv_stride_page;
  d.kvStrideRow = t.kv_stride_row;
  d.kvStrideHead = t.kv_stride_head;
  d.vStridePage = t.v_stride_page;
  d.vStrideRow = t.v_stride_row;
  d.vStrideHead = t.v_stride_head;
  return d;
}

Status readFile(const char *path, const char *what, std::string *out) {
  if (!path)
    return nullArg(what);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status(StatusCode::kNotFound, std::string("cannot open '") + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return Status(StatusCode::kNotFound, std::string("cannot read '") + path + "'");
  *out = ss.str();
  return Status::Ok();
}

// Parses the manifest here, before the driver, so that a bad manifest is
// reported the same with or without a GPU; the module keeps this copy for
// the queries.
Status loadModule(const void *image, size_t size, std::string_view manifest,
                  attn_module *out) {
  auto object = std::make_shared<ModuleObject>();
  ATTNRT_RETURN_IF_ERROR(parseManifest(manifest, &object->manifest));
  ATTNRT_RETURN_IF_ERROR(driverLoadModule(image, size, manifest, &object->driver));
  *out = toHandle<attn_module>(registerHandle(HandleKind::kModule, std::move(object)));
  return Status::Ok();
}

Status setParam(attn_params params, const char *name,
                const std::function<void(ParamSet &, const std::string &)> &set) {
  std::shared_ptr<ParamsObject> p;
  ATTNRT_RETURN_IF_ERROR(lookup(raw(params), HandleKind::kParams, &p));
  if (!name)
    return nullArg("name");
  if (!*name)
    return invalidArgument("name is empty");
  set(p->set, name);
  return Status::Ok();
}

Status planImpl(attn_runner runner, const attn_batch *batch, const attn_run_options *options,
                void *stream) {
  std::shared_ptr<RunnerObject> r;
  ATTNRT_RETURN_IF_ERROR(lookup(raw(runner), HandleKind::kRunner, &r));
  BatchDesc desc;
  ATTNRT_RETURN_IF_ERROR(toBatch(batch, &desc));
  RunOptions opts;
  ATTNRT_RETURN_IF_ERROR(toOptions(options, &opts));
  std::shared_ptr<ParamsObject> hostParams; // alive for the call
  if (options && options->host_params) {
    ATTNRT_RETURN_IF_ERROR(lookup(raw(options->host_params), HandleKind::kParams, &hostParams));
    opts.hostParams = &hostParams->set;
  }
  return driverPlan(r->driver, desc, opts, stream);
}

Status runImpl(attn_runner runner, const attn_tensors *tensors, attn_params params,
               void *stream) {
  std::shared_ptr<RunnerObject> r;
  ATTNRT_RETURN_IF_ERROR(lookup(raw(runner), HandleKind::kRunner, &r));
  std::shared_ptr<ParamsObject> p;
  ATTNRT_RETURN_IF_ERROR(lookup(raw(params), HandleKind::kParams, &p));
  if (!tensors)
    return nullArg("tensors");
  return driverRun(r->driver, toTensors(*tensors), p->set, stream);
}

} // namespace

extern "C" {

int attn_api_version(void) { return ATTN_API_VERSION; }

int attn_abi_version(void) { return ATTN_ABI_VERSION; }

const char *attn_status_name(attn_status status) {
  const int code = enumBits(status);
  if (code == ATTN_INVALID_HANDLE)
    return "invalid handle";
  if (code < ATTN_OK || code > ATTN_INTERNAL)
    return "unknown";
  return statusCodeName(static_cast<StatusCode>(code));
}

attn_status attn_init_device(int ordinal) {
  return entry("attn_init_device", [&] { return driverInitDevice(ordinal); });
}

attn_status attn_release_device(int ordinal) {
  return entry("attn_release_device", [&] { return driverReleaseDevice(ordinal); });
}

attn_status attn_current_device(int32_t *cc_major, int32_t *cc_minor) {
  return entry("attn_current_device", [&]() -> Status {
    if (!cc_major || !cc_minor)
      return nullArg(!cc_major ? "cc_major" : "cc_minor");
    int major = 0, minor = 0;
    ATTNRT_RETURN_IF_ERROR(driverCurrentDevice(&major, &minor));
    *cc_major = major;
    *cc_minor = minor;
    return Status::Ok();
  });
}

attn_status attn_module_load(const void *image, size_t image_size, const char *manifest_json,
                             size_t manifest_len, attn_module *out) {
  return entry("attn_module_load", [&]() -> Status {
    if (!out)
      return nullArg("out");
    *out = nullptr;
    if (!image)
      return nullArg("image");
    if (image_size == 0)
      return invalidArgument("image_size is 0");
    if (!manifest_json)
      return nullArg("manifest_json");
    return loadModule(image, image_size, std::string_view(manifest_json, manifest_len), out);
  });
}

attn_status attn_module_load_files(const char *image_path, const char *manifest_path,
                                   attn_module *out) {
  return entry("attn_module_load_files", [&]() -> Status {
    if (!out)
      return nullArg("out");
    *out = nullptr;
    std::string image, manifest;
    ATTNRT_RETURN_IF_ERROR(readFile(image_path, "image_path", &image));
    ATTNRT_RETURN_IF_ERROR(readFile(manifest_path, "manifest_path", &manifest));
    if (image.empty())
      return invalidArgument(std::string("'") + image_path + "' is empty");
    return loadModule(image.data(), image.size(), manifest, out);
  });
}

attn_status attn_module_destroy(attn_module module) {
  return entry("attn_module_destroy", [&]() -> Status {
    std::shared_ptr<void> object;
    return releaseHandle(raw(module), HandleKind::kModule, &object);
    // `object` goes here, outside the registry lock; runners keep it alive.
  });
}

attn_status attn_module_get_info(attn_module module, attn_module_info *out) {
  return entry("attn_module_get_info", [&]() -> Status {
    std::shared_ptr<ModuleObject> m;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(module), HandleKind::kModule, &m));
    if (!out)
      return nullArg("out");
    const Manifest &mf = m->manifest;
    attn_module_info info{};
    info.variant = mf.variant.c_str();
    info.dtype = mf.dtype.c_str();
    info.arch = mf.arch.c_str();
    info.attnc_version = mf.attncVersion.c_str();
    info.head_dim_qk = mf.headDimQK;
    info.head_dim_vo = mf.headDimVO;
    info.num_q_heads = mf.numQHeads;
    info.num_kv_heads = mf.numKVHeads;
    info.group_size = mf.groupSize;
    info.kv_layout = static_cast<attn_kv_layout>(mf.kvLayout);
    info.page_size = mf.kvLayout == KvLayout::kPaged ? mf.pageSize : 0;
    info.block_q = mf.kvLayout == KvLayout::kBlockSparse ? mf.blockQ : 0;
    info.block_kv = mf.kvLayout == KvLayout::kBlockSparse ? mf.blockKV : 0;
    info.has_lse = mf.normalize == Normalize::kSoftmax ? 1 : 0;
    info.dtype_bytes = mf.dtypeBytes();
    info.num_params = static_cast<int32_t>(mf.params.size());
    *out = info;
    return Status::Ok();
  });
}

attn_status attn_module_param(attn_module module, int32_t index, attn_param_info *out) {
  return entry("attn_module_param", [&]() -> Status {
    std::shared_ptr<ModuleObject> m;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(module), HandleKind::kModule, &m));
    if (!out)
      return nullArg("out");
    const auto &params = m->manifest.params;
    if (index < 0 || size_t(index) >= params.size())
      return invalidArgument("param index " + std::to_string(index) + " is out of range (" +
                             std::to_string(params.size()) + " params)");
    const ParamInfo &p = params[size_t(index)];
    out->name = p.name.c_str();
    out->type = p.type == ParamType::kF32 ? ATTN_PARAM_F32 : ATTN_PARAM_I32;
    out->domain = static_cast<attn_param_domain>(p.domain);
    out->has_default = p.hasDefault ? 1 : 0;
    out->default_value = p.defaultValue;
    return Status::Ok();
  });
}

attn_status attn_params_create(attn_params *out) {
  return entry("attn_params_create", [&]() -> Status {
    if (!out)
      return nullArg("out");
    *out = toHandle<attn_params>(
        registerHandle(HandleKind::kParams, std::make_shared<ParamsObject>()));
    return Status::Ok();
  });
}

attn_status attn_params_destroy(attn_params params) {
  return entry("attn_params_destroy", [&]() -> Status {
    std::shared_ptr<void> object;
    return releaseHandle(raw(params), HandleKind::kParams, &object);
  });
}

attn_status attn_params_set_f32(attn_params params, const char *name, float value) {
  return entry("attn_params_set_f32", [&] {
    return setParam(params, name,
                    [&](ParamSet &s, const std::string &n) { s.setF32(n, value); });
  });
}

attn_status attn_params_set_i32(attn_params params, const char *name, int32_t value) {
  return entry("attn_params_set_i32", [&] {
    return setParam(params, name,
                    [&](ParamSet &s, const std::string &n) { s.setI32(n, value); });
  });
}

attn_status attn_params_set_array(attn_params params, const char *name, attn_param_type type,
                                  uint64_t device_data, int64_t count) {
  return entry("attn_params_set_array", [&]() -> Status {
    // Handle and name first, so the same misuse gives the same message in
    // every setter.
    ATTNRT_RETURN_IF_ERROR(setParam(params, name, [](ParamSet &, const std::string &) {}));
    const int typeBits = enumBits(type);
    if (typeBits != ATTN_PARAM_F32 && typeBits != ATTN_PARAM_I32)
      return invalidArgument("type is " + std::to_string(typeBits) +
                             ", not an attn_param_type");
    if (count < 0)
      return invalidArgument("count is " + std::to_string(count) + ", must be >= 0");
    if (device_data == 0 && count > 0)
      return invalidArgument(std::string("array '") + name + "' has " +
                             std::to_string(count) + " elements but a null device address");
    ParamType t = typeBits == ATTN_PARAM_F32 ? ParamType::kF32 : ParamType::kI32;
    return setParam(params, name, [&](ParamSet &s, const std::string &n) {
      s.setArray(n, t, device_data, count);
    });
  });
}

attn_status attn_params_clear(attn_params params) {
  return entry("attn_params_clear", [&]() -> Status {
    std::shared_ptr<ParamsObject> p;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(params), HandleKind::kParams, &p));
    p->set.clear();
    return Status::Ok();
  });
}

attn_status attn_runner_create(attn_module module, const attn_capacities *caps,
                               attn_runner *out) {
  return entry("attn_runner_create", [&]() -> Status {
    std::shared_ptr<ModuleObject> m;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(module), HandleKind::kModule, &m));
    if (!out)
      return nullArg("out");
    *out = nullptr;
    Capacities c;
    if (caps) {
      c.maxBatch = caps->max_batch;
      c.maxQRows = caps->max_q_rows;
      c.maxPageIndices = caps->max_page_indices;
      c.maxBsrRows = caps->max_bsr_rows;
      c.maxBsrIndices = caps->max_bsr_indices;
      c.maxWorkItems = caps->max_work_items;
      c.maxPartialSlots = caps->max_partial_slots;
    }
    auto r = std::make_shared<RunnerObject>();
    r->module = m;
    ATTNRT_RETURN_IF_ERROR(driverCreateRunner(m->driver, caps ? &c : nullptr, &r->driver));
    *out = toHandle<attn_runner>(registerHandle(HandleKind::kRunner, std::move(r)));
    return Status::Ok();
  });
}

attn_status attn_runner_destroy(attn_runner runner) {
  return entry("attn_runner_destroy", [&]() -> Status {
    std::shared_ptr<void> object;
    return releaseHandle(raw(runner), HandleKind::kRunner, &object);
  });
}

attn_status attn_runner_plan(attn_runner runner, const attn_batch *batch,
                             const attn_run_options *options, void *stream) {
  return entry("attn_runner_plan", [&] { return planImpl(runner, batch, options, stream); });
}

attn_status attn_runner_set_programmatic_launch(attn_runner runner, int32_t enable) {
  return entry("attn_runner_set_programmatic_launch", [&]() -> Status {
    std::shared_ptr<RunnerObject> r;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(runner), HandleKind::kRunner, &r));
    return driverSetProgrammaticLaunch(r->driver, enable != 0);
  });
}

attn_status attn_dense_tensors(attn_module module, uint64_t q, uint64_t k, uint64_t v,
                               uint64_t o, uint64_t lse, attn_tensors *out) {
  return entry("attn_dense_tensors", [&]() -> Status {
    std::shared_ptr<ModuleObject> m;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(module), HandleKind::kModule, &m));
    if (!out)
      return nullArg("out");
    DeviceTensors d = denseTensors(m->manifest, q, k, v, o, lse);
    attn_tensors t{};
    t.q = d.q;
    t.k = d.k;
    t.v = d.v;
    t.o = d.o;
    t.lse = d.lse;
    t.q_stride_row = d.qStrideRow;
    t.q_stride_head = d.qStrideHead;
    t.o_stride_row = d.oStrideRow;
    t.o_stride_head = d.oStrideHead;
    t.kv_stride_page = d.kvStridePage;
    t.kv_stride_row = d.kvStrideRow;
    t.kv_stride_head = d.kvStrideHead;
    t.v_stride_page = d.vStridePage;
    t.v_stride_row = d.vStrideRow;
    t.v_stride_head = d.vStrideHead;
    *out = t;
    return Status::Ok();
  });
}

attn_status attn_runner_run(attn_runner runner, const attn_tensors *tensors, attn_params params,
                            void *stream) {
  return entry("attn_runner_run", [&] { return runImpl(runner, tensors, params, stream); });
}

attn_status attn_runner_forward(attn_runner runner, const attn_batch *batch,
                                const attn_tensors *tensors, attn_params params, void *stream,
                                const attn_run_options *options) {
  return entry("attn_runner_forward", [&]() -> Status {
    // Every handle and pointer is checked before planning, so a bad call
    // leaves the previous plan in place.
    std::shared_ptr<RunnerObject> r;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(runner), HandleKind::kRunner, &r));
    std::shared_ptr<ParamsObject> p;
    ATTNRT_RETURN_IF_ERROR(lookup(raw(params), HandleKind::kParams, &p));
    if (!tensors)
      return nullArg("tensors");
    // As attn.h promises: forward's params also feed the planner's tile costs.
    attn_run_options withParams{};
    if (options)
      withParams = *options;
    if (!withParams.host_params)
      withParams.host_params = params;
    ATTNRT_RETURN_IF_ERROR(planImpl(runner, batch, &withParams, stream));
    return runImpl(runner, tensors, params, stream);
  });
}

} // extern "C"
