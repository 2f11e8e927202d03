/*===- attn.h - The stable C API of attnrt --------------------------------===*
 *
 * A C99 interface to the attnc runtime, for engines written in C, for other
 * languages' FFIs, and for anyone who wants an ABI that does not depend on
 * the C++ standard library. It wraps attnrt (the headers in runtime/include/attnrt/) one
 * to one: a module (a compiled variant loaded into a CUDA context), a runner
 * (plan + launch state for one stream) and a params set (named runtime
 * params).
 *
 * Conventions, for every function below:
 *  - The return value is an attn_status; ATTN_OK is 0. On failure
 *    attn_last_error() returns a message naming the function and what was
 *    wrong; on success it returns "". The message is thread-local and stays
 *    valid until the next attn_* call on the same thread.
 *  - Handles are opaque values, not pointers: a NULL, destroyed, forged or
 *    wrong-kind handle is detected before anything is dereferenced and
 *    returns ATTN_INVALID_HANDLE (destroying a handle twice included).
 *  - A NULL out pointer, or a NULL array whose length says it holds data, is
 *    ATTN_INVALID_ARGUMENT. Functions that create a handle set *out to NULL
 *    on failure (when out itself is not NULL).
 *  - Nothing aborts and no C++ exception crosses this boundary.
 *  - Handles may be used from any thread, but a runner (like attnrt::Runner)
 *    serves one stream at a time and is not safe to use from two threads at
 *    once.
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTN_H
#define ATTN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this interface: structs or signatures change only with a new
 * major version; new functions and enum values bump the minor. */
#define ATTN_API_VERSION_MAJOR 1
#define ATTN_API_VERSION_MINOR 1
#define ATTN_API_VERSION (ATTN_API_VERSION_MAJOR * 1000 + ATTN_API_VERSION_MINOR)

/* Values equal attnrt::StatusCode (runtime/include/attnrt/Status.h), plus
 * ATTN_INVALID_HANDLE, which only the C API returns. */
typedef enum attn_status_code {
  ATTN_OK = 0,
  ATTN_INVALID_ARGUMENT = 1, /* bad batch, params, options, null pointer */
  ATTN_PARSE_ERROR = 2,      /* malformed manifest JSON */
  ATTN_INVALID_MANIFEST = 3, /* well-formed JSON that is not a valid manifest */
  ATTN_ABI_MISMATCH = 4,     /* manifest abi_version != this runtime's ABI */
  ATTN_ARCH_MISMATCH = 5,    /* the artifact cannot run on this GPU */
  ATTN_NOT_FOUND = 6,        /* a kernel, symbol or file that is not there */
  ATTN_UNSUPPORTED = 7,      /* valid, but this module cannot run it */
  ATTN_CUDA_ERROR = 8,       /* a CUDA driver call failed; the message names it */
  ATTN_OUT_OF_MEMORY = 9,    /* host memory exhausted (device OOM: ATTN_CUDA_ERROR) */
  ATTN_INTERNAL = 10,        /* a bug in attnrt */
  ATTN_INVALID_HANDLE = 11   /* NULL, destroyed, forged or wrong-kind handle */
} attn_status_code;
typedef attn_status_code attn_status;

typedef struct attn_module_s *attn_module; /* a loaded variant */
typedef struct attn_runner_s *attn_runner; /* plan + launch state */
typedef struct attn_params_s *attn_params; /* named runtime params */

/* ---- Errors and versions (these never fail and never change the last error) */

/* ATTN_API_VERSION of the library actually linked. */
int attn_api_version(void);
/* The kernel ABI version (ATTN_ABI_VERSION of attn_kernels/abi.h) manifests
 * must carry to load. */
int attn_abi_version(void);
/* "ok", "invalid argument", ..., "invalid handle"; "unknown" otherwise. */
const char *attn_status_name(attn_status code);
/* The message of the last failed attn_* call on this thread, "" after a
 * success. Never NULL. */
const char *attn_last_error(void);

/* ---- Device helper (tools and tests; engines use their own context) */

/* cuInit, retain device `ordinal`'s primary context and make it current.
 * ATTN_INVALID_ARGUMENT if the device does not exist, ATTN_CUDA_ERROR if the
 * driver fails (or there is none). Pair with attn_release_device. */
attn_status attn_init_device(int ordinal);
/* Releases the primary context retained by attn_init_device. */
attn_status attn_release_device(int ordinal);

/* The compute capability of the current CUDA context's device (what an
 * artifact must be built for: attn.hpp's pickArtifact, the JIT's default
 * arch). NULL outputs are ATTN_INVALID_ARGUMENT; no current context or no
 * driver is ATTN_CUDA_ERROR. */
attn_status attn_current_device(int32_t *cc_major, int32_t *cc_minor);

/* ---- Modules */

/* Loads an image (cubin, fatbin or PTX) and its manifest JSON into the
 * current CUDA context; the bytes are copied, the caller may free them.
 * Checks, in order: out != NULL, image != NULL and image_size > 0,
 * manifest_json != NULL (ATTN_INVALID_ARGUMENT); the manifest
 * (ATTN_PARSE_ERROR, ATTN_INVALID_MANIFEST, ATTN_ABI_MISMATCH), done before
 * the driver is touched; then the load: no current context (ATTN_CUDA_ERROR),
 * a cubin for another GPU (ATTN_ARCH_MISMATCH), kernels missing
 * (ATTN_NOT_FOUND), kernels that cannot run here (ATTN_UNSUPPORTED). */
attn_status attn_module_load(const void *image, size_t image_size,
                             const char *manifest_json, size_t manifest_len,
                             attn_module *out);
/* The same from two files (the image and its .json manifest). A file that
 * cannot be read is ATTN_NOT_FOUND, an empty image ATTN_INVALID_ARGUMENT. */
attn_status attn_module_load_files(const char *image_path,
                                   const char *manifest_path, attn_module *out);
/* Unloads the module. Runners created from it keep it alive until they are
 * destroyed (they stay usable); the handle itself is dead at once. */
attn_status attn_module_destroy(attn_module module);

/* Values equal attnrt::KvLayout and the ATTN_KV_* codes of abi.h. */
typedef enum attn_kv_layout {
  ATTN_KV_LAYOUT_CONTIGUOUS = 0,
  ATTN_KV_LAYOUT_RAGGED = 1,
  ATTN_KV_LAYOUT_PAGED = 2,
  ATTN_KV_LAYOUT_BLOCK_SPARSE = 3
} attn_kv_layout;

/* What a module computes. Strings point into the module and stay valid
 * until it is destroyed (and its last runner with it). */
typedef struct attn_module_info {
  const char *variant; /* the variant's name */
  const char *dtype;   /* "bf16" | "f16" */
  const char *arch;    /* what it was compiled for: "sm_90a", "sm_80"... */
  const char *attnc_version;
  int32_t head_dim_qk, head_dim_vo;
  int32_t num_q_heads, num_kv_heads, group_size;
  attn_kv_layout kv_layout;
  int32_t page_size;          /* paged only, else 0 */
  int32_t block_q, block_kv;  /* block_sparse only, else 0 */
  int32_t has_lse;            /* 1 for normalize = softmax (lse is written) */
  int32_t dtype_bytes;        /* bytes per q/k/v/o element */
  int32_t num_params;         /* runtime params: attn_module_param */
} attn_module_info;

/* Fills *out. ATTN_INVALID_HANDLE, or ATTN_INVALID_ARGUMENT for out == NULL. */
attn_status attn_module_get_info(attn_module module, attn_module_info *out);

typedef enum attn_param_type { ATTN_PARAM_F32 = 0, ATTN_PARAM_I32 = 1 } attn_param_type;
/* Values equal attnrt::ParamDomain: how many elements an array param has. */
typedef enum attn_param_domain {
  ATTN_DOMAIN_SCALAR = 0,
  ATTN_DOMAIN_HEADS = 1,    /* num_q_heads */
  ATTN_DOMAIN_KV_HEADS = 2, /* num_kv_heads */
  ATTN_DOMAIN_BATCH = 3,    /* batch size */
  ATTN_DOMAIN_TOKENS = 4    /* sum of kv_len, dense */
} attn_param_domain;

typedef struct attn_param_info {
  const char *name; /* valid as long as the module */
  attn_param_type type;
  attn_param_domain domain;
  int32_t has_default; /* scalars only */
  double default_value;
} attn_param_info;

/* Param `index` (0 <= index < info.num_params) of the module.
 * ATTN_INVALID_ARGUMENT for out == NULL or an index out of range. */
attn_status attn_module_param(attn_module module, int32_t index, attn_param_info *out);

/* ---- Params: named values, independent of any module; checked against the
 * module's manifest at run time (unknown name, wrong type, scalar/array
 * mix-up, missing param without default, short array: ATTN_INVALID_ARGUMENT
 * from attn_runner_run). */

attn_status attn_params_create(attn_params *out);
attn_status attn_params_destroy(attn_params params);
/* Setting a name again replaces its value. name == NULL or "" is
 * ATTN_INVALID_ARGUMENT. */
attn_status attn_params_set_f32(attn_params params, const char *name, float value);
attn_status attn_params_set_i32(attn_params params, const char *name, int32_t value);
/* A device array of `count` elements of `type` (count may exceed the
 * domain's length). ATTN_INVALID_ARGUMENT for an empty name, an unknown
 * type, count < 0, or data == 0 with count > 0. */
attn_status attn_params_set_array(attn_params params, const char *name,
                                  attn_param_type type, uint64_t device_data,
                                  int64_t count);
/* Forgets every value. */
attn_status attn_params_clear(attn_params params);

/* ---- Runners */

/* Fixed capacities for CUDA-graph capture (attnrt::Capacities): with them
 * every device buffer is allocated once, plans never reallocate, and a plan
 * that needs more fails with ATTN_INVALID_ARGUMENT ("capacity exceeded").
 * Zero fields are derived where possible; max_batch and max_q_rows are
 * required. */
typedef struct attn_capacities {
  int32_t max_batch;
  int64_t max_q_rows;
  int64_t max_page_indices;  /* paged */
  int64_t max_bsr_rows;      /* block_sparse */
  int64_t max_bsr_indices;   /* block_sparse */
  int64_t max_work_items;    /* 0: derived */
  int64_t max_partial_slots; /* 0: derived */
} attn_capacities;

/* A runner for `module`. caps == NULL: buffers grow on demand. With caps,
 * the buffers are reserved now (needs the module's context): bad capacities
 * are ATTN_INVALID_ARGUMENT, device OOM ATTN_CUDA_ERROR, and no runner is
 * created. */
attn_status attn_runner_create(attn_module module, const attn_capacities *caps,
                               attn_runner *out);
/* Frees the runner's device buffers (stream-ordered work using them must be
 * finished). */
attn_status attn_runner_destroy(attn_runner runner);

/* Host metadata of one batch (attnrt::BatchDesc); every array is a host
 * array with its element count, NULL/0 when absent. The runtime copies what
 * it needs: the arrays may be reused when attn_runner_plan returns. */
typedef struct attn_batch {
  int32_t batch_size;
  const int32_t *q_indptr;        size_t q_indptr_len;        /* [B+1] */
  const int32_t *kv_lens;         size_t kv_lens_len;         /* [B] */
  const int32_t *kv_indptr;       size_t kv_indptr_len;       /* [B+1] */
  const int32_t *page_indices;    size_t page_indices_len;    /* paged */
  int32_t num_pages;                                          /* paged: pool size */
  const int32_t *bsr_row_offsets; size_t bsr_row_offsets_len; /* block_sparse [B] */
  const int32_t *bsr_indptr;      size_t bsr_indptr_len;      /* block_sparse [rows+1] */
  const int32_t *bsr_indices;     size_t bsr_indices_len;     /* block_sparse */
} attn_batch;

typedef enum attn_kernel_choice {
  ATTN_KERNEL_AUTO = 0,
  ATTN_KERNEL_PREFILL = 1,
  ATTN_KERNEL_DECODE = 2
} attn_kernel_choice;

/* attnrt::RunOptions; all zeros (or a NULL pointer) = the defaults. */
typedef struct attn_run_options {
  int32_t kv_chunk;      /* > 0: force split-KV with chunks of this many keys */
  int32_t no_split;      /* nonzero: never split */
  attn_kernel_choice force_kernel;
  int32_t max_grid;      /* > 0: cap the persistent grid */
  int32_t deterministic; /* nonzero: bit-identical per request, whatever the batch */
  /* Optional (plan only): the params the planner's tile costs may read (a
   * window size...), usually the handle later passed to run. NULL: the
   * manifest's defaults; tiles that depend on missing values count as
   * visited (only the load balance suffers). A bad handle is
   * ATTN_INVALID_HANDLE. attn_runner_forward uses its own params. */
  attn_params host_params;
} attn_run_options;

/* Validates the batch against the module (ATTN_INVALID_ARGUMENT with the
 * offending field: sizes, monotone indptrs, kv_len >= q_len, page counts and
 * indices in [0, num_pages), BSR structure, capacities), builds the work
 * list and enqueues its upload on `stream` (a CUstream; NULL = the legacy
 * default stream). batch == NULL is ATTN_INVALID_ARGUMENT; options may be
 * NULL. A plan that fails validation leaves the runner unplanned (run then
 * fails); one rejected before validation (a NULL pointer, bad options, a bad
 * handle) leaves the previous plan in place. */
attn_status attn_runner_plan(attn_runner runner, const attn_batch *batch,
                             const attn_run_options *options, void *stream);

/* Device tensors (attnrt::DeviceTensors): addresses as CUdeviceptr values,
 * strides in elements of the module's dtype. */
typedef struct attn_tensors {
  uint64_t q, k, v, o;
  uint64_t lse; /* optional: float [total_q][num_q_heads] */
  int64_t q_stride_row, q_stride_head;
  int64_t o_stride_row, o_stride_head;
  int64_t kv_stride_page; /* K; paged only */
  int64_t kv_stride_row, kv_stride_head;
  int64_t v_stride_page;  /* paged only */
  int64_t v_stride_row, v_stride_head;
} attn_tensors;

/* Strides of densely packed tensors of the module's shape (attnrt::
 * denseTensors); k/v paged as [num_pages, page_size, kv_heads, dim]. */
attn_status attn_dense_tensors(attn_module module, uint64_t q, uint64_t k, uint64_t v,
                               uint64_t o, uint64_t lse, attn_tensors *out);

/* Launches the last plan on `stream`. ATTN_INVALID_ARGUMENT when there is no
 * successful plan, for tensors == NULL, bad tensors (null, misaligned,
 * non-positive strides) or params that do not match the manifest. */
attn_status attn_runner_run(attn_runner runner, const attn_tensors *tensors,
                            attn_params params, void *stream);

/* Programmatic dependent launch (attnrt::Runner::setProgrammaticLaunch; API
 * 1.1): enable != 0 makes later runs launch with programmatic stream
 * serialization, so a launch may begin while the kernel before it in the
 * stream finishes; its CTAs wait for that kernel before reading q, k, v or
 * params arrays and before writing, so the launch, the first work-item loads
 * and (decode) an L2 prefetch of the first key tile overlap the previous
 * kernel's tail (also in CUDA graphs; 1 x 16384 decode on the H100: 25.9 us
 * instead of 28.8, bench/RESULTS.md). Off by default. ATTN_INVALID_ARGUMENT,
 * the setting unchanged, when the module's kernels do not wait (manifest
 * "programmatic_launch" false: built for an arch before sm_90 or by an older
 * attnc) or the device is older than sm_90. */
attn_status attn_runner_set_programmatic_launch(attn_runner runner, int32_t enable);

/* plan + run. */
attn_status attn_runner_forward(attn_runner runner, const attn_batch *batch,
                                const attn_tensors *tensors, attn_params params,
                                void *stream, const attn_run_options *options);

/* ---- Merging attention states (attnrt::mergeStates): o = the attention
 * over the union of two key sets, from each one's (o, lse). */
typedef struct attn_merge_states_args {
  int64_t rows;
  uint64_t o_a, lse_a;
  uint64_t o_b, lse_b;
  uint64_t o_out, lse_out; /* lse_out may be 0; out may alias a */
  int64_t o_stride_row, o_stride_head;
} attn_merge_states_args;

/* ATTN_INVALID_ARGUMENT for args == NULL and whatever attnrt::mergeStates
 * rejects (a variant without LSE is ATTN_UNSUPPORTED). */
attn_status attn_merge_states(attn_module module, const attn_merge_states_args *args,
                              void *stream);

/* ---- For libraries layered on this API (attnc's JIT entry): sets this
 * thread's last error to `message` (NULL: "") and returns `code`. */
attn_status attn_report_error(attn_status code, const char *message);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTN_H */
