#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) over its committed
# corpus (fuzz/corpus/<target>/, read only: new inputs go to a scratch dir).
# Builds them first (scripts/build-san.sh). Exits non-zero on the first
# crash, hang, assertion or sanitizer report; the input is left in
# $ATTN_FUZZ_OUT (default ./build-san/fuzz-out) as crash-*/timeout-*/oom-*.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# ATTN_FUZZ_MERGE=1 also merges what the run found into the committed corpus
# (-merge=1 keeps only inputs that add coverage).
# ATTN_FUZZ_RUNS=N: instead of a time budget, exactly N executions from seed 1
# (what CI uses: the same commit always runs the same inputs, so a red CI is
# reproducible and never a roll of the dice; exploration is the job of long
# local runs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATTN_SAN_BUILD_DIR:-$root/build-san}"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_parser fuzz_pipeline fuzz_ir)
"$root/scripts/build-san.sh" "${targets[@]}"

out="${ATTN_FUZZ_OUT:-$build/fuzz-out}"
mkdir -p "$out"
# Leaks: the fuzzers create and destroy everything per input, so a leak is
# ours. UBSan reports abort (the build sets -fno-sanitize-recover).
export ASAN_OPTIONS="abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
for t in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$t"
  scratch="$out/$t-new"
  rm -rf "$scratch"
  mkdir -p "$scratch"
  budget=(-max_total_time="$seconds")
  if [[ -n ${ATTN_FUZZ_RUNS:-} ]]; then
    budget=(-runs="$ATTN_FUZZ_RUNS" -seed=1)
  fi
  echo "== $t: ${budget[*]} over $(ls "$corpus" | wc -l) corpus inputs"
  # -timeout: an input that takes 10 s is a hang (the slowest seed takes
  # milliseconds). -max_len: the largest seed is ~5 KB.
  if ! "$build/bin/$t" "${budget[@]}" -timeout=10 -rss_limit_mb=4096 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="$out/$t-" \
      "$scratch" "$corpus" > "$out/$t.log" 2>&1; then
    tail -n 60 "$out/$t.log"
    echo "fuzz: $t found a bug; the input is in $out (see $out/$t.log)" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" "$out/$t.log" || true
  if [[ ${ATTN_FUZZ_MERGE:-0} == 1 ]]; then
    "$build/bin/$t" -merge=1 -max_len=8192 "$corpus" "$scratch" > "$out/$t-merge.log" 2>&1
  fi
done
echo "fuzz: no findings"
