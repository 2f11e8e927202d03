#!/usr/bin/env bash
# Installs every Debian package attnc needs to build and test, and nothing that is
# already there (with --fuzz, also clang for the sanitizer/fuzz build).
# Idempotent: a second run does no network work.
# The CUDA Toolkit itself is not a Debian package here; it is expected at
# /usr/local/cuda (or wherever CUDAToolkit_ROOT points) and only its presence is checked.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ python3
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools   # MLIR 19, FileCheck, lit
  libcli11-dev libfmt-dev libgtest-dev                     # driver, formatting, unit tests
  lld ccache
)
# --fuzz: also what the sanitizer + libFuzzer build needs (scripts/build-san.sh):
# clang and its compiler-rt (ASan, UBSan, libFuzzer).
if [[ ${1:-} == --fuzz ]]; then
  PACKAGES+=(clang libclang-rt-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi

cuda_root="${CUDAToolkit_ROOT:-/usr/local/cuda}"
if [[ ! -e "$cuda_root/include/nvrtc.h" ]]; then
  echo "install-deps: warning: no CUDA Toolkit at $cuda_root (NVRTC is needed from the code-generation stage on)" >&2
fi
