//===- SourceFile.h - One .attn buffer and its line table -------*- C++ -*-===//
//
// Every location in the front end is a byte offset into one SourceFile; line
// and column are computed only when a diagnostic or an MLIR location needs them.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_SOURCEFILE_H
#define ATTN_DSL_SOURCEFILE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn::dsl {

/// Half-open byte range [begin, end) in a SourceFile.
struct SourceRange {
  uint32_t begin = 0;
  uint32_t end = 0;
  static SourceRange merge(SourceRange a, SourceRange b) {
    return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
  }
};

/// 1-based line and column (column counts bytes, as clang does).
struct LineCol {
  uint32_t line = 1;
  uint32_t col = 1;
};

class SourceFile {
public:
  SourceFile(std::string name, std::string text);

  /// Reads a file; returns false and sets `error` when it cannot be read.
  static bool load(const std::string &path, SourceFile &out, std::string &error);

  const std::string &name() const { return name_; }
  std::string_view text() const { return text_; }
  LineCol lineCol(uint32_t offset) const;
  /// The text of 1-based line `line`, without its newline.
  std::string_view lineText(uint32_t line) const;

private:
  std::string name_;
  std::string text_;
  std::vector<uint32_t> lineStarts_;
};

} // namespace attn::dsl

#endif
