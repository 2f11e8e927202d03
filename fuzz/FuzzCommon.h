//===- FuzzCommon.h - Shared helpers for the libFuzzer targets --*- C++ -*-===//
//
// Each target turns one fuzzer input into the text a user could have written
// and drives it through the same calls attnc makes. A user error must end in a
// diagnostic; anything else (a crash, a sanitizer report, an assertion, or an
// "internal error" path that attnc would report with exit code 2) is a bug, and
// the targets turn the last kind into an abort() so libFuzzer records it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_FUZZ_FUZZCOMMON_H
#define ATTN_FUZZ_FUZZCOMMON_H

#include <cstdio>
#include <cstdlib>

namespace attn::fuzz {

/// Reports a broken invariant (attnc's exit code 2 path) and aborts, so the
/// input lands in crash-<sha1> like any other crash.
[[noreturn]] inline void internalError(const char *what) {
  std::fprintf(stderr, "fuzz: internal error: %s\n", what);
  std::abort();
}

} // namespace attn::fuzz

#endif
