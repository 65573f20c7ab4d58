#!/usr/bin/env bash
# Installs the Debian 12 packages the build needs; quiet when they are present.
# --test adds those that only tests use (PyTorch and omegaconf, to save
# checkpoints the ways real ones are saved and to compare with a PyTorch
# model; SentencePiece's spm_train and spm_encode, to make a tokenizer and
# check ours against them; python3-regex, for the reference of the
# tokenizer.json tests); where they cannot be installed, the tests that need them are
# skipped.
set -euo pipefail
test_packages=()
if [ "${1:-}" = --test ]; then
  test_packages=(python3-torch python3-omegaconf sentencepiece python3-regex)
fi

packages=(
  cmake ninja-build python3 python3-numpy
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 libomp-22-dev
  libclang-rt-22-dev
  libopenblas-dev libsentencepiece-dev libcpp-httplib-dev nlohmann-json3-dev
  libonig-dev
)

missing=()
for pkg in "${packages[@]}" "${test_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
required=()
for pkg in "${missing[@]}"; do
  [[ " ${test_packages[*]} " == *" $pkg "* ]] || required+=("$pkg")
done
if [ ${#required[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${required[@]}" >/dev/null
fi
if [ ${#required[@]} -lt ${#missing[@]} ] &&
  ! $sudo apt-get install -y -qq --no-install-recommends "${test_packages[@]}" >/dev/null; then
  echo "setup: could not install ${test_packages[*]}; the tests that need them are skipped"
fi
