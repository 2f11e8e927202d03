//===- SourceFile.cpp - One .attn buffer and its line table ---------------===//
#include "attn/dsl/SourceFile.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

namespace attn::dsl {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  // Offsets are 32-bit; a larger file is cut rather than mis-addressed (no
  // real .attn file comes anywhere near 4 GiB).
  if (text_.size() >= std::numeric_limits<uint32_t>::max())
    text_.resize(std::numeric_limits<uint32_t>::max() - 1);
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(static_cast<uint32_t>(i + 1));
}

bool SourceFile::load(const std::string &path, SourceFile &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open `" + path + "`";
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    error = "cannot read `" + path + "`";
    return false;
  }
  out = SourceFile(path, buf.str());
  return true;
}

LineCol SourceFile::lineCol(uint32_t offset) const {
  if (offset > text_.size())
    offset = static_cast<uint32_t>(text_.size());
  // The last line start <= offset.
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  size_t line = static_cast<size_t>(it - lineStarts_.begin()); // 1-based
  return {static_cast<uint32_t>(line), offset - lineStarts_[line - 1] + 1};
}

std::string_view SourceFile::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size())
    return {};
  uint32_t begin = lineStarts_[line - 1];
  uint32_t end = line < lineStarts_.size() ? lineStarts_[line] - 1
                                           : static_cast<uint32_t>(text_.size());
  std::string_view s(text_);
  s = s.substr(begin, end - begin);
  if (!s.empty() && s.back() == '\r')
    s.remove_suffix(1);
  return s;
}

} // namespace attn::dsl
