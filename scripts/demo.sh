#!/usr/bin/env bash
# The main job on a bundled example: build attnc, then take the Gemma-2 local
# layer (soft-capped logits in a sliding window) through every stage a user
# sees today: check, the MLIR after the pass pipeline, the tile map of its mask,
# and the float64 reference on random inputs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ATTN_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" >/dev/null
attnc="$build/bin/attnc"
example="$root/examples/gemma2_softcap_window.attn"

echo "== attnc check"
"$attnc" check "$example" && echo "ok"
echo
echo "== attnc compile --emit=mlir"
"$attnc" compile "$example" --emit=mlir
echo
echo "== attnc compile --emit=cubin (NVRTC, sm_80 + sm_90a; no GPU needed)"
out="$(mktemp -d)"
"$attnc" compile "$example" --emit=cubin -arch sm_80 -arch sm_90a -o "$out/gemma2.cubin" --verbose 2>&1 |
  grep -E "registers|warning" || true
ls -l "$out"
head -c 600 "$out/gemma2.sm_90a.cubin.manifest.json"; echo " ..."
echo
echo "== attnc tiles (window 256 over 1024 keys, 64x64 tiles)"
"$attnc" tiles "$example" --q-len 1024 --kv-len 1024 --tile 64x64 --param window=256 --verify
echo
echo "== attnc ref (two requests: a 37-token append over 300 keys, and a decode step)"
"$attnc" ref "$example" --q-len 37,1 --kv-len 300,129 --seed 7 --print-rows 2
