// REQUIRES: ptxas
// RUN: retnet-opt %s --pass-pipeline="builtin.module(gpu-kernel-outlining,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=bin})" -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: mlir-translate --mlir-to-llvmir %t.mlir | FileCheck %s --check-prefix=HOST

// The toolchain of the CUDA target: a kernel outlined, lowered to NVVM and
// assembled by ptxas into an sm_90a cubin (an ELF image) embedded in the
// module, with host code calling the mgpu* entry points that
// lib/Runtime/cuda implements.

// CHECK: gpu.launch_func @scale_kernel::@scale_kernel
// CHECK: gpu.binary @scale_kernel [#gpu.object<#nvvm.target<chip = "sm_90a", features = "+ptx80">, {{.*}}bin = "\7FELF
// HOST-DAG: declare ptr @mgpuModuleLoad(ptr, i64)
// HOST-DAG: declare ptr @mgpuModuleGetFunction(ptr, ptr)
// HOST-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)
// HOST-DAG: declare ptr @mgpuStreamCreate()
// HOST-DAG: declare void @mgpuStreamSynchronize(ptr)
func.func @scale(%a: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %two = arith.constant 2.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %block = arith.muli %bx, %c128 : index
    %i = arith.addi %block, %tx : index
    %v = memref.load %a[%i] : memref<?xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %a[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}
