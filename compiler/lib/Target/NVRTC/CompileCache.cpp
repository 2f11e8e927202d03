//===- CompileCache.cpp - Compiled artifacts on disk, by content hash -----===//
//
// Entry file layout (all integers little-endian):
//   "ATTNC-CACHE-1\n"            magic and format version (14 bytes)
//   u64 payload size
//   32 bytes SHA-256 of the payload
//   payload: u32 count, then per blob: u32 name size, name, u64 data size, data
//
//===----------------------------------------------------------------------===//
#include "attn/Target/NVRTC/CompileCache.h"

#include "llvm/Support/SHA256.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace attn::target {

namespace {

constexpr char kMagic[] = "ATTNC-CACHE-1\n";
constexpr size_t kMagicSize = sizeof(kMagic) - 1;

std::string toHex(const std::array<uint8_t, 32> &digest) {
  static const char *digits = "0123456789abcdef";
  std::string hex;
  for (uint8_t b : digest) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex;
}

void putU32(std::string &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void putU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xff);
}

/// Bounds-checked reads over a byte string.
struct Reader {
  llvm::StringRef data;
  size_t pos = 0;
  bool get(size_t n, llvm::StringRef &out) {
    if (n > data.size() - pos)
      return false;
    out = data.substr(pos, n);
    pos += n;
    return true;
  }
  template <typename T> bool getInt(T &v) {
    llvm::StringRef bytes;
    if (!get(sizeof(T), bytes))
      return false;
    v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(static_cast<uint8_t>(bytes[i])) << (8 * i);
    return true;
  }
};

bool isHexKey(llvm::StringRef key) {
  return !key.empty() && key.size() <= 128 &&
         key.find_first_not_of("0123456789abcdef") == llvm::StringRef::npos;
}

} // namespace

std::string hashParts(llvm::ArrayRef<llvm::StringRef> parts) {
  llvm::SHA256 sha;
  for (llvm::StringRef part : parts) {
    std::string size;
    putU64(size, part.size());
    sha.update(size);
    sha.update(part);
  }
  return toHex(sha.final());
}

CompileCache::CompileCache(std::string directory)
    : dir_(directory.empty() ? defaultDirectory() : std::move(directory)) {}

std::string CompileCache::defaultDirectory() {
  if (const char *d = std::getenv("ATTNC_CACHE_DIR"); d && *d)
    return d;
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/attnc";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/attnc";
  return ".attnc-cache";
}

std::string CompileCache::pathFor(llvm::StringRef key) const {
  return dir_ + "/" + key.str() + ".entry";
}

bool CompileCache::lookup(llvm::StringRef key, Record &record) const {
  record.clear();
  if (!isHexKey(key))
    return false;
  std::ifstream in(pathFor(key), std::ios::binary);
  if (!in)
    return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();

  Reader r{bytes};
  llvm::StringRef magic, digest, payload;
  uint64_t size = 0;
  if (!r.get(kMagicSize, magic) || magic != llvm::StringRef(kMagic, kMagicSize) ||
      !r.getInt(size) || !r.get(32, digest) || size != bytes.size() - r.pos ||
      !r.get(size, payload))
    return false;
  llvm::SHA256 sha;
  sha.update(payload);
  std::array<uint8_t, 32> actual = sha.final();
  if (std::memcmp(actual.data(), digest.data(), 32) != 0)
    return false;

  Reader p{payload};
  uint32_t count = 0;
  if (!p.getInt(count))
    return false;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t nameSize = 0;
    uint64_t dataSize = 0;
    llvm::StringRef name, data;
    if (!p.getInt(nameSize) || !p.get(nameSize, name) || !p.getInt(dataSize) ||
        !p.get(dataSize, data)) {
      record.clear();
      return false;
    }
    record.emplace_back(name.str(), data.str());
  }
  if (p.pos != payload.size()) {
    record.clear();
    return false;
  }
  return true;
}

bool CompileCache::store(llvm::StringRef key, const Record &record, std::string &error) const {
  if (!isHexKey(key)) {
    error = "invalid cache key";
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    error = "cannot create cache directory '" + dir_ + "': " + ec.message();
    return false;
  }
  std::string payload;
  putU32(payload, static_cast<uint32_t>(record.size()));
  for (const auto &[name, data] : record) {
    putU32(payload, static_cast<uint32_t>(name.size()));
    payload += name;
    putU64(payload, data.size());
    payload += data;
  }
  llvm::SHA256 sha;
  sha.update(payload);
  std::array<uint8_t, 32> digest = sha.final();
  std::string file(kMagic, kMagicSize);
  putU64(file, payload.size());
  file.append(reinterpret_cast<const char *>(digest.data()), digest.size());
  file += payload;

  // A name no other writer uses: pid plus a per-process counter.
  static std::atomic<unsigned> counter{0};
  std::string tmp = pathFor(key) + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      error = "cannot write cache entry '" + tmp + "'";
      return false;
    }
  }
  std::filesystem::rename(tmp, pathFor(key), ec);
  if (ec) {
    std::remove(tmp.c_str());
    error = "cannot rename cache entry into place: " + ec.message();
    return false;
  }
  return true;
}

} // namespace attn::target
