// RUN: retnet-opt %s -retnet-gpu-distribute-linalg=threads=128 -canonicalize -cse -split-input-file | FileCheck %s

// A short reduction (K = 8): one thread per output element (the column
// index varies fastest across threads), the element carried through the
// reduction loop.

// CHECK-LABEL: func @short_product
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<8x?xf32>, %[[C:.*]]: memref<?x?xf32>)
// CHECK-DAG: %[[M:.*]] = memref.dim %[[A]], %c0
// CHECK-DAG: %[[N:.*]] = memref.dim %[[B]], %c1
// CHECK: %[[POINTS:.*]] = arith.muli %[[M]], %[[N]]
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[POINTS]], %c128
// CHECK: scf.forall (%[[BLOCK:.*]]) in (%[[BLOCKS]]) {
// CHECK:   scf.forall (%[[THREAD:.*]]) in (128) {
// CHECK:     %[[BASE:.*]] = arith.muli %[[BLOCK]], %c128
// CHECK:     %[[POINT:.*]] = arith.addi %[[BASE]], %[[THREAD]]
// CHECK:     %[[ACTIVE:.*]] = arith.cmpi ult, %[[POINT]], %[[POINTS]]
// CHECK:     scf.if %[[ACTIVE]] {
// CHECK:       %[[J:.*]] = arith.remui %[[POINT]], %[[N]]
// CHECK:       %[[I:.*]] = arith.divui %[[POINT]], %[[N]]
// CHECK:       %[[INIT:.*]] = memref.load %[[C]][%[[I]], %[[J]]]
// CHECK:       %[[SUM:.*]] = scf.for %[[K:.*]] = %c0 to %c8 step %c1 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK:         memref.load %[[A]][%[[I]], %[[K]]]
// CHECK:         memref.load %[[B]][%[[K]], %[[J]]]
// CHECK:         arith.mulf
// CHECK:         arith.addf %[[ACC]]
// CHECK:       memref.store %[[SUM]], %[[C]][%[[I]], %[[J]]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<x>]}
func.func @short_product(%a: memref<?x8xf32>, %b: memref<8x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

// A long sum (K = 64): blocks of 32 neighbouring elements; the 128 threads
// are 4 slices of the reduction (thread t: element t % 32, k = t / 32 + 4 i)
// whose partial sums meet in a workgroup tile; 32 threads add them to the
// outputs.

// CHECK-LABEL: func @long_product
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[B:.*]]: memref<64x?xf32>, %[[C:.*]]: memref<?x?xf32>)
// CHECK: %[[POINTS:.*]] = arith.muli
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[POINTS]], %c32
// CHECK: scf.forall (%[[BLOCK:.*]]) in (%[[BLOCKS]]) {
// CHECK:   %[[START:.*]] = arith.muli %[[BLOCK]], %c32
// CHECK:   %[[TILE:.*]] = memref.alloca() : memref<4x32xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.forall (%[[THREAD:.*]]) in (128) {
// CHECK:     %[[COLUMN:.*]] = arith.remui %[[THREAD]], %c32
// CHECK:     %[[SLICE:.*]] = arith.divui %[[THREAD]], %c32
// CHECK:     %[[POINT:.*]] = arith.addi %[[START]], %[[COLUMN]]
// CHECK:     scf.if
// CHECK:       %[[PARTIAL:.*]] = scf.for %{{.*}} = %[[SLICE]] to %c64 step %c4 iter_args(%{{.*}} = %cst) -> (f32) {
// CHECK:       memref.store %[[PARTIAL]], %[[TILE]][%[[SLICE]], %[[COLUMN]]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK:   scf.forall (%[[LANE:.*]]) in (32) {
// CHECK:     scf.if
// CHECK:       %[[INIT:.*]] = memref.load %[[C]]
// CHECK:       %[[P0:.*]] = memref.load %[[TILE]][%c0, %[[LANE]]]
// CHECK:       %[[S0:.*]] = arith.addf %[[INIT]], %[[P0]]
// CHECK-COUNT-3: arith.addf
// CHECK:       memref.store %{{.*}}, %[[C]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<x>]}
func.func @long_product(%a: memref<?x64xf32>, %b: memref<64x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

// linalg.index becomes the thread's index; an output the payload does not
// read is not loaded.

// CHECK-LABEL: func @iota
// CHECK: scf.forall
// CHECK:   scf.forall
// CHECK:     scf.if
// CHECK-NOT:   memref.load
// CHECK:       %[[CAST:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK:       arith.sitofp %[[CAST]]
// CHECK:       memref.store
func.func @iota(%out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%out : memref<?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i64
    %f = arith.sitofp %ii : i64 to f32
    linalg.yield %f : f32
  }
  return
}

// -----

// Ops already inside GPU blocks, and ops on tensors, are left alone.

// CHECK-LABEL: func @left_alone
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<8xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<8xf32>)
func.func @left_alone(%buffer: memref<8xf32>, %tensor: tensor<8xf32>) -> tensor<8xf32> {
  %cst = arith.constant 0.0 : f32
  scf.forall (%b) in (2) {
    linalg.fill ins(%cst : f32) outs(%buffer : memref<8xf32>)
  } {mapping = [#gpu.block<x>]}
  %filled = linalg.fill ins(%cst : f32) outs(%tensor : tensor<8xf32>) -> tensor<8xf32>
  return %filled : tensor<8xf32>
}
