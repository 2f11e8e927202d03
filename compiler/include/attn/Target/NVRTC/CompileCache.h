//===- CompileCache.h - Compiled artifacts on disk, by content hash -*- C++ -*-===//
//
// A second compile of the same spec with the same options must come from
// disk in milliseconds. Entries are files named by a hex key (the caller
// hashes everything the result depends on: the generated source, options,
// attnc version, the templates' bytes, the NVRTC version). Each entry holds
// named blobs plus a SHA-256 of its payload; a truncated, foreign or damaged
// file is a miss, never an error. Writes go to a temporary file that is then
// renamed, so concurrent attnc processes never see half an entry.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_NVRTC_COMPILECACHE_H
#define ATTN_TARGET_NVRTC_COMPILECACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace attn::target {

/// Hex SHA-256 of `parts`, each length-prefixed (so ("ab","c") != ("a","bc")).
std::string hashParts(llvm::ArrayRef<llvm::StringRef> parts);

class CompileCache {
public:
  using Record = std::vector<std::pair<std::string, std::string>>;

  /// `directory` empty: defaultDirectory().
  explicit CompileCache(std::string directory = "");

  /// $ATTNC_CACHE_DIR, else $XDG_CACHE_HOME/attnc, else $HOME/.cache/attnc.
  static std::string defaultDirectory();

  const std::string &directory() const { return dir_; }
  /// The file of `key` (which must be [0-9a-f]+).
  std::string pathFor(llvm::StringRef key) const;

  /// The record stored under `key`; false on a miss or a damaged entry.
  bool lookup(llvm::StringRef key, Record &record) const;
  /// Stores `record` under `key` atomically; false with a message when the
  /// directory or file cannot be written (callers treat that as a warning).
  bool store(llvm::StringRef key, const Record &record, std::string &error) const;

private:
  std::string dir_;
};

} // namespace attn::target

#endif
