//===- EmbeddedHeaders.cpp - The kernel templates, compiled into attnc ----===//
#include "attn/Target/CUDA/EmbeddedHeaders.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace attn::target {

namespace {
struct EmbeddedHeaderEntry {
  const char *name;
  const char *data;
  unsigned size;
};
#include "EmbeddedKernelHeaders.inc"

/// "a/b/../c.h" -> "a/c.h"; null when it climbs out of the root.
bool normalizePath(llvm::StringRef path, std::string &out) {
  llvm::SmallVector<llvm::StringRef, 8> parts, kept;
  path.split(parts, '/');
  for (llvm::StringRef part : parts) {
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (kept.empty())
        return false;
      kept.pop_back();
      continue;
    }
    kept.push_back(part);
  }
  out.clear();
  for (llvm::StringRef part : kept) {
    if (!out.empty())
      out += '/';
    out += part.str();
  }
  return true;
}

/// The quoted name of an `#include "..."` line, or empty.
llvm::StringRef includedName(llvm::StringRef line) {
  llvm::StringRef s = line.ltrim();
  if (!s.consume_front("#"))
    return {};
  s = s.ltrim();
  if (!s.consume_front("include"))
    return {};
  s = s.ltrim();
  if (!s.consume_front("\""))
    return {};
  size_t end = s.find('"');
  return end == llvm::StringRef::npos ? llvm::StringRef() : s.take_front(end);
}

bool isPragmaOnce(llvm::StringRef line) {
  llvm::StringRef s = line.ltrim();
  if (!s.consume_front("#"))
    return false;
  s = s.ltrim();
  if (!s.consume_front("pragma"))
    return false;
  return s.trim() == "once";
}

class Inliner {
public:
  std::string run(llvm::StringRef source) {
    std::string out;
    expand(source, "", out);
    return out;
  }

private:
  const EmbeddedHeader *resolve(llvm::StringRef name, llvm::StringRef includerDir) {
    std::string path;
    if (!includerDir.empty() && normalizePath(includerDir.str() + "/" + name.str(), path))
      if (const EmbeddedHeader *h = findEmbeddedHeader(path))
        return h;
    if (normalizePath(name, path))
      return findEmbeddedHeader(path);
    return nullptr;
  }

  void expand(llvm::StringRef text, llvm::StringRef dir, std::string &out) {
    while (!text.empty()) {
      auto [line, rest] = text.split('\n');
      bool hadNewline = text.size() > line.size();
      text = rest;
      llvm::StringRef name = includedName(line);
      const EmbeddedHeader *h = name.empty() ? nullptr : resolve(name, dir);
      if (h) {
        if (done_.insert(h->name).second) {
          out += "// ---- begin " + h->name.str() + " (embedded by attnc) ----\n";
          size_t slash = h->name.rfind('/');
          expand(h->text, slash == llvm::StringRef::npos ? "" : h->name.take_front(slash), out);
          if (!out.empty() && out.back() != '\n')
            out += '\n';
          out += "// ---- end " + h->name.str() + " ----\n";
        } else {
          out += "// (already inlined: " + h->name.str() + ")\n";
        }
        continue;
      }
      if (!dir.empty() && isPragmaOnce(line)) // meaningless in one flat TU
        out += "// #pragma once";
      else
        out += line.str();
      if (hadNewline)
        out += '\n';
    }
  }

  llvm::StringSet<> done_;
};

} // namespace

llvm::ArrayRef<EmbeddedHeader> embeddedKernelHeaders() {
  static const std::vector<EmbeddedHeader> headers = [] {
    std::vector<EmbeddedHeader> all;
    for (const EmbeddedHeaderEntry &e : kEmbeddedHeaderTable)
      if (e.name)
        all.push_back({e.name, llvm::StringRef(e.data, e.size)});
    return all;
  }();
  return headers;
}

const EmbeddedHeader *findEmbeddedHeader(llvm::StringRef name) {
  for (const EmbeddedHeader &h : embeddedKernelHeaders())
    if (h.name == name)
      return &h;
  return nullptr;
}

const std::string &embeddedHeadersDigest() {
  static const std::string digest = [] {
    llvm::SHA256 sha;
    for (const EmbeddedHeader &h : embeddedKernelHeaders()) {
      // Length-prefixed, so no two header sets hash the same bytes.
      std::string sizes = std::to_string(h.name.size()) + ":" + std::to_string(h.text.size()) + ":";
      sha.update(sizes);
      sha.update(h.name);
      sha.update(h.text);
    }
    std::string hex;
    llvm::raw_string_ostream os(hex);
    for (uint8_t b : sha.final())
      os << llvm::format_hex_no_prefix(b, 2);
    return os.str();
  }();
  return digest;
}

std::string inlineEmbeddedIncludes(llvm::StringRef source) {
  return Inliner().run(source);
}

} // namespace attn::target
