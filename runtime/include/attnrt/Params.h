//===- Params.h - Named runtime params -> the kernel's params blob -*- C++ -*-===//
//
// A variant's runtime params (`param cap : f32 = 50.0;`, `param slopes :
// f32[heads];`) reach the kernels as one by-value struct of 8-byte slots whose
// layout the manifest gives. ParamSet collects values by name, independent of
// any module; packParams checks them against the manifest and writes the blob.
// Pure host code.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_PARAMS_H
#define ATTNRT_PARAMS_H

#include "attnrt/Batch.h"
#include "attnrt/Manifest.h"
#include "attnrt/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnrt {

class ParamSet {
public:
  // Setting a name again replaces its value.
  void setF32(const std::string &name, float value);
  void setI32(const std::string &name, int32_t value);
  // A device array of `count` elements of `type` (count may exceed the
  // domain's length: a capacity-sized buffer is fine).
  void setArray(const std::string &name, ParamType type, DevPtr data,
                int64_t count);
  void clear() { values_.clear(); }

  struct Value {
    std::string name;
    ParamType type = ParamType::kF32;
    bool isArray = false;
    float f32 = 0;
    int32_t i32 = 0;
    DevPtr data = 0;
    int64_t count = 0;
  };
  const std::vector<Value> &values() const { return values_; }

private:
  Value &slot(const std::string &name);
  std::vector<Value> values_;
};

// Lengths of the array domains for one batch.
struct DomainSizes {
  int64_t heads = 0, kvHeads = 0, batch = 0, tokens = 0;
};
DomainSizes domainSizes(const Manifest &m, const BatchInfo &info);

// Builds the params blob (m.paramsBytes bytes, zero-filled): slot 0 =
// tokenOffsets (device pointer to the [B+1] kv token offsets), each param at
// its offset (f32/i32 in the slot's low 4 bytes, arrays as a device pointer).
// Errors: unknown name, scalar given as array or vice versa, f32 given as i32
// or vice versa, missing param without default, null array, array shorter
// than its domain.
Status packParams(const Manifest &m, const ParamSet &values,
                  const DomainSizes &sizes, DevPtr tokenOffsets,
                  std::vector<uint8_t> *blob);

} // namespace attnrt

#endif // ATTNRT_PARAMS_H
