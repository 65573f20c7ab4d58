#!/usr/bin/env bash
# Installs what is missing, then configures and builds retnet-mlir in build/
# (RETNET_BUILD_DIR), instrumented with RETNET_SANITIZE's sanitizers if set,
# with libFuzzer fuzz targets if RETNET_FUZZ=ON. Arguments go to the build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_BUILD_DIR:-$root/build}"
jobs="${RETNET_JOBS:-2}"

"$root/scripts/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DRETNET_SANITIZE="${RETNET_SANITIZE:-}" \
    -DRETNET_FUZZ="${RETNET_FUZZ:-OFF}" >/dev/null
fi
cmake --build "$build" -j "$jobs" "$@"
