#!/usr/bin/env bash
# The CUDA target on a GPU: its execution tests and its benchmark table.
#
#   scripts/gpu-check.sh              build here, then test and benchmark on
#                                     this machine's GPU (needs the toolchain
#                                     of scripts/setup.sh and a CUDA device)
#   scripts/gpu-check.sh prepare DIR  build here and put into DIR everything
#                                     the GPU run needs (no GPU needed)
#   scripts/gpu-check.sh run DIR      on a GPU machine without the toolchain:
#                                     run what DIR holds
#
# Tests (each PASS/FAIL line is also in DIR/results.md):
#   - every retention kernel of retention-kernel-test (every form, chunk
#     sizes 1 to 128, f32 and f64, odd shapes, split sequences) compiled with
#     --target=cuda, run on the GPU against the float64 reference (in f32,
#     the four products of each full chunk on tensor cores, 3xTF32);
#   - the tiny model compiled with --target=cuda in every form: prefill
#     logits of every position against the float64 reference (npy-compare),
#     and greedy generation (prefill then decode) equal to the CPU library's;
#   - the tiny model with every product in row tiles (--gpu-row-tile-rows=1)
#     on a prompt of 2 x 40 tokens: its full 64-row blocks on tensor cores
#     (mma.sync, 3xTF32), its last partial block in FFMA register tiles,
#     prefill logits against the float64 reference;
#   - with the toolchain (no argument): the GPU lit tests as well
#     (test/Integration/GPU: model-test on the GPU included).
# Benchmarks: retention-bench --gpu-shapes (B8 H16 T8192 dk128 dv256 in every
# form at f32 and bf16; decode steps at contexts 1k to 64k) and the small
# model's prefill and decode tokens/s (retnet-run --bench), with its prefill
# products on tensor cores (the default) and on FFMA only
# (--gpu-tensor-cores=off), side by side; examples/retnet-1.3b.json: a
# 2048-token prefill and decode steps at batch 1 and 64. Peers in the same
# run (benchmarks/peers/chunkwise_peers.py, with the GPU machine's PyTorch):
# chunkwise retention in PyTorch on cuBLAS at the --gpu-shapes shape in
# bf16, and flash-linear-attention's chunk_retention when its source is
# carried along: put a checkout at $FLA_SRC (default .fla/ in the
# repository, ignored by git, never committed) before `prepare`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_BUILD_DIR:-$root/build}"
mode="${1:-all}"
dir="${2:-$build/gpu-check}"
prompt="3,14,15,92,65,35;89,79,32,38,46,26"
# Two rows of 40 tokens (tiny.json's vocabulary has 256).
long_prompt=""
for row in 0 1; do
  [ -n "$long_prompt" ] && long_prompt+=";"
  for i in $(seq 0 39); do
    [ "$i" -gt 0 ] && long_prompt+=","
    long_prompt+=$(((i * 37 + row * 101 + 11) % 256))
  done
done

prepare() {
  "$root/scripts/build.sh" >/dev/null
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/lib" "$dir/models"
  cp "$build/test/Integration/retention-kernel-test" "$build/bin/retention-bench" \
    "$build/bin/retnet-run" "$build/bin/npy-compare" "$build/bin/fill-weights" \
    "$root/benchmarks/peers/chunkwise_peers.py" "$dir/bin/"
  local fla="${FLA_SRC:-$root/.fla}"
  if [ -d "$fla/fla" ]; then
    mkdir -p "$dir/fla"
    cp -r "$fla/fla" "$dir/fla/"
  fi
  # The shared libraries the programs and the compiled kernels load.
  for name in libomp.so.5 libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
    path="$(ldconfig -p | awk -v n="$name" '$1 == n { print $NF; exit }')"
    [ -n "$path" ] && cp -L "$path" "$dir/lib/$name"
  done

  # Host code for a CPU that the GPU machine has too (its CPU is not this
  # one): model libraries refuse a CPU without their features, kernels
  # would fault.
  local cpu=--cpu=x86-64-v3
  echo "== kernels (retention-kernel-test, retention-bench) for the GPU"
  "$dir/bin/retention-kernel-test" --compiler="$build/bin/retnet-compile" \
    --compiler-arg=--target=cuda --compiler-arg=$cpu --work-dir="$dir/kernels" \
    --compile-only --jobs="${RETNET_JOBS:-2}" | tail -1
  "$dir/bin/retention-bench" --compiler="$build/bin/retnet-compile" \
    --compiler-arg=$cpu --target=cuda --gpu-shapes --work-dir="$dir/bench" \
    --compile-only

  echo "== models"
  local models="$dir/models"
  local tiny="$root/examples/tiny.json"
  "$build/bin/retnet-weights" "$tiny" -o "$models/tiny.safetensors" --seed 7
  "$build/bin/retnet-reference" "$tiny" "$models/tiny.safetensors" \
    --prompt="$prompt" --logits-out="$models/tiny-reference.npy"
  "$build/bin/retnet-compile" "$tiny" $cpu -o "$models/libtiny-cpu.so"
  "$build/bin/retnet-run" "$models/libtiny-cpu.so" \
    --weights "$models/tiny.safetensors" --prompt "$prompt" \
    --max-new-tokens 16 >"$models/tiny-cpu-generated.txt" 2>/dev/null
  for form in auto parallel recurrent chunkwise; do
    "$build/bin/retnet-compile" "$tiny" $cpu --target=cuda --form="$form" \
      -o "$models/libtiny-cuda-$form.so"
  done
  "$build/bin/retnet-reference" "$tiny" "$models/tiny.safetensors" \
    --prompt="$long_prompt" --logits-out="$models/tiny-long-reference.npy"
  "$build/bin/retnet-compile" "$tiny" $cpu --target=cuda \
    --gpu-row-tile-rows=1 -o "$models/libtiny-cuda-rows.so"
  # The small model: its library, and the header of its weights file (the
  # weights themselves are random, made on the GPU machine: too large to
  # carry).
  local small="$root/examples/small.json"
  "$build/bin/retnet-compile" "$small" $cpu --target=cuda \
    -o "$models/libsmall-cuda.so"
  "$build/bin/retnet-compile" "$small" $cpu --target=cuda \
    --gpu-tensor-cores=off -o "$models/libsmall-cuda-ffma.so"
  "$build/bin/retnet-weights" "$small" -o "$models/small.safetensors" --seed 1
  local header
  header=$(od -An -t u8 -N8 "$models/small.safetensors" | tr -d ' ')
  head -c $((8 + header)) "$models/small.safetensors" >"$models/small.header"
  rm "$models/small.safetensors"
  # The 1.3B example likewise (its f32 weights, 5 GB, are made there).
  local large="$root/examples/retnet-1.3b.json"
  "$build/bin/retnet-compile" "$large" $cpu --target=cuda \
    -o "$models/libretnet-1.3b-cuda.so"
  "$build/bin/retnet-weights" "$large" -o "$models/large.safetensors" --seed 1
  header=$(od -An -t u8 -N8 "$models/large.safetensors" | tr -d ' ')
  head -c $((8 + header)) "$models/large.safetensors" >"$models/large.header"
  rm "$models/large.safetensors"
  du -sh "$dir"
}

run() {
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local results="$dir/results.md" failures=0 models="$dir/models"
  nvidia-smi -L || true
  {
    echo "# retnet-mlir CUDA target: $(date -u +%Y-%m-%d)"
    echo
    echo "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo unknown)"
    echo
    echo "## Tests"
    echo
  } >"$results"

  echo "== retention kernels on the GPU against the float64 reference"
  if "$dir/bin/retention-kernel-test" --precompiled --work-dir="$dir/kernels" \
      --compiler-arg=--target=cuda >"$dir/kernel-test.log" 2>&1; then
    echo "- PASS retention kernels: $(tail -1 "$dir/kernel-test.log")" >>"$results"
  else
    failures=$((failures + 1))
    echo "- FAIL retention kernels: $(tail -1 "$dir/kernel-test.log")" >>"$results"
    grep '^FAIL' "$dir/kernel-test.log" | head -20 || true
  fi

  echo "== tiny model on the GPU, every form"
  for form in auto parallel recurrent chunkwise; do
    local lib="$models/libtiny-cuda-$form.so"
    if "$dir/bin/retnet-run" "$lib" --weights "$models/tiny.safetensors" \
        --prompt "$prompt" --max-new-tokens 16 \
        --logits-out "$dir/tiny-$form.npy" >"$dir/tiny-$form.txt" \
        2>"$dir/tiny-$form.err" &&
      compared=$("$dir/bin/npy-compare" "$dir/tiny-$form.npy" \
        "$models/tiny-reference.npy" 1e-4) &&
      cmp -s "$dir/tiny-$form.txt" "$models/tiny-cpu-generated.txt"; then
      echo "- PASS tiny model, $form: prefill logits vs float64 reference: ${compared#PASS }; generation equals the CPU library's" >>"$results"
    else
      failures=$((failures + 1))
      echo "- FAIL tiny model, $form: ${compared:-} $(head -c 300 "$dir/tiny-$form.err")" >>"$results"
    fi
    compared=""
  done

  echo "== tiny model, every product in row tiles (tensor cores)"
  if "$dir/bin/retnet-run" "$models/libtiny-cuda-rows.so" \
      --weights "$models/tiny.safetensors" --prompt "$long_prompt" \
      --max-new-tokens 1 --logits-out "$dir/tiny-rows.npy" \
      >/dev/null 2>"$dir/tiny-rows.err" &&
    compared=$("$dir/bin/npy-compare" "$dir/tiny-rows.npy" \
      "$models/tiny-long-reference.npy" 1e-4); then
    echo "- PASS tiny model, row tiles on tensor cores, 2 x 40 tokens: prefill logits vs float64 reference: ${compared#PASS }" >>"$results"
  else
    failures=$((failures + 1))
    echo "- FAIL tiny model, row tiles on tensor cores: ${compared:-} $(head -c 300 "$dir/tiny-rows.err")" >>"$results"
  fi
  compared=""

  if [ "$mode" = all ]; then
    echo "== GPU lit tests"
    if /usr/bin/python3 /usr/lib/llvm-22/bin/lit -sv "$build/test/Integration/GPU" \
        >"$dir/lit.log" 2>&1; then
      echo "- PASS GPU lit tests: $(grep -E 'Passed|Unsupported' "$dir/lit.log" | tr -s ' ' | tr '\n' ' ')" >>"$results"
    else
      failures=$((failures + 1))
      echo "- FAIL GPU lit tests (see $dir/lit.log)" >>"$results"
    fi
  fi

  echo "== retention benchmark"
  {
    echo
    echo "## Retention kernels (retention-bench --target=cuda --gpu-shapes; medians)"
    echo
    echo '```'
  } >>"$results"
  if ! "$dir/bin/retention-bench" --precompiled --target=cuda --gpu-shapes \
      --work-dir="$dir/bench" >>"$results" 2>"$dir/bench.err"; then
    failures=$((failures + 1))
    cat "$dir/bench.err" >>"$results"
  fi
  echo '```' >>"$results"

  echo "== small model benchmark"
  {
    echo
    echo "## examples/small.json (retnet-run --bench; batch 1, random weights)"
    echo
    echo '```'
  } >>"$results"
  if "$dir/bin/fill-weights" "$models/small.header" "$dir/small.safetensors" &&
    "$dir/bin/retnet-run" "$models/libsmall-cuda.so" \
      --weights "$dir/small.safetensors" --bench \
      --bench-contexts=128,1024,4096 >>"$results" 2>"$dir/small.err"; then
    :
  else
    failures=$((failures + 1))
    cat "$dir/small.err" >>"$results"
  fi
  echo '```' >>"$results"
  {
    echo
    echo "Prefill products on FFMA only (--gpu-tensor-cores=off), same weights:"
    echo
    echo '```'
  } >>"$results"
  if ! "$dir/bin/retnet-run" "$models/libsmall-cuda-ffma.so" \
      --weights "$dir/small.safetensors" --bench --bench-contexts=128 \
      >>"$results" 2>"$dir/small-ffma.err"; then
    failures=$((failures + 1))
    cat "$dir/small-ffma.err" >>"$results"
  fi
  echo '```' >>"$results"
  rm -f "$dir/small.safetensors"

  echo "== 1.3B model benchmark"
  {
    echo
    echo "## examples/retnet-1.3b.json (retnet-run --bench: 2048-token prefill; decode at batch 1 and 64, context 128; random f32 weights)"
    echo
    echo '```'
  } >>"$results"
  if "$dir/bin/fill-weights" "$models/large.header" "$dir/large.safetensors" &&
    "$dir/bin/retnet-run" "$models/libretnet-1.3b-cuda.so" \
      --weights "$dir/large.safetensors" --bench --bench-prompt=2048 \
      --bench-batch=1,64 --bench-contexts=128 --bench-steps=16 \
      >>"$results" 2>"$dir/large.err"; then
    :
  else
    failures=$((failures + 1))
    cat "$dir/large.err" >>"$results"
  fi
  echo '```' >>"$results"
  rm -f "$dir/large.safetensors"

  echo "== peers: chunkwise retention in PyTorch (cuBLAS) and flash-linear-attention"
  {
    echo
    echo "## Peers (benchmarks/peers/chunkwise_peers.py; B8 H16 T8192 dk128 dv256 bf16, chunk 64; medians)"
    echo
    echo '```'
  } >>"$results"
  if ! PYTHONPATH="$dir/fla${PYTHONPATH:+:$PYTHONPATH}" python3 \
      "$dir/bin/chunkwise_peers.py" --check >>"$results" 2>"$dir/peers.err"; then
    echo "(peers did not run: $(tail -c 300 "$dir/peers.err"))" >>"$results"
  fi
  echo '```' >>"$results"

  cat "$results"
  echo
  echo "$failures failed"
  [ "$failures" -eq 0 ]
}

case "$mode" in
  prepare) prepare ;;
  run) run ;;
  all)
    prepare
    run
    ;;
  *)
    echo "usage: $0 [prepare DIR | run DIR]" >&2
    exit 2
    ;;
esac
