// RUN: retnet-opt %s -retnet-cpu-pipeline | FileCheck %s --check-prefixes=CHECK,BLOCKS
// RUN: retnet-opt %s -retnet-cpu-pipeline="form=recurrent threads=2" | FileCheck %s --check-prefixes=CHECK,THREADS --implicit-check-not="llvm.func @malloc"
// RUN: retnet-opt %s -retnet-cpu-pipeline="form=parallel" | FileCheck %s --check-prefixes=CHECK,BLOCKS
// RUN: retnet-opt %s -retnet-cpu-pipeline="form=auto chunk-size=16" | FileCheck %s --check-prefixes=CHECK,BLOCKS
// RUN: not retnet-opt %s -retnet-cpu-pipeline="form=fastest" 2>&1 | FileCheck %s --check-prefix=BAD

// The pipeline leaves only the LLVM and OpenMP dialects, with a C entry point,
// heads on OpenMP threads and no runtime helper beyond libc, libm and libomp.
// The recurrent form allocates nothing: each token updates the state in
// place and accumulates its output row in the output.

// BAD: Cannot find option named 'fastest'

// CHECK-NOT: retention.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: tensor.
// CHECK-NOT: memrefCopy
// BLOCKS-DAG: llvm.func @malloc
// CHECK-DAG: llvm.func @expm1(f64) -> f64
// CHECK: llvm.func @retention(
// THREADS: %[[N:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: omp.parallel
// THREADS-SAME: num_threads(%[[N]] : i32)
// CHECK: omp.wsloop
// CHECK: llvm.func @_mlir_ciface_retention(
func.func @retention(%q: memref<?x2x?x16xf32>, %k: memref<?x2x?x16xf32>, %v: memref<?x2x?x32xf32>, %s0: memref<?x2x16x32xf32>, %pos: index, %o: memref<?x2x?x32xf32>, %sT: memref<?x2x16x32xf32>) attributes {llvm.emit_c_interface} {
  %qt = bufferization.to_tensor %q restrict : memref<?x2x?x16xf32> to tensor<?x2x?x16xf32>
  %kt = bufferization.to_tensor %k restrict : memref<?x2x?x16xf32> to tensor<?x2x?x16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<?x2x?x32xf32> to tensor<?x2x?x32xf32>
  %st = bufferization.to_tensor %s0 restrict : memref<?x2x16x32xf32> to tensor<?x2x16x32xf32>
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %out, %state = retention.chunkwise %qt, %kt, %vt gamma %gamma state %st offset %pos {scaling = #retention.scaling<decay_sqrt_sum>, chunk_size = 16} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x32xf32>, tensor<2xf64>, tensor<?x2x16x32xf32> -> tensor<?x2x?x32xf32>, tensor<?x2x16x32xf32>
  bufferization.materialize_in_destination %out in restrict writable %o : (tensor<?x2x?x32xf32>, memref<?x2x?x32xf32>) -> ()
  bufferization.materialize_in_destination %state in restrict writable %sT : (tensor<?x2x16x32xf32>, memref<?x2x16x32xf32>) -> ()
  return
}
