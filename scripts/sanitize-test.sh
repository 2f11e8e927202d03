#!/usr/bin/env bash
# The whole test suite (lit + GoogleTest, through ctest) in the ASan + UBSan
# build (scripts/build-san.sh). libMLIR.so and libnvrtc are not instrumented;
# their global state is still allocated at exit, hence no leak checking.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATTN_SAN_BUILD_DIR:-$root/build-san}"
"$root/scripts/build-san.sh"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
ctest --test-dir "$build" --output-on-failure ${ATTN_JOBS:+-j "$ATTN_JOBS"}
