#!/usr/bin/env bash
# Runs each fuzz target (or those named) with libFuzzer for MINUTES minutes,
# in a build with ASan and UBSan (build-fuzz/, or RETNET_FUZZ_BUILD_DIR).
# New inputs go to build-fuzz/corpus/NAME, crashes to build-fuzz/crashes/.
#   scripts/fuzz.sh 10                      # every target, 10 minutes each
#   scripts/fuzz.sh 5 safetensors-fuzzer    # one target
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_FUZZ_BUILD_DIR:-$root/build-fuzz}"
minutes="${1:?usage: scripts/fuzz.sh MINUTES [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ir-fuzzer config-fuzzer safetensors-fuzzer)

"$root/scripts/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DRETNET_SANITIZE=address,undefined -DRETNET_FUZZ=ON >/dev/null
fi
cmake --build "$build" -j "${RETNET_JOBS:-2}" --target "${targets[@]}"

mkdir -p "$build/crashes"
for target in "${targets[@]}"; do
  name="${target%-fuzzer}"
  mkdir -p "$build/corpus/$name"
  echo "== $target: $minutes min"
  # The first directory receives new inputs; the seeds stay as they are.
  "$build/bin/$target" "$build/corpus/$name" "$root/fuzz/corpus/$name" \
    -max_total_time=$((minutes * 60)) -timeout=30 -rss_limit_mb=4096 \
    -artifact_prefix="$build/crashes/$name-" -print_final_stats=1
done
