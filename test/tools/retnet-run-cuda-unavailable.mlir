// REQUIRES: ptxas
// UNSUPPORTED: cuda-device
// RUN: rm -rf %t && mkdir -p %t
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda -o %t/libtiny.so
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/tiny.safetensors --seed 3
// RUN: env LD_LIBRARY_PATH= not retnet-run %t/libtiny.so --weights %t/tiny.safetensors --prompt 1,2,3 --max-new-tokens 2 2>&1 | FileCheck %s

// Without a CUDA device a CUDA model library still loads; loading the
// weights fails with the reason, and nothing crashes.
// CHECK: retnet-run: error: '{{.*}}tiny.safetensors': this model library was compiled for CUDA, but CUDA is unusable here: {{.*}}
