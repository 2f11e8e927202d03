#!/usr/bin/env bash
# Stages what the GPU machine needs under .device/ (git-ignored; the device
# tool carries it with `carry: [".device"]`): the GPU test and benchmark
# programs linked statically against MLIR/LLVM (that machine has no LLVM),
# the examples, libfmt, and the scripts. Then, on the GPU machine:
#   bash .device/run.sh tests|bench|all
#   bash .device/run.sh sched|capi            (runtime: scheduler, graphs, cascade; C API)
#   bash .device/run.sh edge|large|sanitize   (reliability: edge cases, > 2^31 elements,
#                                             compute-sanitizer)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATTN_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" >/dev/null
cmake --build "$build" --target attn-gpu-tests-static attn-bench-static
cmake --build "$build" --target attn-gpu-edge-tests-static attn-gpu-large-tests-static
cmake --build "$build" --target attn-gpu-sched-tests-static attn-capi-gpu-tests-static
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
cp "$build/bin/attn-gpu-edge-tests-static" "$stage/attn-gpu-edge-tests"
cp "$build/bin/attn-gpu-large-tests-static" "$stage/attn-gpu-large-tests"
cp "$build/bin/attn-gpu-sched-tests-static" "$stage/attn-gpu-sched-tests"
cp "$build/bin/attn-capi-gpu-tests-static" "$stage/attn-capi-gpu-tests"
strip "$stage/attn-gpu-edge-tests" "$stage/attn-gpu-large-tests" "$stage/attn-gpu-sched-tests" \
  "$stage/attn-capi-gpu-tests"
cp -r "$root/test/gpu/specs" "$stage/specs"
cp "$root/scripts/sanitize-gpu.sh" "$stage/"
# examples/embed, built against the installed package like an engine would.
cmake --install "$build" --prefix "$build/embed-prefix" >/dev/null
cmake -G Ninja -S "$root/examples/embed" -B "$build/embed-build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$build/embed-prefix" -DEMBED_STATIC_LIBSTDCXX=ON -DEMBED_ARCHS="sm_90a" >/dev/null
cmake --build "$build/embed-build" >/dev/null
cp "$build/embed-build/embed-engine" "$stage/"
du -sh "$stage"
