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
[ ${#targets[@]} -gt 0 ] || targets=(ir-fuzzer config-fuzzer safetensors-fuzzer tokenizer-fuzzer
  request-fuzzer)

RETNET_BUILD_DIR="$build" RETNET_SANITIZE=address,undefined RETNET_FUZZ=ON \
  "$root/scripts/build.sh" --target "${targets[@]}"

# As in scripts/test.sh: MLIR is not instrumented, so LLVM's allocator
# poisoning from the instrumented code would be reported falsely.
export ASAN_OPTIONS="allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mkdir -p "$build/crashes"
for target in "${targets[@]}"; do
  name="${target%-fuzzer}"
  mkdir -p "$build/corpus/$name"
  echo "== $target: $minutes min"
  # The first directory receives new inputs; the seeds and the regression
  # inputs (fuzz/corpus, fuzz/regressions) stay as they are.
  seeds=("$root/fuzz/corpus/$name")
  [ -d "$root/fuzz/regressions/$name" ] && seeds+=("$root/fuzz/regressions/$name")
  "$build/bin/$target" "$build/corpus/$name" "${seeds[@]}" \
    -max_total_time=$((minutes * 60)) -timeout=30 -rss_limit_mb=4096 \
    -dict="$root/fuzz/$name.dict" \
    -artifact_prefix="$build/crashes/$name-" -print_final_stats=1
done
