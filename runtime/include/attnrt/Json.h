//===- Json.h - A small JSON reader for manifests ---------------*- C++ -*-===//
//
// attnrt has no third-party dependencies, so it carries its own JSON parser:
// RFC 8259 values, UTF-8 strings with \u escapes (surrogate pairs included),
// numbers kept as double (and as an exact int64 when they are integers),
// nesting bounded so hostile input cannot overflow the stack. Errors carry
// line:column. Pure host code.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNRT_JSON_H
#define ATTNRT_JSON_H

#include "attnrt/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnrt {

class JsonValue {
public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default; // null

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::kNull; }
  bool isBool() const { return kind_ == Kind::kBool; }
  bool isNumber() const { return kind_ == Kind::kNumber; }
  bool isString() const { return kind_ == Kind::kString; }
  bool isArray() const { return kind_ == Kind::kArray; }
  bool isObject() const { return kind_ == Kind::kObject; }
  // True for numbers written without fraction/exponent that fit in int64.
  bool isInteger() const { return kind_ == Kind::kNumber && isInteger_; }

  bool asBool() const { return bool_; }
  double asDouble() const { return number_; }
  int64_t asInt() const { return integer_; }
  const std::string &asString() const { return string_; }
  const std::vector<JsonValue> &asArray() const { return array_; }
  // Members in document order (duplicate keys are a parse error).
  const std::vector<std::pair<std::string, JsonValue>> &asObject() const {
    return object_;
  }
  // Member lookup; nullptr when absent or when this is not an object.
  const JsonValue *find(std::string_view key) const;

  static const char *kindName(Kind);

private:
  friend class JsonParser;
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  bool isInteger_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> object_;
};

// Parses exactly one JSON value (surrounded by optional whitespace).
// kParseError with "line L, column C: ..." on malformed input.
Status parseJson(std::string_view text, JsonValue *out);

constexpr int kJsonMaxDepth = 64;

} // namespace attnrt

#endif // ATTNRT_JSON_H
