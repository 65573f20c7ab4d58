// RUN: retnet-opt %s -retnet-gpu-distribute-linalg="threads=128 row-tile-rows=-1" -canonicalize -cse -split-input-file | FileCheck %s

// An element-wise op right after a reduction that reads the reduction's
// output only at the point it writes (here in place: the norm factor of an
// RMSNorm) runs in the reduction's blocks, on each block's output tile,
// after the split sum's merge: one kernel, not two.

// CHECK-LABEL: func @norm_factor_in_place
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x512xf32>, %[[SUM:[^:]*]]: memref<?xf32>)
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (%{{.*}}) step (32) {
// CHECK:   %[[TILE:.*]] = memref.subview %[[SUM]][%[[ROW]]]
// CHECK:   memref.alloca() : memref<32x4xf32, #gpu.address_space<workgroup>>
// The partial sums, then the merge into the output tile.
// CHECK:   scf.forall
// CHECK:   scf.forall
// CHECK:   scf.forall (%{{.*}}) in (32) {
// CHECK:     memref.store %{{.*}}, %{{.*}} : memref<?xf32, strided<[1], offset: ?>>
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// The epilogue, on the same tile.
// CHECK:   scf.forall (%[[T:.*]]) in (32) {
// CHECK:     %[[POINT:.*]] = memref.subview %[[TILE]][%[[T]]]
// CHECK:     %[[S:.*]] = memref.load %[[POINT]]
// CHECK:     %[[R:.*]] = math.rsqrt %[[S]]
// CHECK:     memref.store %[[R]], %[[POINT]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_0>]}
// CHECK-NEXT: return
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @norm_factor_in_place(%x: memref<?x512xf32>, %sum: memref<?xf32>) {
  linalg.generic {indexing_maps = [#rows, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x512xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %square = arith.mulf %in, %in : f32
    %add = arith.addf %acc, %square : f32
    linalg.yield %add : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      outs(%sum : memref<?xf32>) {
  ^bb0(%s: f32):
    %r = math.rsqrt %s : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A chain: the sum of squares of an RMSNorm, its factor (in place) and the
// normalization that reads the factor of its row (a broadcast along the
// 512 columns, which each block runs whole, spread over its threads).

// CHECK-LABEL: func @rms_norm_chain
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x512xf32>)
// CHECK: %[[SUM:.*]] = memref.alloc
// CHECK: %[[Y:.*]] = memref.alloc
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (%{{.*}}) step (32) {
// CHECK:   math.rsqrt
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   %[[OUT:.*]] = memref.subview %[[Y]][%[[ROW]], 0] [%[[ROWS:.*]], 512] [1, 1]
// 128 threads over the 512 columns, 4 neighbouring columns each, every row.
// CHECK:   scf.forall (%[[T:.*]]) in (128) {
// CHECK:     %[[COLUMN:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:     memref.subview %{{.*}}[0, %[[COLUMN]]] [%[[ROWS]], 4] [1, 1]
// CHECK:     memref.subview %[[OUT]][0, %[[COLUMN]]] [%[[ROWS]], 4] [1, 1]
// CHECK:     scf.for %{{.*}} = %c0 to %[[ROWS]] step %c1 {
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c1 {
// CHECK:         arith.mulf
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_0>]}
// CHECK-NEXT: return %[[Y]]
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @rms_norm_chain(%x: memref<?x512xf32>) -> memref<?x512xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x512xf32>
  %sum = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [#rows, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x512xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %square = arith.mulf %in, %in : f32
    %add = arith.addf %acc, %square : f32
    linalg.yield %add : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      outs(%sum : memref<?xf32>) {
  ^bb0(%s: f32):
    %r = math.rsqrt %s : f32
    linalg.yield %r : f32
  }
  %y = memref.alloc(%n) : memref<?x512xf32>
  linalg.generic {indexing_maps = [#rows, affine_map<(d0, d1) -> (d0)>, #rows],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : memref<?x512xf32>, memref<?xf32>)
      outs(%y : memref<?x512xf32>) {
  ^bb0(%in: f32, %factor: f32, %out: f32):
    %scaled = arith.mulf %in, %factor : f32
    linalg.yield %scaled : f32
  }
  return %y : memref<?x512xf32>
}

// -----

// Heads of K channels: a per-head norm's sums and factors [B, H] (H = 4),
// then a gate over [B, H * K] (K = 64) that reads the factor of channel c's
// head as `c floordiv 64`. Each block of the sums (32 rows, all 4 heads)
// runs the gate on its rows, all 256 channels.

// CHECK-LABEL: func @per_head_gate
// CHECK-SAME: (%[[O:[^:]*]]: memref<?x4x64xf32>)
// CHECK: %[[SUMS:.*]] = memref.alloc
// CHECK: %[[GATED:.*]] = memref.alloc
// CHECK: scf.forall (%[[ROW:.*]], %{{.*}}) = (0, 0) to (%{{.*}}, 4) step (8, 4) {
// CHECK:   math.rsqrt
// CHECK:   %[[OUT:.*]] = memref.subview %[[GATED]][%[[ROW]], 0] [%[[ROWS:.*]], 256] [1, 1]
// 128 threads, 2 neighbouring channels each, of one head.
// CHECK:   scf.forall (%[[T:.*]]) in (128) {
// CHECK:     %[[HEAD:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:     memref.subview %{{.*}}[0, %[[HEAD]]] [%[[ROWS]], 1] [1, 1]
// CHECK:     memref.subview %[[OUT]][0, %{{.*}}] [%[[ROWS]], 2] [1, 1]
// CHECK:       arith.mulf
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK-NEXT: return %[[GATED]]
func.func @per_head_gate(%o: memref<?x4x64xf32>) -> memref<?x256xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %o, %c0 : memref<?x4x64xf32>
  %sums = memref.alloc(%n) : memref<?x4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%o : memref<?x4x64xf32>) outs(%sums : memref<?x4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %square = arith.mulf %in, %in : f32
    %add = arith.addf %acc, %square : f32
    linalg.yield %add : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      outs(%sums : memref<?x4xf32>) {
  ^bb0(%s: f32):
    %r = math.rsqrt %s : f32
    linalg.yield %r : f32
  }
  %gated = memref.alloc(%n) : memref<?x256xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1 floordiv 64, d1 mod 64)>,
                                   affine_map<(d0, d1) -> (d0, d1 floordiv 64)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%o, %sums : memref<?x4x64xf32>, memref<?x4xf32>)
      outs(%gated : memref<?x256xf32>) {
  ^bb0(%in: f32, %factor: f32, %out: f32):
    %scaled = arith.mulf %in, %factor : f32
    linalg.yield %scaled : f32
  }
  return %gated : memref<?x256xf32>
}

// -----

// A residual add after a matrix product, reading the product through a view
// that adds a unit dimension ([M, N] as [M, 1, N]) and writing a new
// buffer: the product's blocks (32 of its 8192 columns each) add their
// own tiles. The allocation and the view between the two move before the
// product.

// CHECK-LABEL: func @residual_through_unit_view
// CHECK-SAME: (%[[A:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<64x8192xf32>, %[[R:[^:]*]]: memref<?x1x8192xf32>)
// CHECK: %[[C:.*]] = memref.alloc(%[[M:.*]]) : memref<?x8192xf32>
// CHECK: %[[VIEW:.*]] = memref.reinterpret_cast %[[C]]
// CHECK: %[[O:.*]] = memref.alloc(%[[M]]) : memref<?x1x8192xf32>
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (%[[M]], 8192) step (1, 32) {
// CHECK:   arith.mulf
// CHECK:   %[[RT:.*]] = memref.subview %[[R]][%[[I]], 0, %[[J]]] [1, 1, 32]
// CHECK:   %[[CT:.*]] = memref.subview %[[VIEW]][%[[I]], 0, %[[J]]] [1, 1, 32]
// CHECK:   %[[OT:.*]] = memref.subview %[[O]][%[[I]], 0, %[[J]]] [1, 1, 32]
// CHECK:   scf.forall (%{{.*}}) in (32) {
// CHECK:     arith.addf
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK-NEXT: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK-NEXT: return %[[O]]
#identity3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @residual_through_unit_view(%a: memref<?x64xf32>, %b: memref<64x8192xf32>,
                                      %r: memref<?x1x8192xf32>) -> memref<?x1x8192xf32> {
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x64xf32>
  %c = memref.alloc(%m) : memref<?x8192xf32>
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x8192xf32>)
                outs(%c : memref<?x8192xf32>)
  %view = memref.reinterpret_cast %c to offset: [0], sizes: [%m, 1, 8192],
      strides: [8192, 8192, 1] : memref<?x8192xf32> to memref<?x1x8192xf32>
  %o = memref.alloc(%m) : memref<?x1x8192xf32>
  linalg.generic {indexing_maps = [#identity3, #identity3, #identity3],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r, %view : memref<?x1x8192xf32>, memref<?x1x8192xf32>)
      outs(%o : memref<?x1x8192xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %add = arith.addf %x, %y : f32
    linalg.yield %add : f32
  }
  return %o : memref<?x1x8192xf32>
}

// -----

// Element-wise ops that a block cannot run on its own tile stay kernels of
// their own: one that reads the output's first column (other blocks'
// points),
// one that writes a buffer the product reads (other blocks may still read
// it), one behind a copy (a memory effect in between), and one whose
// operands are arguments that may be the output's memory.

// CHECK-LABEL: func @not_epilogues
// CHECK-COUNT-8: {mapping = [#gpu.block
// CHECK-NOT: {mapping = [#gpu.block
#map2 = affine_map<(d0, d1) -> (d0, d1)>
#first_column = affine_map<(d0, d1) -> (d0, 0)>
func.func @not_epilogues(%a: memref<64x64xf32>, %b: memref<64x64xf32>,
                         %d: memref<64x64xf32>, %e: memref<64x64xf32>) {
  %c = memref.alloc() : memref<64x64xf32>
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>)
                outs(%c : memref<64x64xf32>)
  %t = memref.alloc() : memref<64x64xf32>
  linalg.generic {indexing_maps = [#first_column, #map2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<64x64xf32>) outs(%t : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  %x = memref.alloc() : memref<64x64xf32>
  %c2 = memref.alloc() : memref<64x64xf32>
  linalg.matmul ins(%x, %b : memref<64x64xf32>, memref<64x64xf32>)
                outs(%c2 : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#map2, #map2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c2 : memref<64x64xf32>) outs(%x : memref<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %c3 = memref.alloc() : memref<64x64xf32>
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>)
                outs(%c3 : memref<64x64xf32>)
  memref.copy %a, %e : memref<64x64xf32> to memref<64x64xf32>
  %u = memref.alloc() : memref<64x64xf32>
  linalg.generic {indexing_maps = [#map2, #map2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c3 : memref<64x64xf32>) outs(%u : memref<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>)
                outs(%d : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#map2, #map2, #map2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%d, %a : memref<64x64xf32>, memref<64x64xf32>)
      outs(%e : memref<64x64xf32>) {
  ^bb0(%in: f32, %other: f32, %out: f32):
    %add = arith.addf %in, %other : f32
    linalg.yield %add : f32
  }
  return
}
