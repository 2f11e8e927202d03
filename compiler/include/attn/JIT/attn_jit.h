/*===- attn_jit.h - Compile a .attn source in-process and load it ---------===*
 *
 * The C entry of attnc's JIT: NVRTC-compiles a variant for the current GPU
 * (through attnc's on-disk compile cache) and loads it as an attn_module of
 * attn.h. Library: attnc::jit (libattnc_jit.so, which carries the compiler;
 * it calls into the attnrt C API the program links).
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTN_JIT_H
#define ATTN_JIT_H

#include "attn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* All zeros (or a NULL pointer) = the defaults. */
typedef struct attn_jit_options {
  /* "sm_80", "sm_90a"...; NULL: the current context's device (sm_90 devices
   * get sm_90a). */
  const char *arch;
  /* NULL: $ATTNC_CACHE_DIR, else ~/.cache/attnc (as attnc compile). */
  const char *cache_dir;
  int32_t no_cache; /* nonzero: neither read nor write the cache */
  /* Which variant when the source defines several; NULL: the only one. */
  const char *variant;
} attn_jit_options;

/* Compiles `source` (`len` bytes, named `filename` in diagnostics; NULL:
 * "<jit>") and loads the result into the current CUDA context.
 *  - ATTN_INVALID_ARGUMENT: source or out NULL, or the source does not
 *    compile: attn_last_error() is then attnc's clang-style diagnostics
 *    ("file:line:col: error: ...", the line, a caret).
 *  - ATTN_UNSUPPORTED: the arch is not one attnc compiles for.
 *  - ATTN_NOT_FOUND: NVRTC cannot find the CUDA headers.
 *  - ATTN_INTERNAL: the compiler failed on a valid source (a bug).
 *  - whatever attn_module_load returns. */
attn_status attn_jit_compile(const char *source, size_t len, const char *filename,
                             const attn_jit_options *opts, attn_module *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTN_JIT_H */
