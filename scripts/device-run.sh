#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, over the staged .device/
# folder (scripts/gpu-stage.sh). Logs go to $OUT; a short summary is printed last.
#   bash .device/run.sh tests   GPU correctness suite
#   bash .device/run.sh bench   attnc benchmark + torch anchors, same call
#   bash .device/run.sh all
#   bash .device/run.sh quick FILTER   tests of the examples matching FILTER, then attn-bench alone
#   bash .device/run.sh edge [ARGS]    edge cases (empty rows, inf logits, scales, overflow, NaN
#                                      inputs, 131072 keys) against the reference
#   bash .device/run.sh large [ARGS]   K/V and Q/O tensors beyond 2^31 elements
#   bash .device/run.sh sanitize       compute-sanitizer memcheck, racecheck, synccheck
#   bash .device/run.sh sched          the runtime's scheduler: skew, deterministic mode, CUDA
#                                      graphs, cascade + merge_states
#   bash .device/run.sh capi           the C API and the JIT entry on the GPU
#   bash .device/run.sh embed          examples/embed: the paged-KV engine with CUDA graphs
#   bash .device/run.sh profile [CASE] Nsight Compute on one decode launch of an attn-bench case
# (sched, capi, edge, large and sanitize are not part of `all`.)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-/tmp/attn-out}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$here/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export ATTNC_CUDA_INCLUDE="${ATTNC_CUDA_INCLUDE:-/usr/local/cuda/include}"
what="${1:-all}"
shift || true
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv,noheader > "$out/gpu.txt" 2>&1
rc=0
if [[ $what == tests || $what == all ]]; then
  "$here/attn-gpu-tests" --examples "$here/examples" "$@" 2>&1 | tee "$out/gpu-tests.log" | grep -E "^(FAIL|device|compiled|warning)" | head -40
  rc=${PIPESTATUS[0]}
  tail -n 20 "$out/gpu-tests.log"
fi
if [[ $what == quick ]]; then
  "$here/attn-gpu-tests" --examples "$here/examples" --filter "${1:-.attn}" 2>&1 | tee "$out/gpu-tests.log" | tail -n 25
  rc=${PIPESTATUS[0]}
  "$here/attn-bench" --examples "$here/examples" 2>&1 | tee "$out/bench.log"
fi
if [[ $what == bench || $what == all ]]; then
  "$here/attn-bench" --examples "$here/examples" 2>&1 | tee "$out/bench.log"
  PYTHONUNBUFFERED=1 python3 "$here/torch_anchors.py" --out "$out/anchors.json" 2>&1 | tee "$out/anchors.log" | grep ANCHOR
fi
if [[ $what == sched ]]; then
  "$here/attn-gpu-sched-tests" --examples "$here/examples" "$@" > "$out/gpu-sched-tests.log" 2>&1
  rc=$?
  cat "$out/gpu-sched-tests.log"
fi
if [[ $what == capi ]]; then
  "$here/attn-capi-gpu-tests" --examples "$here/examples" "$@" > "$out/gpu-capi-tests.log" 2>&1
  rc=$?
  tail -n 40 "$out/gpu-capi-tests.log"
fi
if [[ $what == embed ]]; then
  "$here/embed-engine" 2>&1 | tee "$out/embed.log"
  rc=${PIPESTATUS[0]}
fi
if [[ $what == edge ]]; then
  "$here/attn-gpu-edge-tests" --specs "$here/specs" "$@" > "$out/gpu-edge-tests.log" 2>&1
  rc=$?
  grep -E "^(FAIL|device|seed|compiled|warning|long|cases|the context)" "$out/gpu-edge-tests.log" | head -60
  if grep -q "^case  " "$out/gpu-edge-tests.log"; then
    sed -n '/^case  /,$p' "$out/gpu-edge-tests.log"
  else
    tail -n 20 "$out/gpu-edge-tests.log"
  fi
fi
if [[ $what == large ]]; then
  "$here/attn-gpu-large-tests" --examples "$here/examples" "$@" > "$out/gpu-large-tests.log" 2>&1
  rc=$?
  cat "$out/gpu-large-tests.log"
fi
if [[ $what == profile ]]; then
  # Nsight Compute on one decode launch of a bench case (default: 1x16384),
  # clocks left alone (device README). Also the case's own timing.
  case_name="${1:-1x16384}"
  "$here/attn-bench" --examples "$here/examples" --only "$case_name" 2>&1 | tee "$out/bench-profile-case.log"
  ncu --clock-control none --kernel-name regex:_decode --launch-count 1 \
    --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy \
    --section LaunchStats --section WarpStateStats --section SchedulerStats \
    "$here/attn-bench" --examples "$here/examples" --only "$case_name" --reps 3 \
    > "$out/ncu-$case_name.txt" 2>&1
  rc=$?
  grep -vE "^==PROF==|^BENCH" "$out/ncu-$case_name.txt" | grep -E "Duration|Throughput|Elapsed|Occupancy|Registers|Block Size|Grid Size|Waves|Stall|Warp Cycles|Issued|Eligible|Shared Memory Config|Dynamic Shared|L2 Hit|Mem Busy|Max Bandwidth" | head -60
fi
if [[ $what == sanitize ]]; then
  bash "$here/sanitize-gpu.sh" "$here/attn-gpu-edge-tests" "$here/specs"
  rc=$?
fi
cat "$out/gpu.txt"
exit $rc
