//===- Manifest.cpp - Manifest parsing and validation ---------------------===//
//
// Validation is strict because the runtime trusts the manifest to lay out a
// by-value kernel argument: a wrong offset would silently corrupt params, a
// wrong group size would index heads out of bounds on the GPU.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Manifest.h"

#include "Guard.h"

#include "attn_kernels/abi.h"
#include "attnrt/Json.h"

#include <climits>
#include <cmath>
#include <set>

namespace attnrt {

const char *kvLayoutName(KvLayout l) {
  switch (l) {
  case KvLayout::kContiguous: return "contiguous";
  case KvLayout::kRagged: return "ragged";
  case KvLayout::kPaged: return "paged";
  case KvLayout::kBlockSparse: return "block_sparse";
  }
  return "?";
}
const char *paramTypeName(ParamType t) { return t == ParamType::kF32 ? "f32" : "i32"; }
const char *paramDomainName(ParamDomain d) {
  switch (d) {
  case ParamDomain::kScalar: return "scalar";
  case ParamDomain::kHeads: return "heads";
  case ParamDomain::kKvHeads: return "kv_heads";
  case ParamDomain::kBatch: return "batch";
  case ParamDomain::kTokens: return "tokens";
  }
  return "?";
}
const char *kernelKindName(KernelKind k) {
  switch (k) {
  case KernelKind::kPrefill: return "prefill";
  case KernelKind::kDecode: return "decode";
  case KernelKind::kMerge: return "merge";
  }
  return "?";
}

static_assert(static_cast<int>(KvLayout::kContiguous) == ATTN_KV_CONTIGUOUS &&
                  static_cast<int>(KvLayout::kRagged) == ATTN_KV_RAGGED &&
                  static_cast<int>(KvLayout::kPaged) == ATTN_KV_PAGED &&
                  static_cast<int>(KvLayout::kBlockSparse) == ATTN_KV_BLOCK_SPARSE,
              "KvLayout must mirror abi.h");

const KernelInfo *Manifest::kernel(KernelKind kind) const {
  for (const KernelInfo &k : kernels)
    if (k.kind == kind)
      return &k;
  return nullptr;
}

const ParamInfo *Manifest::param(std::string_view name) const {
  for (const ParamInfo &p : params)
    if (p.name == name)
      return &p;
  return nullptr;
}

int Manifest::dtypeBytes() const { return 2; } // bf16 and f16, the only dtypes parse accepts

bool parseArch(std::string_view arch, ArchVersion *out) {
  if (arch.substr(0, 3) != "sm_")
    return false;
  std::string_view rest = arch.substr(3);
  bool specific = false;
  if (!rest.empty() && rest.back() == 'a') {
    specific = true;
    rest.remove_suffix(1);
  }
  if (rest.size() < 2 || rest.size() > 4)
    return false;
  int v = 0;
  for (char c : rest) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  // sm_90 -> 9.0, sm_100 -> 10.0, sm_120 -> 12.0: the last digit is the minor.
  out->major = v / 10;
  out->minor = v % 10;
  out->archSpecific = specific;
  return true;
}

bool archRunsOn(const ArchVersion &built, int deviceMajor, int deviceMinor) {
  if (built.archSpecific)
    return built.major == deviceMajor && built.minor == deviceMinor;
  return built.major == deviceMajor && deviceMinor >= built.minor;
}

Status checkProgrammaticLaunch(const Manifest &m, int deviceMajor, int deviceMinor) {
  if (!m.programmaticLaunch)
    return invalidArgument("the module's kernels (arch " + m.arch +
                           ") do not wait for the previous grid; compile them for sm_90 or "
                           "newer with this attnc");
  if (deviceMajor < 9)
    return invalidArgument("the device (sm_" + std::to_string(deviceMajor) +
                           std::to_string(deviceMinor) +
                           ") has no programmatic dependent launch; it needs sm_90 or newer");
  return Status::Ok();
}

namespace {

// Reads fields of one JSON object, naming the path in every error.
class FieldReader {
public:
  FieldReader(const JsonValue &obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  Status error(const std::string &key, const std::string &what) const {
    return invalidManifest("\"" + path_ + key + "\" " + what);
  }

  Status get(const std::string &key, bool required, const JsonValue **out) const {
    *out = obj_.find(key);
    if (!*out && required)
      return invalidManifest("missing required field \"" + path_ + key + "\"");
    return Status::Ok();
  }

  Status getInt(const std::string &key, int64_t lo, int64_t hi, bool required,
                int64_t *out) const {
    const JsonValue *v;
    ATTNRT_RETURN_IF_ERROR(get(key, required, &v));
    if (!v)
      return Status::Ok();
    if (!v->isInteger())
      return error(key, std::string("must be an integer, got ") +
                            (v->isNumber() ? "a non-integer number"
                                           : JsonValue::kindName(v->kind())));
    if (v->asInt() < lo || v->asInt() > hi)
      return error(key, "is " + std::to_string(v->asInt()) + ", must be in [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = v->asInt();
    return Status::Ok();
  }

  Status getInt32(const std::string &key, int64_t lo, bool required, int *out) const {
    int64_t v = *out;
    ATTNRT_RETURN_IF_ERROR(getInt(key, lo, INT_MAX, required, &v));
    *out = static_cast<int>(v);
    return Status::Ok();
  }

  Status getString(const std::string &key, bool required, std::string *out) const {
    const JsonValue *v;
    ATTNRT_RETURN_IF_ERROR(get(key, required, &v));
    if (!v)
      return Status::Ok();
    if (!v->isString())
      return error(key, std::string("must be a string, got ") + JsonValue::kindName(v->kind()));
    *out = v->asString();
    return Status::Ok();
  }

  // A string that must be one of `names`; *index = its position.
  Status getEnum(const std::string &key, std::initializer_list<const char *> names,
                 int *index) const {
    std::string s;
    ATTNRT_RETURN_IF_ERROR(getString(key, true, &s));
    int i = 0;
    std::string list;
    for (const char *n : names) {
      if (s == n) {
        *index = i;
        return Status::Ok();
      }
      list += (i ? ", " : "") + std::string(n);
      ++i;
    }
    return error(key, "is \"" + s + "\", expected one of: " + list);
  }

private:
  const JsonValue &obj_;
  std::string path_;
};

Status parseParam(const JsonValue &v, size_t index, ParamInfo *p) {
  std::string path = "params[" + std::to_string(index) + "].";
  if (!v.isObject())
    return invalidManifest("\"" + path.substr(0, path.size() - 1) + "\" must be an object");
  FieldReader r(v, path);
  ATTNRT_RETURN_IF_ERROR(r.getString("name", true, &p->name));
  if (p->name.empty())
    return r.error("name", "must not be empty");
  int type = 0, domain = 0;
  ATTNRT_RETURN_IF_ERROR(r.getEnum("type", {"f32", "i32"}, &type));
  ATTNRT_RETURN_IF_ERROR(
      r.getEnum("domain", {"scalar", "heads", "kv_heads", "batch", "tokens"}, &domain));
  p->type = static_cast<ParamType>(type);
  p->domain = static_cast<ParamDomain>(domain);
  int64_t offset = 0;
  ATTNRT_RETURN_IF_ERROR(r.getInt("offset", 0, INT_MAX, true, &offset));
  p->offset = static_cast<uint32_t>(offset);

  const JsonValue *def = v.find("default");
  if (def && !def->isNull()) {
    if (p->domain != ParamDomain::kScalar)
      return r.error("default", "is only allowed for scalar params");
    if (!def->isNumber())
      return r.error("default", "must be a number");
    if (p->type == ParamType::kI32) {
      if (!def->isInteger() || def->asInt() < INT32_MIN || def->asInt() > INT32_MAX)
        return r.error("default", "must be an integer in the i32 range");
    } else if (!std::isfinite(static_cast<float>(def->asDouble()))) {
      return r.error("default", "is not a finite f32");
    }
    p->hasDefault = true;
    p->defaultValue = def->asDouble();
  }
  return Status::Ok();
}

Status parseKernel(const JsonValue &v, size_t index, KernelInfo *k) {
  std::string path = "kernels[" + std::to_string(index) + "].";
  if (!v.isObject())
    return invalidManifest("\"" + path.substr(0, path.size() - 1) + "\" must be an object");
  FieldReader r(v, path);
  int kind = 0;
  ATTNRT_RETURN_IF_ERROR(r.getEnum("kind", {"prefill", "decode", "merge"}, &kind));
  k->kind = static_cast<KernelKind>(kind);
  ATTNRT_RETURN_IF_ERROR(r.getString("name", true, &k->name));
  if (k->name.empty())
    return r.error("name", "must not be empty");
  int64_t threads = 0;
  ATTNRT_RETURN_IF_ERROR(r.getInt("threads", 1, 1024, true, &threads));
  k->threads = static_cast<int>(threads);
  bool tiled = k->kind != KernelKind::kMerge;
  // The tile shape drives the planner, so attention kernels must state it.
  ATTNRT_RETURN_IF_ERROR(r.getInt32("block_m", 1, tiled, &k->blockM));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("block_n", 1, tiled, &k->blockN));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("num_warps", 1, false, &k->numWarps));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("stages", 1, false, &k->stages));
  ATTNRT_RETURN_IF_ERROR(r.getString("smem_symbol", false, &k->smemSymbol));
  return Status::Ok();
}

} // namespace

static Status parseManifestImpl(std::string_view json, Manifest *out) {
  if (!out)
    return invalidArgument("parseManifest: null output");
  JsonValue root;
  ATTNRT_RETURN_IF_ERROR(parseJson(json, &root));
  if (!root.isObject())
    return invalidManifest("the manifest must be a JSON object");
  FieldReader r(root, "");
  Manifest m;

  // Format and ABI first: a manifest of another version may have other
  // fields, and "wrong version" is the error that helps.
  std::string format;
  ATTNRT_RETURN_IF_ERROR(r.getString("format", true, &format));
  if (format != "attnc-manifest")
    return r.error("format", "is \"" + format + "\", expected \"attnc-manifest\"");
  int64_t abi = 0;
  ATTNRT_RETURN_IF_ERROR(r.getInt("abi_version", INT64_MIN, INT64_MAX, true, &abi));
  if (abi != ATTN_ABI_VERSION)
    return Status(StatusCode::kAbiMismatch,
                  "manifest abi_version is " + std::to_string(abi) +
                      " but this attnrt implements ABI " +
                      std::to_string(ATTN_ABI_VERSION) + ": recompile the variant");
  m.abiVersion = static_cast<int>(abi);

  ATTNRT_RETURN_IF_ERROR(r.getString("attnc_version", false, &m.attncVersion));
  ATTNRT_RETURN_IF_ERROR(r.getString("variant", true, &m.variant));
  if (m.variant.empty())
    return r.error("variant", "must not be empty");
  int dtype = 0;
  ATTNRT_RETURN_IF_ERROR(r.getEnum("dtype", {"bf16", "f16"}, &dtype));
  m.dtype = dtype == 0 ? "bf16" : "f16";

  ATTNRT_RETURN_IF_ERROR(r.getInt32("head_dim_qk", 1, true, &m.headDimQK));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("head_dim_vo", 1, true, &m.headDimVO));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("num_q_heads", 1, true, &m.numQHeads));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("num_kv_heads", 1, true, &m.numKVHeads));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("group_size", 1, true, &m.groupSize));
  if (m.numQHeads % m.numKVHeads != 0 || m.numQHeads / m.numKVHeads != m.groupSize)
    return r.error("group_size", "is " + std::to_string(m.groupSize) +
                                     " but num_q_heads / num_kv_heads = " +
                                     std::to_string(m.numQHeads) + " / " +
                                     std::to_string(m.numKVHeads));

  int layout = 0;
  ATTNRT_RETURN_IF_ERROR(
      r.getEnum("kv_layout", {"contiguous", "ragged", "paged", "block_sparse"}, &layout));
  m.kvLayout = static_cast<KvLayout>(layout);
  ATTNRT_RETURN_IF_ERROR(r.getInt32("page_size", 0, true, &m.pageSize));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("block_q", 0, true, &m.blockQ));
  ATTNRT_RETURN_IF_ERROR(r.getInt32("block_kv", 0, true, &m.blockKV));
  if (m.kvLayout == KvLayout::kPaged && m.pageSize <= 0)
    return r.error("page_size", "must be positive for the paged layout");
  if (m.kvLayout == KvLayout::kBlockSparse && (m.blockQ <= 0 || m.blockKV <= 0))
    return invalidManifest("\"block_q\" and \"block_kv\" must be positive for the "
                           "block_sparse layout");

  int normalize = 0;
  ATTNRT_RETURN_IF_ERROR(r.getEnum("normalize", {"softmax", "none"}, &normalize));
  m.normalize = static_cast<Normalize>(normalize);
  const JsonValue *scale;
  ATTNRT_RETURN_IF_ERROR(r.get("scale", true, &scale));
  if (!scale->isNumber() || !std::isfinite(scale->asDouble()))
    return r.error("scale", "must be a finite number");
  m.scale = scale->asDouble();

  int64_t paramsBytes = 0;
  ATTNRT_RETURN_IF_ERROR(r.getInt("params_bytes", 8, 4096, true, &paramsBytes));
  if (paramsBytes % 8 != 0)
    return r.error("params_bytes", "must be a multiple of 8 (8-byte slots)");
  m.paramsBytes = static_cast<uint32_t>(paramsBytes);

  const JsonValue *params;
  ATTNRT_RETURN_IF_ERROR(r.get("params", true, &params));
  if (!params->isArray())
    return r.error("params", "must be an array");
  std::set<uint32_t> offsets;
  for (size_t i = 0; i < params->asArray().size(); ++i) {
    ParamInfo p;
    ATTNRT_RETURN_IF_ERROR(parseParam(params->asArray()[i], i, &p));
    std::string where = "param \"" + p.name + "\"";
    if (p.name == "token_offsets")
      return invalidManifest(where + ": the name is reserved for slot 0");
    if (m.param(p.name))
      return invalidManifest(where + " is declared twice");
    if (p.offset % 8 != 0)
      return invalidManifest(where + ": offset " + std::to_string(p.offset) +
                             " is not a multiple of 8");
    if (p.offset < 8)
      return invalidManifest(where + ": offset " + std::to_string(p.offset) +
                             " overlaps slot 0 (token_offsets)");
    if (uint64_t(p.offset) + 8 > m.paramsBytes)
      return invalidManifest(where + ": offset " + std::to_string(p.offset) +
                             " + 8 exceeds params_bytes " + std::to_string(m.paramsBytes));
    if (!offsets.insert(p.offset).second)
      return invalidManifest(where + ": offset " + std::to_string(p.offset) +
                             " is used by another param");
    m.params.push_back(std::move(p));
  }

  const JsonValue *kernels;
  ATTNRT_RETURN_IF_ERROR(r.get("kernels", true, &kernels));
  if (!kernels->isArray())
    return r.error("kernels", "must be an array");
  std::set<std::string> names;
  for (size_t i = 0; i < kernels->asArray().size(); ++i) {
    KernelInfo k;
    ATTNRT_RETURN_IF_ERROR(parseKernel(kernels->asArray()[i], i, &k));
    if (m.kernel(k.kind))
      return invalidManifest(std::string("two kernels of kind \"") + kernelKindName(k.kind) +
                             "\"");
    if (!names.insert(k.name).second)
      return invalidManifest("two kernels named \"" + k.name + "\"");
    m.kernels.push_back(std::move(k));
  }
  if (!m.kernel(KernelKind::kPrefill) && !m.kernel(KernelKind::kDecode))
    return invalidManifest("\"kernels\" has neither a prefill nor a decode kernel");

  ATTNRT_RETURN_IF_ERROR(r.getString("arch", true, &m.arch));
  ArchVersion av;
  if (!parseArch(m.arch, &av) && m.arch.substr(0, 8) != "compute_")
    return r.error("arch", "is \"" + m.arch + "\", expected sm_<NN>[a] or compute_<NN>[a]");
  ATTNRT_RETURN_IF_ERROR(r.getString("artifact", false, &m.artifact));
  if (const JsonValue *pdl = root.find("programmatic_launch")) {
    if (!pdl->isBool())
      return r.error("programmatic_launch", "must be true or false");
    m.programmaticLaunch = pdl->asBool();
  }

  // Optional: without it the planner counts every tile as work.
  if (const JsonValue *classifier = root.find("tile_classifier"))
    ATTNRT_RETURN_IF_ERROR(parseClassifierProgram(*classifier, m, &m.tileClassifier));

  *out = std::move(m);
  return Status::Ok();
}

Status parseManifest(std::string_view json, Manifest *out) {
  return guarded("parseManifest", [&] { return parseManifestImpl(json, out); });
}

} // namespace attnrt
