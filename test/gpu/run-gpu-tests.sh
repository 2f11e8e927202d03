#!/usr/bin/env bash
# ctest's entry to the GPU tests. The programs link the CUDA driver
# (libcuda.so.1), which a machine without an NVIDIA driver does not have: there
# the tests are skipped, saying so, instead of failing to start.
set -u
binary="$1"
shift
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' &&
   ! ls /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/local/nvidia/lib64/libcuda.so.1 >/dev/null 2>&1; then
  echo "GPU tests skipped: no CUDA driver on this machine (libcuda.so.1 not found)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
exec "$binary" "$@"
