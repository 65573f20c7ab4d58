// RUN: retnet-opt %s -retnet-bufferize -split-input-file | FileCheck %s

// Function boundaries bufferize to identity-layout memrefs; an in-place
// slice update is a linalg.copy into a subview of the argument (no
// memref.copy, which would need a runtime helper).
// CHECK-LABEL: func.func @insert_in_place
// CHECK-SAME: (%[[A:.*]]: memref<8x16xf32>, %[[B:.*]]: memref<4x16xf32>) -> memref<8x16xf32>
// CHECK: %[[VIEW:.*]] = memref.subview %[[A]][2, 0] [4, 16] [1, 1]
// CHECK: linalg.copy ins(%[[B]] : memref<4x16xf32>) outs(%[[VIEW]] :
// CHECK-NOT: memref.copy
// CHECK: return %[[A]]
func.func @insert_in_place(%a: tensor<8x16xf32>, %b: tensor<4x16xf32>) -> tensor<8x16xf32> {
  %r = tensor.insert_slice %b into %a[2, 0] [4, 16] [1, 1] : tensor<4x16xf32> into tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// When the original is still used, the update goes to a copy, made with
// linalg.copy too.
// CHECK-LABEL: func.func @insert_out_of_place
// CHECK-SAME: (%[[A:.*]]: memref<8x16xf32>, %[[B:.*]]: memref<4x16xf32>)
// CHECK: %[[NEW:.*]] = memref.alloc() {{.*}} : memref<8x16xf32>
// CHECK: linalg.copy ins(%[[A]] : memref<8x16xf32>) outs(%[[NEW]] : memref<8x16xf32>)
// CHECK: %[[VIEW:.*]] = memref.subview %[[NEW]][2, 0] [4, 16] [1, 1]
// CHECK: linalg.copy ins(%[[B]] : memref<4x16xf32>) outs(%[[VIEW]] :
// CHECK-NOT: memref.copy
// CHECK: return %[[A]], %[[NEW]]
func.func @insert_out_of_place(%a: tensor<8x16xf32>, %b: tensor<4x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %r = tensor.insert_slice %b into %a[2, 0] [4, 16] [1, 1] : tensor<4x16xf32> into tensor<8x16xf32>
  return %a, %r : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// An expand_shape of a contiguous buffer becomes a reinterpret_cast with
// row-major strides (expand-strided-metadata of MLIR 22 cannot take several
// dynamic sizes in one group).
// CHECK-LABEL: func.func @expand_dynamic
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK-NOT: memref.expand_shape
// CHECK: %[[CAST:.*]] = memref.reinterpret_cast %[[A]] to offset: [0], sizes: [%[[N]], %[[M]]], strides: [%[[M]], 1] : memref<?xf32> to memref<?x?xf32>
// CHECK: return %[[CAST]]
func.func @expand_dynamic(%a: tensor<?xf32>, %n: index, %m: index) -> tensor<?x?xf32> {
  %r = tensor.expand_shape %a [[0, 1]] output_shape [%n, %m] : tensor<?xf32> into tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// A loop may yield a buffer allocated in its body (the layer loop of a
// model computes each layer's activations into a new buffer).
// CHECK-LABEL: func.func @loop_carried
// CHECK: scf.for {{.*}} iter_args(%[[T:.*]] = %{{.*}}) -> (memref<16xf32>)
// CHECK:   %[[NEXT:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK:   linalg.add ins(%[[T]], %[[T]] : memref<16xf32>, memref<16xf32>) outs(%[[NEXT]] : memref<16xf32>)
// CHECK:   scf.yield %[[NEXT]] : memref<16xf32>
func.func @loop_carried(%init: tensor<16xf32>, %n: index) -> tensor<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %init) -> tensor<16xf32> {
    %e = tensor.empty() : tensor<16xf32>
    %f = linalg.add ins(%t, %t : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) -> tensor<16xf32>
    scf.yield %f : tensor<16xf32>
  }
  return %r : tensor<16xf32>
}

// -----

// A tensor.empty before the loop (as CSE leaves one whose sizes are known
// outside it) used in the body: the body gets an empty tensor of its own, so
// each layer allocates its result instead of writing the same buffer and
// copying it into a new one.
// CHECK-LABEL: func.func @shared_empty_in_loop
// CHECK-NOT: memref.alloc
// CHECK: scf.for {{.*}} iter_args(%[[T:.*]] = %{{.*}}) -> (memref<?xf32>)
// CHECK:   %[[NEXT:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?xf32>
// CHECK:   linalg.add ins(%[[T]], %[[T]] : memref<?xf32>, memref<?xf32>) outs(%[[NEXT]] : memref<?xf32>)
// CHECK-NOT: linalg.copy
// CHECK:   scf.yield %[[NEXT]] : memref<?xf32>
func.func @shared_empty_in_loop(%init: tensor<?xf32>, %n: index, %size: index) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty(%size) : tensor<?xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %init) -> tensor<?xf32> {
    %f = linalg.add ins(%t, %t : tensor<?xf32>, tensor<?xf32>) outs(%e : tensor<?xf32>) -> tensor<?xf32>
    scf.yield %f : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// One zero fill (of a reshaped tensor.empty) that two ops accumulate into
// (CSE merges equal fills): each gets a fill of its own, not a copy of the
// other's.
// CHECK-LABEL: func.func @shared_fill
// CHECK-NOT: linalg.copy
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT: linalg.copy
// CHECK-COUNT-2: linalg.add
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @shared_fill(%a: tensor<4x2x3xf32>, %b: tensor<4x2x3xf32>) -> (tensor<4x2x3xf32>, tensor<4x2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x6xf32>
  %x = tensor.expand_shape %e [[0], [1, 2]] output_shape [4, 2, 3] : tensor<4x6xf32> into tensor<4x2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%x : tensor<4x2x3xf32>) -> tensor<4x2x3xf32>
  %p = linalg.add ins(%a, %b : tensor<4x2x3xf32>, tensor<4x2x3xf32>) outs(%z : tensor<4x2x3xf32>) -> tensor<4x2x3xf32>
  %q = linalg.add ins(%b, %b : tensor<4x2x3xf32>, tensor<4x2x3xf32>) outs(%z : tensor<4x2x3xf32>) -> tensor<4x2x3xf32>
  return %p, %q : tensor<4x2x3xf32>, tensor<4x2x3xf32>
}

// -----

// A result computed into a tensor.empty and inserted into a destination is
// computed in the destination (empty-tensor elimination); the copy left is
// of the subview onto itself, which CSE and canonicalization erase.
// CHECK-LABEL: func.func @into_destination
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>, %[[D:.*]]: memref<8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.subview %[[D]][4] [4] [1]
// CHECK: linalg.add ins(%[[A]], %[[A]] : memref<4xf32>, memref<4xf32>) outs(%[[VIEW]] :
func.func @into_destination(%a: tensor<4xf32>, %d: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %s = linalg.add ins(%a, %a : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = tensor.insert_slice %s into %d[4] [4] [1] : tensor<4xf32> into tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A tile that is both inserted into a destination and sliced for the row
// that a fill starts (a decoding step's output row): one round of
// empty-tensor elimination places the tile but leaves the row's slice of
// the old empty tensor, which would be a buffer and a copy per iteration;
// the second round (after folding the slice to an empty tensor) computes
// the row in the destination too (the copies left are of subviews onto
// themselves, which CSE and canonicalization erase).
// CHECK-LABEL: func.func @row_of_a_tile
// CHECK-SAME: (%[[OUT:.*]]: memref<2x4xf32>)
// CHECK: scf.forall (%[[I:.*]]) in (2) {
// CHECK-NOT: memref.alloc
// CHECK:   %[[TILE:.*]] = memref.subview %[[OUT]][%[[I]], 0] [1, 4] [1, 1]
// CHECK:   %[[ROW:.*]] = memref.subview %[[TILE]][0, 0] [1, 4] [1, 1]
// CHECK:   linalg.fill ins(%{{.*}} : f32) outs(%[[ROW]] :
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @row_of_a_tile(%out: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %cst = arith.constant 1.0 : f32
  %r = scf.forall (%i) in (2) shared_outs(%o = %out) -> tensor<2x4xf32> {
    %tile = tensor.empty() : tensor<1x4xf32>
    %row = tensor.extract_slice %tile[0, 0] [1, 4] [1, 1] : tensor<1x4xf32> to tensor<4xf32>
    %filled = linalg.fill ins(%cst : f32) outs(%row : tensor<4xf32>) -> tensor<4xf32>
    %inserted = tensor.insert_slice %filled into %tile[0, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<1x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %inserted into %o[%i, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<2x4xf32>
    }
  }
  return %r : tensor<2x4xf32>
}
