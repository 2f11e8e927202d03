#!/usr/bin/env bash
# Configures and builds the sanitizer build: clang, ASan + UBSan on every host
# target, assertions on, plus the libFuzzer targets (-DATTN_FUZZ=ON implies
# ATTN_SANITIZE). One build dir serves both scripts/sanitize-test.sh (ctest)
# and scripts/fuzz.sh. Goes to ./build-san (ATTN_SAN_BUILD_DIR overrides).
#   scripts/build-san.sh [ninja targets...]     (default: everything)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATTN_SAN_BUILD_DIR:-$root/build-san}"
"$root/scripts/install-deps.sh" --fuzz
if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir -DATTN_FUZZ=ON
fi
cmake --build "$build" ${ATTN_JOBS:+-j "$ATTN_JOBS"} ${1:+--target "$@"}
