//===- PtxasReport.cpp - Parsing ptxas -v output --------------------------===//
//
// The lines this reads (CUDA 12/13):
//   ptxas info    : Compiling entry function 'attn_x_prefill' for 'sm_90a'
//   ptxas info    : Function properties for attn_x_prefill
//       0 bytes stack frame, 8 bytes spill stores, 8 bytes spill loads
//   ptxas info    : Used 168 registers, used 1 barriers, 1024 bytes smem, ...
// "Used ..." belongs to the function named by the latest "Compiling" line;
// the properties line to the latest "Function properties for" line (which
// also covers non-inlined device functions, whose spills count too).
//
//===----------------------------------------------------------------------===//
#include "attn/Target/NVRTC/PtxasReport.h"

#include "llvm/ADT/SmallVector.h"

#include <cstring>

namespace attn::target {

namespace {

/// The number right before `unit` in `line` ("8 bytes spill stores" ->
/// 8 for unit "bytes spill stores"), or 0.
unsigned numberBefore(llvm::StringRef line, llvm::StringRef unit) {
  size_t at = line.find(unit);
  if (at == llvm::StringRef::npos)
    return 0;
  llvm::StringRef head = line.take_front(at).rtrim();
  size_t start = head.find_last_not_of("0123456789");
  llvm::StringRef digits = start == llvm::StringRef::npos ? head : head.drop_front(start + 1);
  unsigned value = 0;
  return digits.getAsInteger(10, value) ? 0 : value;
}

llvm::StringRef quotedOrRest(llvm::StringRef text) {
  text = text.trim();
  if (text.consume_front("'"))
    return text.take_until([](char c) { return c == '\''; });
  return text.take_until([](char c) { return c == ' '; });
}

} // namespace

std::vector<KernelResources> parsePtxasLog(llvm::StringRef log) {
  std::vector<KernelResources> out;
  auto entryFor = [&](llvm::StringRef name) -> KernelResources & {
    for (KernelResources &k : out)
      if (k.function == name)
        return k;
    out.push_back(KernelResources());
    out.back().function = name.str();
    return out.back();
  };
  std::string compiling, properties;
  llvm::SmallVector<llvm::StringRef, 64> lines;
  log.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    size_t at;
    if ((at = line.find("Compiling entry function")) != llvm::StringRef::npos) {
      compiling = quotedOrRest(line.drop_front(at + strlen("Compiling entry function"))).str();
      entryFor(compiling).isEntry = true;
    } else if ((at = line.find("Function properties for")) != llvm::StringRef::npos) {
      properties = quotedOrRest(line.drop_front(at + strlen("Function properties for"))).str();
    } else if (line.contains("bytes stack frame") && !properties.empty()) {
      KernelResources &k = entryFor(properties);
      k.stackBytes = numberBefore(line, "bytes stack frame");
      k.spillStores = numberBefore(line, "bytes spill stores");
      k.spillLoads = numberBefore(line, "bytes spill loads");
    } else if (line.contains("Used") && line.contains("registers") && !compiling.empty()) {
      KernelResources &k = entryFor(compiling);
      k.registers = numberBefore(line, "registers");
      k.sharedBytes = numberBefore(line, "bytes smem");
    }
  }
  return out;
}

} // namespace attn::target
