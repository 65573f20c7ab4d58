// RUN: retnet-opt %s -retnet-gpu-merge-independent-kernels -canonicalize -cse -split-input-file | FileCheck %s

// Three block loops that neither read nor write what another writes (the
// rotations of q and k and the head split of v read the same projection):
// one loop over the sum of their blocks, block `id` running the first
// loop's body below the first's block count, then the second's, then the
// third's; the allocations between them move before it.

// CHECK-LABEL: func @independent_loops
// CHECK-SAME: (%[[X:.*]]: memref<?x128xf32>)
// CHECK-DAG: %[[N:.*]] = memref.dim %[[X]]
// CHECK-DAG: %[[A:.*]] = memref.alloc(%[[N]]) : memref<?x128xf32>
// CHECK-DAG: %[[B:.*]] = memref.alloc(%[[N]]) : memref<?x128xf32>
// CHECK-DAG: %[[C:.*]] = memref.alloc(%[[N]]) : memref<?x64xf32>
// CHECK: scf.forall (%[[ID:.*]]) in (%{{.*}}) {
// CHECK:   %[[FIRST:.*]] = arith.cmpi ult, %[[ID]], %[[N]]
// CHECK:   scf.if %[[FIRST]] {
// CHECK:     scf.forall
// CHECK:       arith.mulf
// CHECK:       memref.store %{{.*}}, %[[A]]
// CHECK:   } else {
// CHECK:     scf.if %{{.*}} {
// CHECK:       %[[ROW:.*]] = arith.subi %[[ID]], %[[N]]
// CHECK:       scf.forall
// CHECK:         arith.addf
// CHECK:         memref.store %{{.*}}, %[[B]][%[[ROW]], %{{.*}}]
// CHECK:     } else {
// CHECK:       scf.forall
// CHECK:         memref.store %{{.*}}, %[[C]]
// CHECK: } {mapping = [#gpu.block<linear_dim_0>]}
// CHECK-NOT: scf.forall
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @independent_loops(%x: memref<?x128xf32>)
    -> (memref<?x128xf32>, memref<?x128xf32>, memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x128xf32>
  %a = memref.alloc(%n) : memref<?x128xf32>
  scf.forall (%i, %j) = (0, 0) to (%n, 128) step (1, 128) {
    scf.forall (%t) in (128) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %a[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
  %b = memref.alloc(%n) : memref<?x128xf32>
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (128) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %b[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  %c = memref.alloc(%n) : memref<?x64xf32>
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (64) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      memref.store %v, %c[%i, %t] : memref<?x64xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return %a, %b, %c : memref<?x128xf32>, memref<?x128xf32>, memref<?x64xf32>
}

// -----

// Left alone: a loop that reads what the one before writes, one with a
// workgroup buffer, one mapped to block x rather than linear dims, and one
// behind an op with memory effects.

// CHECK-LABEL: func @dependent_loops
// CHECK-COUNT-5: {mapping = [#gpu.block
// CHECK-NOT: {mapping = [#gpu.block
func.func @dependent_loops(%x: memref<?x128xf32>, %y: memref<?x128xf32>)
    -> (memref<?x128xf32>, memref<?x128xf32>, memref<?x128xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x128xf32>
  %a = memref.alloc(%n) : memref<?x128xf32>
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (128) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      memref.store %v, %a[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (128) {
      %v = memref.load %a[%i, %t] : memref<?x128xf32>
      memref.store %v, %y[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  %b = memref.alloc(%n) : memref<?x128xf32>
  scf.forall (%i) in (%n) {
    %tile = memref.alloca() : memref<128xf32, #gpu.address_space<workgroup>>
    scf.forall (%t) in (128) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      memref.store %v, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %v, %b[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  %c = memref.alloc(%n) : memref<?x128xf32>
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (128) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      memref.store %v, %c[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  memref.copy %x, %y : memref<?x128xf32> to memref<?x128xf32>
  %d = memref.alloc(%n) : memref<?x128xf32>
  scf.forall (%i) in (%n) {
    scf.forall (%t) in (128) {
      %v = memref.load %x[%i, %t] : memref<?x128xf32>
      memref.store %v, %d[%i, %t] : memref<?x128xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return %b, %c, %d : memref<?x128xf32>, memref<?x128xf32>, memref<?x128xf32>
}
