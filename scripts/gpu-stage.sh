#!/usr/bin/env bash
# Stages what the GPU machine needs under .device/ (git-ignored; the device
# tool carries it with `carry: [".device"]`): the GPU test and benchmark
# programs linked statically against MLIR/LLVM (that machine has no LLVM),
# the examples, libfmt, and the scripts. Then, on the GPU machine:
#   bash .device/run.sh tests|bench|all
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATTN_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" >/dev/null
cmake --build "$build" --target attn-gpu-tests-static attn-bench-static
stage="$root/.device"
rm -rf "$stage"
mkdir -p "$stage/lib"
cp "$build/bin/attn-gpu-tests-static" "$stage/attn-gpu-tests"
cp "$build/bin/attn-bench-static" "$stage/attn-bench"
strip "$stage/attn-gpu-tests" "$stage/attn-bench"
cp -L /usr/lib/x86_64-linux-gnu/libfmt.so.9 "$stage/lib/"
cp -r "$root/examples" "$stage/examples"
cp "$root/bench/torch_anchors.py" "$root/scripts/device-run.sh" "$stage/"
mv "$stage/device-run.sh" "$stage/run.sh"
du -sh "$stage"
