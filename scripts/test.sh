#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test suite, then
# the sanitizer pass: the same suites (the model-gpu-* tests aside, whose
# models model-test already runs through the CPU target) and the fuzz corpora
# in a build with ASan and UBSan (build-sanitize/). RETNET_SANITIZER_PASS=0
# skips that pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_BUILD_DIR:-$root/build}"
jobs="${RETNET_JOBS:-2}"

"$root/scripts/setup.sh" --test
"$root/scripts/build.sh"
(cd "$build" && ctest --output-on-failure -j "$jobs")

if [ "${RETNET_SANITIZER_PASS:-1}" != 0 ]; then
  sanitize="${RETNET_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
  echo "== sanitizer pass (address,undefined) in $sanitize"
  RETNET_BUILD_DIR="$sanitize" RETNET_SANITIZE=address,undefined \
    "$root/scripts/build.sh"
  cd "$sanitize"
  # Allocations too large to satisfy return NULL, as they do without ASan:
  # the tests check that the runtime reports them as errors.
  # allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons the free part of
  # a new slab when the inline code that allocates it is instrumented (the
  # project's), and libMLIR (not instrumented) then allocates from that
  # slab without unpoisoning: a false use-after-poison in MLIR's attribute
  # storage, wherever a slab boundary happens to fall.
  export ASAN_OPTIONS="allocator_may_return_null=1:allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  ctest --output-on-failure -j "$jobs" -E '^model-gpu-'
fi
