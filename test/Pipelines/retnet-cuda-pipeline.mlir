// REQUIRES: ptxas
// RUN: retnet-opt %S/Inputs/kernel.mlir --retnet-cuda-pipeline | FileCheck %s --check-prefixes=CHECK,CHUNKWISE
// RUN: retnet-opt %S/Inputs/kernel.mlir --retnet-cuda-pipeline="form=parallel" | FileCheck %s --check-prefixes=CHECK,PARALLEL
// RUN: retnet-opt %S/Inputs/kernel.mlir --retnet-cuda-pipeline="form=recurrent gpu-chip=sm_80 gpu-features=+ptx70" | FileCheck %s --check-prefixes=CHECK,RECURRENT
// RUN: retnet-opt %S/Inputs/kernel.mlir --retnet-cuda-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=HOST

// Every form to host code that launches cubin kernels: the retention kernel
// (for the parallel form, outputs and final state), then the copies of the
// results into the destination buffers, except for the recurrent form,
// whose kernel updates the state in place (retnet-gpu-elide-copy-back);
// buffers through mgpuMemAlloc and mgpuMemFree on the function's stream,
// which it waits for before returning.

// CHECK-LABEL: llvm.func @retention(
// CHECK: llvm.call @mgpuStreamCreate()
// CHECK: llvm.call @mgpuMemAlloc
// CHUNKWISE: gpu.launch_func <%{{.*}} : !llvm.ptr> @retention_kernel::@retention_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) : i64
// PARALLEL: gpu.launch_func <%{{.*}} : !llvm.ptr> @retention_kernel::@retention_kernel
// PARALLEL: gpu.launch_func <%{{.*}} : !llvm.ptr> @retention_kernel_0::@retention_kernel
// RECURRENT: gpu.launch_func <%{{.*}} : !llvm.ptr> @retention_kernel::@retention_kernel
// CHUNKWISE: gpu.launch_func
// PARALLEL: gpu.launch_func
// RECURRENT-NOT: gpu.launch_func
// CHECK: llvm.call @mgpuMemFree
// CHECK: llvm.call @mgpuStreamSynchronize
// CHECK: llvm.call @mgpuStreamDestroy
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_retention(
// CHUNKWISE: gpu.binary @retention_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, {{.*}}bin = "\7FELF
// PARALLEL: gpu.binary @retention_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, {{.*}}bin = "\7FELF
// RECURRENT: gpu.binary @retention_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx70">, {{.*}}bin = "\7FELF
// CHECK-NOT: gpu.launch
// CHECK-NOT: memref.

// The host code, translated: the kernels' cubin loaded with mgpuModuleLoad.
// HOST-DAG: declare ptr @mgpuModuleLoad(ptr, i64)
// HOST-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)
// HOST-DAG: define void @_mlir_ciface_retention(
