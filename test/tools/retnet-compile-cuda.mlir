// REQUIRES: ptxas
// RUN: rm -rf %t && mkdir -p %t
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda -o %t/libkernel.so
// RUN: llvm-nm -D %t/libkernel.so | FileCheck %s --check-prefix=KERNEL
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-chip=sm_80 --gpu-features=+ptx70 -o %t/libtiny.so
// RUN: llvm-nm -D --defined-only %t/libtiny.so | FileCheck %s --check-prefix=MODEL
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --emit=exe -o %t/tiny
// bf16 weights on the CUDA target: its kernels widen them as the CPU's do.
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --weight-type=bf16 -o %t/libtiny-bf16.so
// RUN: llvm-nm -D --defined-only %t/libtiny-bf16.so | FileCheck %s --check-prefix=MODEL
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --emit=mlir -o - | FileCheck %s --check-prefix=MLIR
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --emit=import -o - | FileCheck %s --check-prefix=IMPORT
// RUN: not retnet-compile %S/Inputs/tiny.json --target=cuda --cuda-toolkit=%t/none -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=TOOLKIT

// A kernel library: the C entry point and the mgpu* runtime it calls.
// KERNEL-DAG: T _mlir_ciface_retention
// KERNEL-DAG: T mgpuLaunchKernel
// KERNEL-DAG: T mgpuModuleLoad

// A model library exports the C API only.
// MODEL-DAG: T retnet_model_load
// MODEL-DAG: T retnet_decode
// MODEL-DAG: R retnet_abi_buffers
// MODEL-NOT: mgpu

// The three entry points launch kernels whose cubin is embedded.
// MLIR-DAG: llvm.func @retnet_graph_prefill_all(
// MLIR-DAG: llvm.func @retnet_graph_decode(
// MLIR-DAG: gpu.launch_func
// MLIR-DAG: gpu.binary @retnet_graph_decode_kernel{{.*}}chip = "sm_90a"
// MLIR-DAG: llvm.mlir.global external constant @retnet_abi_buffers(1 : i32)

// IMPORT: llvm.mlir.global external constant @retnet_abi_buffers(1 : i32)

// TOOLKIT: retnet-compile: error: --target=cuda needs the CUDA toolkit's ptxas, not found at '{{.*}}none/bin/ptxas' (set --cuda-toolkit or CUDA_HOME)
