#!/bin/bash
# One device call: build kernel_test for sm_90a, run correctness + timing,
# logs under $OUT, short summary last. Usage (repo root): kernels-gen/test/run_on_gpu.sh [args]
# A/B: when test/baseline_inc/ exists (a copy of older headers, git-ignored, carried), a
# baseline binary built from it is timed in the same call (--timing-only); AB_FLAGS (e.g.
# -DATTN_KERNELS_SKIP_RESCALE=0) builds one more variant of the current headers, which runs
# the full suite too. kernel_test.cu is written against ABI v3 (CTA c's first item at work[c],
# request facts in the items, fused split-KV merge, merge_states) and #errors on other
# ATTN_ABI_VERSIONs, so baseline_inc must hold ABI v3 headers (copies from before commit 4feee12
# no longer build).
set -o pipefail
OUT=${OUT:-/tmp/attn_out}; mkdir -p "$OUT"
cd "$(dirname "$0")"
NVCC=${NVCC:-nvcc}; command -v $NVCC >/dev/null || NVCC=/usr/local/cuda/bin/nvcc
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,memory.used --format=csv > "$OUT/gpu.txt" 2>&1
build() { # name include-dir extra-flags
  ( time $NVCC -std=c++17 -O2 -gencode arch=compute_90a,code=sm_90a -I$2 $3 -Xptxas -v \
      kernel_test.cu -o /tmp/kt_$1 ) > "$OUT/build_$1.log" 2>&1
}
build new ../include "" & p1=$!
[ -n "$AB_FLAGS" ] && { build ab ../include "$AB_FLAGS" & p2=$!; }
[ -d baseline_inc ] && { build base baseline_inc "" & p3=$!; }
wait $p1 || { tail -30 "$OUT/build_new.log"; exit 1; }
[ -n "$p2" ] && { wait $p2 || { tail -30 "$OUT/build_ab.log"; exit 1; }; }
[ -n "$p3" ] && { wait $p3 || { tail -30 "$OUT/build_base.log"; exit 1; }; }
for b in new ab base; do [ -f "$OUT/build_$b.log" ] && echo "build $b: $(grep -c '[1-9][0-9]* bytes spill stores' "$OUT/build_$b.log") kernels with spills"; done
/tmp/kt_new "$@" > "$OUT/test.log" 2>&1; rc=$?
[ -n "$p2" ] && /tmp/kt_ab "$@" > "$OUT/test_ab.log" 2>&1
[ -n "$p3" ] && /tmp/kt_base --timing-only > "$OUT/test_base.log" 2>&1
if [ -n "$SANITIZE" ]; then
  timeout ${SANITIZE_TIMEOUT:-150} compute-sanitizer --tool memcheck /tmp/kt_new --quick --no-timing > "$OUT/memcheck.log" 2>&1; echo "memcheck rc=$?"
  tail -3 "$OUT/memcheck.log"
fi
echo "==== summary"
for f in test test_ab test_base; do
  [ -f "$OUT/$f.log" ] || continue
  echo "---- $f"
  grep -E "^FAIL" "$OUT/$f.log" | head -20
  grep -E "^TIMING|^SUMMARY" "$OUT/$f.log"
done
exit $rc
