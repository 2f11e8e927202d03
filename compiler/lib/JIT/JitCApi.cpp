//===- JitCApi.cpp - attn_jit_compile -------------------------------------===//
//
// Compiles with attn::jit::compileSource, then loads through attn.h's
// attn_module_load: the module lands in the registry of the attnrt the
// program links (this library does not carry a second one), and errors go
// to the same attn_last_error through attn_report_error.
//
//===----------------------------------------------------------------------===//
#include "attn/JIT/attn_jit.h"
#include "attn/JIT/Jit.h"

#include <exception>
#include <string>

namespace {

attn_status fail(attn_status code, const std::string &message) {
  return attn_report_error(code, ("attn_jit_compile: " + message).c_str());
}

attn_status compile(const char *source, size_t len, const char *filename,
                    const attn_jit_options *opts, attn_module *out) {
  if (!out)
    return fail(ATTN_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (!source)
    return fail(ATTN_INVALID_ARGUMENT, "source is NULL");
  attn::jit::JitOptions o;
  if (opts && opts->cache_dir)
    o.cacheDir = opts->cache_dir;
  o.useCache = !(opts && opts->no_cache);
  if (opts && opts->variant)
    o.variant = opts->variant;
  if (opts && opts->arch) {
    o.arch = opts->arch;
  } else {
    int32_t major = 0, minor = 0;
    if (attn_status s = attn_current_device(&major, &minor); s != ATTN_OK)
      return fail(s, std::string("no arch given and ") + attn_last_error());
    o.arch = attn::jit::archForDevice(major, minor);
    if (o.arch.empty())
      return fail(ATTN_UNSUPPORTED, "attnc does not compile for this GPU (sm_" +
                                        std::to_string(major) + std::to_string(minor) + ")");
  }
  attn::jit::JitArtifact art;
  std::string diagnostics;
  switch (attn::jit::compileSource(std::string_view(source, len), filename ? filename : "<jit>",
                                   o, art, diagnostics)) {
  case attn::jit::JitError::kNone:
    break;
  case attn::jit::JitError::kUserError:
    // The diagnostics alone: they already name the file and position.
    return attn_report_error(ATTN_INVALID_ARGUMENT, diagnostics.c_str());
  case attn::jit::JitError::kUnsupportedArch:
    return fail(ATTN_UNSUPPORTED, diagnostics);
  case attn::jit::JitError::kNoCudaHeaders:
    return fail(ATTN_NOT_FOUND, diagnostics);
  case attn::jit::JitError::kInternal:
    return fail(ATTN_INTERNAL, diagnostics);
  }
  return attn_module_load(art.image.data(), art.image.size(), art.manifestJson.data(),
                          art.manifestJson.size(), out);
}

} // namespace

extern "C" attn_status attn_jit_compile(const char *source, size_t len, const char *filename,
                                        const attn_jit_options *opts, attn_module *out) {
#if defined(__cpp_exceptions)
  try {
    return compile(source, len, filename, opts, out);
  } catch (const std::exception &e) {
    return attn_report_error(ATTN_INTERNAL, e.what());
  } catch (...) {
    return attn_report_error(ATTN_INTERNAL, "attn_jit_compile: unknown exception");
  }
#else
  return compile(source, len, filename, opts, out);
#endif
}
