#!/usr/bin/env bash
# compute-sanitizer over the GPU kernels: memcheck (with --leak-check full),
# racecheck and synccheck, each with --error-exitcode 1, over
# `attn-gpu-edge-tests --sanitize-subset` (every kernel form -- prefill,
# decode, split + merge -- on contiguous, ragged, paged and block-sparse KV,
# small odd shapes, each run also checked against the reference).
# Prints per tool its exit code, time, "ERROR SUMMARY" line and the tests'
# summary; the full logs go to $OUT/sanitize-<tool>.log.
#
# On the GPU machine, over the staged folder: bash .device/run.sh sanitize
# Directly:  scripts/sanitize-gpu.sh [BINARY] [SPECS_DIR]
#   COMPUTE_SANITIZER   the sanitizer (default /usr/local/cuda/bin/compute-sanitizer)
#   SANITIZE_TOOLS      which tools (default "memcheck racecheck synccheck")
#   SANITIZE_TIMEOUT_<TOOL>  seconds per tool (defaults: memcheck 70, racecheck 100,
#                       synccheck 60: the three stay under 4 minutes)
#   SANITIZE_ARGS       extra arguments for the test binary (e.g. "--seed 5", or
#                       "--filter bf16/ragged" for one configuration of the subset)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Staged (.device/sanitize-gpu.sh next to the binary and specs/) or in the repo.
if [[ -x "$here/attn-gpu-edge-tests" ]]; then
  default_bin="$here/attn-gpu-edge-tests"
  default_specs="$here/specs"
else
  root="$(cd "$here/.." && pwd)"
  default_bin="$root/.device/attn-gpu-edge-tests"
  default_specs="$root/test/gpu/specs"
fi
bin="${1:-$default_bin}"
specs="${2:-$default_specs}"
san="${COMPUTE_SANITIZER:-/usr/local/cuda/bin/compute-sanitizer}"
tools="${SANITIZE_TOOLS:-memcheck racecheck synccheck}"
out="${OUT:-/tmp/attn-out}"
mkdir -p "$out"
if [[ ! -x "$san" ]]; then
  echo "sanitize: $san not found (set COMPUTE_SANITIZER)"
  exit 2
fi
if [[ ! -x "$bin" ]]; then
  echo "sanitize: $bin not found (run scripts/gpu-stage.sh)"
  exit 2
fi
"$san" --version 2>&1 | tail -1
rc=0
summary=()
for tool in $tools; do
  extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  var="SANITIZE_TIMEOUT_${tool^^}"
  case $tool in
    memcheck) limit="${!var:-70}" ;;
    racecheck) limit="${!var:-100}" ;;
    *) limit="${!var:-60}" ;;
  esac
  log="$out/sanitize-$tool.log"
  start=$(date +%s)
  # shellcheck disable=SC2086
  timeout -s INT -k 15 "$limit" "$san" --tool "$tool" "${extra[@]}" --error-exitcode 1 \
    "$bin" --sanitize-subset --specs "$specs" ${SANITIZE_ARGS:-} > "$log" 2>&1
  trc=$?
  secs=$(( $(date +%s) - start ))
  errors="$(grep -E "ERROR SUMMARY" "$log" | tail -1)"
  [[ -z $errors ]] && errors="(no ERROR SUMMARY line)"
  tests="$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$log" | tail -1)"
  status=ok
  if (( trc == 124 || trc == 137 )); then status="TIMEOUT after ${limit} s"; fi
  if [[ $tests == *skipped* ]]; then status="SKIPPED (no GPU)"; trc=1; fi
  if (( trc != 0 )); then rc=1; [[ $status == ok ]] && status="exit $trc"; fi
  line="sanitize $tool: $status, ${secs} s; $errors; tests: ${tests:-none}"
  echo "$line"
  summary+=("$line")
  # The first reports, so that the device's output tail shows what was found.
  grep -E "^========= (Invalid|Race|Barrier|Error|Leaked|Program hit|Uninitialized|Warning)" "$log" \
    | sort | uniq -c | sort -rn | head -8
  grep -E "^FAIL" "$log" | head -5
done
echo "---"
printf '%s\n' "${summary[@]}"
exit $rc
