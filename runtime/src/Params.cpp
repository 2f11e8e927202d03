//===- Params.cpp - Packing the params blob -------------------------------===//
//
// The blob is the kernel's by-value Params struct: 8-byte slots, scalars in
// the low 4 bytes (little endian, as the GPU), arrays as device pointers.
// Type and shape are checked strictly: an f32 passed for an i32 param would
// be reinterpreted bit for bit by the kernel, not converted.
//
//===----------------------------------------------------------------------===//
#include "attnrt/Params.h"

#include "Guard.h"

#include <cstring>

namespace attnrt {

ParamSet::Value &ParamSet::slot(const std::string &name) {
  for (Value &v : values_)
    if (v.name == name) {
      v = Value();
      v.name = name;
      return v;
    }
  values_.emplace_back();
  values_.back().name = name;
  return values_.back();
}

void ParamSet::setF32(const std::string &name, float value) {
  Value &v = slot(name);
  v.type = ParamType::kF32;
  v.f32 = value;
}

void ParamSet::setI32(const std::string &name, int32_t value) {
  Value &v = slot(name);
  v.type = ParamType::kI32;
  v.i32 = value;
}

void ParamSet::setArray(const std::string &name, ParamType type, DevPtr data, int64_t count) {
  Value &v = slot(name);
  v.type = type;
  v.isArray = true;
  v.data = data;
  v.count = count;
}

DomainSizes domainSizes(const Manifest &m, const BatchInfo &info) {
  DomainSizes s;
  s.heads = m.numQHeads;
  s.kvHeads = m.numKVHeads;
  s.batch = static_cast<int64_t>(info.kvLens.size());
  s.tokens = info.totalKvTokens;
  return s;
}

static int64_t domainLength(ParamDomain d, const DomainSizes &s) {
  switch (d) {
  case ParamDomain::kScalar: return 1;
  case ParamDomain::kHeads: return s.heads;
  case ParamDomain::kKvHeads: return s.kvHeads;
  case ParamDomain::kBatch: return s.batch;
  case ParamDomain::kTokens: return s.tokens;
  }
  return 0;
}

static std::string describe(const ParamInfo &p) {
  std::string s = "param '" + p.name + "' (" + paramTypeName(p.type);
  if (p.domain != ParamDomain::kScalar)
    s += std::string("[") + paramDomainName(p.domain) + "]";
  return s + ")";
}

static Status packParamsImpl(const Manifest &m, const ParamSet &values, const DomainSizes &sizes,
                  DevPtr tokenOffsets, std::vector<uint8_t> *blob) {
  if (!blob)
    return invalidArgument("packParams: null output");
  for (const ParamSet::Value &v : values.values())
    if (!m.param(v.name)) {
      std::string known;
      for (const ParamInfo &p : m.params)
        known += (known.empty() ? "" : ", ") + p.name;
      return invalidArgument("unknown param '" + v.name + "' for variant '" + m.variant +
                             "' (its params: " + (known.empty() ? "none" : known) + ")");
    }

  std::vector<uint8_t> out(m.paramsBytes, 0);
  std::memcpy(out.data(), &tokenOffsets, sizeof(DevPtr)); // slot 0
  for (const ParamInfo &p : m.params) {
    const ParamSet::Value *given = nullptr;
    for (const ParamSet::Value &v : values.values())
      if (v.name == p.name)
        given = &v;
    uint8_t *slot = out.data() + p.offset;
    const bool isArray = p.domain != ParamDomain::kScalar;

    if (!given) {
      if (isArray || !p.hasDefault)
        return invalidArgument(describe(p) + " is required: it has no default");
      if (p.type == ParamType::kF32) {
        float f = static_cast<float>(p.defaultValue);
        std::memcpy(slot, &f, 4);
      } else {
        int32_t i = static_cast<int32_t>(p.defaultValue);
        std::memcpy(slot, &i, 4);
      }
      continue;
    }
    if (given->isArray != isArray)
      return invalidArgument(describe(p) + (isArray ? " is an array: pass a device pointer "
                                                      "and an element count"
                                                    : " is a scalar, an array was given"));
    if (given->type != p.type)
      return invalidArgument(describe(p) + " was given a value of type " +
                             paramTypeName(given->type));
    if (!isArray) {
      if (p.type == ParamType::kF32)
        std::memcpy(slot, &given->f32, 4);
      else
        std::memcpy(slot, &given->i32, 4);
      continue;
    }
    int64_t need = domainLength(p.domain, sizes);
    if (given->count < need)
      return invalidArgument(describe(p) + " has " + std::to_string(given->count) +
                             " elements, needs " + std::to_string(need));
    if (given->data == 0 && need > 0)
      return invalidArgument(describe(p) + " is a null device pointer");
    if (given->data % 4 != 0)
      return invalidArgument(describe(p) + " is not 4-byte aligned");
    std::memcpy(slot, &given->data, sizeof(DevPtr));
  }
  *blob = std::move(out);
  return Status::Ok();
}

Status packParams(const Manifest &m, const ParamSet &values, const DomainSizes &sizes,
                  DevPtr tokenOffsets, std::vector<uint8_t> *blob) {
  return guarded("packParams",
                 [&] { return packParamsImpl(m, values, sizes, tokenOffsets, blob); });
}

} // namespace attnrt
