//===- Json.cpp - Recursive-descent JSON parser ---------------------------===//
//
// Strict RFC 8259: no comments, no trailing commas, no NaN/Infinity, no
// leading zeros, control characters must be escaped. Numbers go through
// strtod in the "C" locale semantics (we only feed it the validated JSON
// number grammar, which has no locale-dependent characters except '.', so we
// parse integers ourselves and give strtod only what we checked).
//
//===----------------------------------------------------------------------===//
#include "attnrt/Json.h"

#include "Guard.h"

#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace attnrt {

const JsonValue *JsonValue::find(std::string_view key) const {
  if (kind_ != Kind::kObject)
    return nullptr;
  for (const auto &member : object_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *JsonValue::kindName(Kind kind) {
  switch (kind) {
  case Kind::kNull: return "null";
  case Kind::kBool: return "boolean";
  case Kind::kNumber: return "number";
  case Kind::kString: return "string";
  case Kind::kArray: return "array";
  case Kind::kObject: return "object";
  }
  return "?";
}

class JsonParser {
public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Status parseDocument(JsonValue *out) {
    skipSpace();
    ATTNRT_RETURN_IF_ERROR(parseValue(out, 0));
    skipSpace();
    if (pos_ != text_.size())
      return error("unexpected characters after the JSON value");
    return Status::Ok();
  }

private:
  std::string_view text_;
  size_t pos_ = 0;

  Status error(const std::string &what) const {
    // Line and column (1-based, in bytes) of the current position.
    int line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Status(StatusCode::kParseError, "line " + std::to_string(line) +
                                               ", column " + std::to_string(column) +
                                               ": " + what);
  }

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  void skipSpace() {
    while (!atEnd()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      ++pos_;
    }
  }

  bool consumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }

  Status parseValue(JsonValue *out, int depth) {
    if (depth >= kJsonMaxDepth)
      return error("nesting deeper than " + std::to_string(kJsonMaxDepth) + " levels");
    if (atEnd())
      return error("unexpected end of input, expected a value");
    char c = peek();
    switch (c) {
    case '{': return parseObject(out, depth);
    case '[': return parseArray(out, depth);
    case '"':
      out->kind_ = JsonValue::Kind::kString;
      return parseString(&out->string_);
    case 't':
    case 'f':
    case 'n':
      if (consumeWord("true")) {
        out->kind_ = JsonValue::Kind::kBool;
        out->bool_ = true;
      } else if (consumeWord("false")) {
        out->kind_ = JsonValue::Kind::kBool;
        out->bool_ = false;
      } else if (consumeWord("null")) {
        out->kind_ = JsonValue::Kind::kNull;
      } else {
        return error("invalid literal");
      }
      return Status::Ok();
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return parseNumber(out);
      return error(std::string("unexpected character '") + c + "'");
    }
  }

  Status parseObject(JsonValue *out, int depth) {
    out->kind_ = JsonValue::Kind::kObject;
    ++pos_; // '{'
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      return Status::Ok();
    }
    for (;;) {
      skipSpace();
      if (peek() != '"')
        return error("expected a string key");
      std::string key;
      size_t keyPos = pos_;
      ATTNRT_RETURN_IF_ERROR(parseString(&key));
      if (out->find(key)) {
        pos_ = keyPos;
        return error("duplicate key \"" + key + "\"");
      }
      skipSpace();
      if (peek() != ':')
        return error("expected ':' after key");
      ++pos_;
      skipSpace();
      JsonValue value;
      ATTNRT_RETURN_IF_ERROR(parseValue(&value, depth + 1));
      out->object_.emplace_back(std::move(key), std::move(value));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return Status::Ok();
      }
      return error(atEnd() ? "unterminated object" : "expected ',' or '}' in object");
    }
  }

  Status parseArray(JsonValue *out, int depth) {
    out->kind_ = JsonValue::Kind::kArray;
    ++pos_; // '['
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return Status::Ok();
    }
    for (;;) {
      skipSpace();
      JsonValue value;
      ATTNRT_RETURN_IF_ERROR(parseValue(&value, depth + 1));
      out->array_.push_back(std::move(value));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return Status::Ok();
      }
      return error(atEnd() ? "unterminated array" : "expected ',' or ']' in array");
    }
  }

  static void appendUtf8(std::string *s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  Status parseHex4(uint32_t *out) {
    if (text_.size() - pos_ < 4)
      return error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return error("invalid hex digit in \\u escape");
    }
    pos_ += 4;
    *out = v;
    return Status::Ok();
  }

  Status parseString(std::string *out) {
    ++pos_; // '"'
    out->clear();
    for (;;) {
      if (atEnd())
        return error("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return error("unescaped control character in string");
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (atEnd())
        return error("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        ATTNRT_RETURN_IF_ERROR(parseHex4(&cp));
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low surrogate.
          if (!consumeWord("\\u"))
            return error("unpaired high surrogate in \\u escape");
          uint32_t low = 0;
          ATTNRT_RETURN_IF_ERROR(parseHex4(&low));
          if (low < 0xDC00 || low > 0xDFFF)
            return error("invalid low surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return error("unpaired low surrogate in \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        --pos_;
        return error(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  Status parseNumber(JsonValue *out) {
    size_t start = pos_;
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (!isDigit(peek()))
      return error("expected a digit");
    if (peek() == '0') {
      ++pos_;
      if (isDigit(peek()))
        return error("leading zeros are not allowed");
    } else {
      while (isDigit(peek()))
        ++pos_;
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!isDigit(peek()))
        return error("expected a digit after '.'");
      while (isDigit(peek()))
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!isDigit(peek()))
        return error("expected a digit in exponent");
      while (isDigit(peek()))
        ++pos_;
    }
    std::string lexeme(text_.substr(start, pos_ - start));
    out->kind_ = JsonValue::Kind::kNumber;

    // Exact integer path: accumulate in uint64 and check the range.
    if (integral) {
      uint64_t magnitude = 0;
      bool overflow = false;
      for (char c : lexeme) {
        if (c == '-')
          continue;
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (magnitude > (UINT64_MAX - d) / 10) {
          overflow = true;
          break;
        }
        magnitude = magnitude * 10 + d;
      }
      const uint64_t limit = negative ? (uint64_t(INT64_MAX) + 1) : uint64_t(INT64_MAX);
      if (!overflow && magnitude <= limit) {
        out->isInteger_ = true;
        out->integer_ = negative ? static_cast<int64_t>(0 - magnitude)
                                 : static_cast<int64_t>(magnitude);
      }
    }

    // strtod honours the C locale's decimal point; if a host program set a
    // locale with ',' we translate our '.' accordingly.
    const char *decimal = std::localeconv()->decimal_point;
    if (decimal && decimal[0] != '.' && decimal[0] != '\0')
      for (char &c : lexeme)
        if (c == '.')
          c = decimal[0];
    errno = 0;
    char *end = nullptr;
    double v = std::strtod(lexeme.c_str(), &end);
    if (end != lexeme.c_str() + lexeme.size()) {
      pos_ = start;
      return error("invalid number");
    }
    if (errno == ERANGE && std::isinf(v)) {
      pos_ = start;
      return error("number out of range");
    }
    out->number_ = v;
    return Status::Ok();
  }
};

static Status parseJsonImpl(std::string_view text, JsonValue *out) {
  if (!out)
    return invalidArgument("parseJson: null output");
  JsonValue value;
  JsonParser parser(text);
  ATTNRT_RETURN_IF_ERROR(parser.parseDocument(&value));
  *out = std::move(value);
  return Status::Ok();
}

Status parseJson(std::string_view text, JsonValue *out) {
  return guarded("parseJson", [&] { return parseJsonImpl(text, out); });
}

} // namespace attnrt
