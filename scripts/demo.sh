#!/usr/bin/env bash
# Installs what is missing, builds retnet-mlir, then the main job: compile the
# small example model, make seeded random weights and generate tokens.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_BUILD_DIR:-$root/build}"
model="${1:-$root/examples/small.json}"
out="$build/demo"

"$root/scripts/build.sh" >/dev/null
mkdir -p "$out"
name="$(basename "$model" .json)"
echo "== retnet-compile $model -> $out/lib$name.so"
"$build/bin/retnet-compile" "$model" -o "$out/lib$name.so"
echo "== retnet-weights (seed 1) -> $out/$name.safetensors"
"$build/bin/retnet-weights" "$model" -o "$out/$name.safetensors" --seed 1
echo "== retnet-run: 32 new tokens after the prompt 1,2,3,4,5,6,7,8"
"$build/bin/retnet-run" "$out/lib$name.so" --weights "$out/$name.safetensors" \
  --prompt 1,2,3,4,5,6,7,8 --max-new-tokens 32
