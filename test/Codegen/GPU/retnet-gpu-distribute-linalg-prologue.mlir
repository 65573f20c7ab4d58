// RUN: retnet-opt %s -retnet-gpu-distribute-linalg="threads=128 row-tile-rows=-1" -canonicalize -cse -split-input-file | FileCheck %s

// An RMSNorm right before the product that it feeds (the sum of squares,
// the factor in place, the normalization into a buffer that only the
// product reads) runs in the product's blocks, first, on the row that each
// block reads, in workgroup memory: one kernel, not two, and no buffer for
// the normalized rows. The fill of the sum sinks past the copy, which does
// not touch it, so that the norm is one run of ops.

// CHECK-LABEL: func @rms_norm_into_product
// CHECK-NOT: memref.alloc(
// CHECK: memref.copy
// CHECK-NOT: memref.alloc(
// CHECK: scf.forall (%[[ROW:.*]], %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (1, 8) {
// CHECK:   %[[NORMED:.*]] = memref.alloca() : memref<1x1x512xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[FACTOR:.*]] = memref.alloca() : memref<1x1xf32, #gpu.address_space<workgroup>>
// CHECK:   memref.store %{{.*}}, %[[FACTOR]]
// The sum of squares of the block's row: 16 slices of 32 terms, then their
// merge, the factor and the normalization over the 128 threads.
// CHECK:   memref.subview %{{.*}}[%[[ROW]], 0, 0] [1, 1, 512]
// CHECK:   memref.alloca() : memref<1x1x16xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.forall (%{{.*}}) in (16)
// CHECK:   scf.forall (%{{.*}}) in (16)
// CHECK:   scf.forall (%{{.*}}) in (1)
// CHECK:     memref.store %{{.*}}, %[[FACTOR]]
// CHECK:   math.rsqrt
// CHECK:   scf.forall (%{{.*}}) in (128) {
// CHECK:     memref.subview %[[NORMED]]
// CHECK:     memref.load %[[FACTOR]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   %[[ROWS:.*]] = memref.collapse_shape %[[NORMED]]
// The product's split sum reads the row from workgroup memory: with only
// 256 columns, blocks of 8 of them (32 would make 8 blocks per row), each
// thread's partial sums over 2 neighbouring columns (the weights loaded as
// one 64-bit vector where aligned), so each column's sum is split into 32
// slices.
// CHECK:   memref.alloca() : memref<1x4x2x32xf32, #gpu.address_space<workgroup>>
// CHECK:   memref.expand_shape %[[ROWS]]
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (4, 32)
// CHECK:     vector.load {{.*}} {alignment = 8 : i64} : memref<16x1x1x2xf32, {{.*}}>, vector<2xf32>
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK-NEXT: return
#rows3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#gain = affine_map<(d0, d1, d2) -> (d2)>
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @rms_norm_into_product(%x: memref<?x1x512xf32>, %g: memref<512xf32>,
                                 %w: memref<512x256xf32>,
                                 %y: memref<?x256xf32>, %gcopy: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x1x512xf32>
  %sum = memref.alloc(%n) : memref<?x1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?x1xf32>)
  memref.copy %g, %gcopy : memref<512xf32> to memref<512xf32>
  linalg.generic {indexing_maps = [#rows3, #row3],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<?x1x512xf32>) outs(%sum : memref<?x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %square = arith.mulf %in, %in : f32
    %add = arith.addf %acc, %square : f32
    linalg.yield %add : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      outs(%sum : memref<?x1xf32>) {
  ^bb0(%s: f32):
    %r = math.rsqrt %s : f32
    linalg.yield %r : f32
  }
  %normed = memref.alloc(%n) : memref<?x1x512xf32>
  linalg.generic {indexing_maps = [#rows3, #row3, #gain, #rows3],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %sum, %g : memref<?x1x512xf32>, memref<?x1xf32>, memref<512xf32>)
      outs(%normed : memref<?x1x512xf32>) {
  ^bb0(%in: f32, %r: f32, %gi: f32, %o: f32):
    %m = arith.mulf %in, %r : f32
    %v = arith.mulf %m, %gi : f32
    linalg.yield %v : f32
  }
  %rows = memref.collapse_shape %normed [[0, 1], [2]]
      : memref<?x1x512xf32> into memref<?x512xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<?x256xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%rows, %w : memref<?x512xf32>, memref<512x256xf32>)
      outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %sum : memref<?x1xf32>
  memref.dealloc %normed : memref<?x1x512xf32>
  return
}

// -----

// A gate that reads the result of a loop (the last layer's output) runs in
// the blocks of the product that writes a function argument: the loop's
// result is one of the buffers it starts from or yields, all allocations,
// none of which the product's output can be.

// CHECK-LABEL: func @gate_of_loop_result
// CHECK: scf.yield
// CHECK-NOT: memref.alloc(
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (1, 8) {
// CHECK:   %[[GATED:.*]] = memref.alloca() : memref<1x512xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.forall (%{{.*}}) in (128) {
// CHECK:     math.exp
// CHECK:   memref.expand_shape %[[GATED]]
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK-NOT: scf.forall
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @gate_of_loop_result(%x: memref<?x512xf32>, %w: memref<512x256xf32>,
                               %y: memref<?x256xf32>, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x512xf32>
  %first = memref.alloc(%n) : memref<?x512xf32>
  memref.copy %x, %first : memref<?x512xf32> to memref<?x512xf32>
  %last = scf.for %i = %c0 to %steps step %c1 iter_args(%current = %first)
      -> (memref<?x512xf32>) {
    %next = memref.alloc(%n) : memref<?x512xf32>
    memref.copy %current, %next : memref<?x512xf32> to memref<?x512xf32>
    scf.yield %next : memref<?x512xf32>
  }
  %gated = memref.alloc(%n) : memref<?x512xf32>
  linalg.generic {indexing_maps = [#id2, #id2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%last : memref<?x512xf32>) outs(%gated : memref<?x512xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x256xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%gated, %w : memref<?x512xf32>, memref<512x256xf32>)
      outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %gated : memref<?x512xf32>
  return
}

// -----

// A gate whose output is also read after the product is not private to
// it: it keeps its own kernel, before the product's.

// CHECK-LABEL: func @gate_read_twice
// CHECK: %[[GATED:.*]] = memref.alloc
// CHECK: scf.forall
// CHECK:   math.exp
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: scf.forall
// CHECK-NOT: math.exp
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: memref.copy %[[GATED]]
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @gate_read_twice(%u: memref<?x512xf32>, %w: memref<512x256xf32>,
                           %y: memref<?x256xf32>, %z: memref<?x512xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %u, %c0 : memref<?x512xf32>
  %gated = memref.alloc(%n) : memref<?x512xf32>
  linalg.generic {indexing_maps = [#id2, #id2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%u : memref<?x512xf32>) outs(%gated : memref<?x512xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x256xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%gated, %w : memref<?x512xf32>, memref<512x256xf32>)
      outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.copy %gated, %z : memref<?x512xf32> to memref<?x512xf32>
  memref.dealloc %gated : memref<?x512xf32>
  return
}

// -----

// A producer that is itself a product costs more per row than half of a
// block of the consumer: it is not recomputed in each block.

// CHECK-LABEL: func @product_into_product
// CHECK: %[[H:.*]] = memref.alloc
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 512) step (1, 8) {
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (1, 8) {
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @product_into_product(%x: memref<?x512xf32>, %v: memref<512x512xf32>,
                                %w: memref<512x256xf32>, %y: memref<?x256xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x512xf32>
  %h = memref.alloc(%n) : memref<?x512xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<?x512xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %v : memref<?x512xf32>, memref<512x512xf32>)
      outs(%h : memref<?x512xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x256xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%h, %w : memref<?x512xf32>, memref<512x256xf32>)
      outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<?x512xf32>
  return
}

// -----

// An element-wise op whose output only a block loop loads (with
// memref.load), at its block's (batch, head) slice, runs in the loop's
// blocks, first, on that slice in workgroup memory; the loop loads from
// there.

// CHECK-LABEL: func @input_of_kernel
// CHECK-NOT: memref.alloc(
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in (%{{.*}}, 4) {
// CHECK:   %[[Q:.*]] = memref.alloca() : memref<1x1x1x16xf32, #gpu.address_space<workgroup>>
// CHECK:   memref.subview %{{.*}}[%[[B]], %[[H]], 0, 0] [1, 1, 1, 16]
// CHECK:   scf.forall (%{{.*}}) in (16) {
// CHECK:     math.exp
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   scf.forall (%[[T:.*]]) in (16) {
// CHECK:     memref.load %[[Q]][%c0, %c0, %c0, %[[T]]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK-NOT: memref.dealloc
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @input_of_kernel(%x: memref<?x4x1x16xf32>, %out: memref<?x4x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4x1x16xf32>
  %q = memref.alloc(%n) : memref<?x4x1x16xf32>
  linalg.generic {indexing_maps = [#id4, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x4x1x16xf32>) outs(%q : memref<?x4x1x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  scf.forall (%b, %h) in (%n, 4) {
    scf.forall (%t) in (16) {
      %v = memref.load %q[%b, %h, %c0, %t] : memref<?x4x1x16xf32>
      memref.store %v, %out[%b, %h, %t] : memref<?x4x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  memref.dealloc %q : memref<?x4x1x16xf32>
  return
}

// -----

// Kept: a load at an index of a dynamic dimension that is not the block's
// (all of it would be each block's slice).

// CHECK-LABEL: func @input_of_other_blocks
// CHECK: memref.alloc
// CHECK: math.exp
// CHECK: } {mapping = [#gpu.block<linear_dim_3>, #gpu.block<linear_dim_2>, #gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 4) {
// CHECK-NOT: math.exp
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @input_of_other_blocks(%x: memref<?x4x1x16xf32>,
                                 %out: memref<?x4x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4x1x16xf32>
  %q = memref.alloc(%n) : memref<?x4x1x16xf32>
  linalg.generic {indexing_maps = [#id4, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x4x1x16xf32>) outs(%q : memref<?x4x1x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  scf.forall (%b, %h) in (%n, 4) {
    scf.forall (%t) in (16) {
      %v = memref.load %q[%t, %h, %c0, %t] : memref<?x4x1x16xf32>
      memref.store %v, %out[%b, %h, %t] : memref<?x4x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  memref.dealloc %q : memref<?x4x1x16xf32>
  return
}

// -----

// Kept: the kernel writes what the op reads.

// CHECK-LABEL: func @input_overwritten_by_kernel
// CHECK: memref.alloc
// CHECK: math.exp
// CHECK: } {mapping = [#gpu.block<linear_dim_3>, #gpu.block<linear_dim_2>, #gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 4) {
// CHECK-NOT: math.exp
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @input_overwritten_by_kernel(%x: memref<?x4x1x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4x1x16xf32>
  %q = memref.alloc(%n) : memref<?x4x1x16xf32>
  linalg.generic {indexing_maps = [#id4, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x4x1x16xf32>) outs(%q : memref<?x4x1x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  scf.forall (%b, %h) in (%n, 4) {
    scf.forall (%t) in (16) {
      %v = memref.load %q[%b, %h, %c0, %t] : memref<?x4x1x16xf32>
      memref.store %v, %x[%b, %h, %c0, %t] : memref<?x4x1x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  memref.dealloc %q : memref<?x4x1x16xf32>
  return
}
