// RUN: retnet-opt %s -retnet-gpu-distribute-linalg=threads=128 -canonicalize -cse -split-input-file | FileCheck %s

// A short reduction (K = 8): upstream tiling to blocks of 128 neighbouring
// points (one row, 128 columns; linear block ids, the column tiles
// fastest), then to one thread per point (the column fastest across
// threads); each thread's tile (0 or 1 points at the edge) carries its
// element through the reduction loop in a register.

// CHECK-LABEL: func @short_product
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<8x?xf32>, %[[C:.*]]: memref<?x?xf32>)
// CHECK-DAG: %[[M:.*]] = memref.dim %[[A]], %c0
// CHECK-DAG: %[[N:.*]] = memref.dim %[[B]], %c1
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (%[[M]], %[[N]]) step (1, 128) {
// CHECK:   %[[WIDTH:.*]] = affine.min #{{.*}}(%[[J]])[%[[N]]]
// CHECK:   %[[ROW:.*]] = memref.subview %[[A]][%[[I]], 0] [1, 8]
// CHECK:   %[[COLUMNS:.*]] = memref.subview %[[B]][0, %[[J]]] [8, %[[WIDTH]]]
// CHECK:   %[[OUT:.*]] = memref.subview %[[C]][%[[I]], %[[J]]] [1, %[[WIDTH]]]
// CHECK:   scf.forall (%[[T:.*]]) in (128) {
// CHECK:     %[[EDGE:.*]] = affine.min #{{.*}}(%[[T]])[%[[WIDTH]]]
// CHECK:     %[[POINTS:.*]] = affine.max #{{.*}}(%[[EDGE]])
// CHECK:     %[[COLUMN:.*]] = memref.subview %[[COLUMNS]][0, %[[T]]] [8, %[[POINTS]]]
// CHECK:     %[[ELEMENT:.*]] = memref.subview %[[OUT]][0, %[[T]]] [1, %[[POINTS]]]
// CHECK:     scf.for %[[P:.*]] = %c0 to %[[POINTS]] step %c1 {
// CHECK:       %[[INIT:.*]] = memref.load %[[ELEMENT]][%c0, %[[P]]]
// CHECK:       %[[SUM:.*]] = scf.for %[[K:.*]] = %c0 to %c8 step %c1 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK:         memref.load %[[ROW]][%c0, %[[K]]]
// CHECK:         memref.load %[[COLUMN]][%[[K]], %[[P]]]
// CHECK:         arith.mulf
// CHECK:         arith.addf %[[ACC]]
// CHECK:       memref.store %[[SUM]], %[[ELEMENT]][%c0, %[[P]]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
func.func @short_product(%a: memref<?x8xf32>, %b: memref<8x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

// A long sum (K = 64): blocks of 32 neighbouring points; the reduction is
// split into 4 slices (k = 4 kk + s, the inputs expanded to (kk, s)), whose
// partial sums meet in a workgroup tile: zeroed by 32 x 4 threads, summed
// by 32 x 4 threads (the point fastest, the slice slowest), then added to
// the outputs by 32 threads.

// CHECK-LABEL: func @long_product
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[B:.*]]: memref<64x?xf32>, %[[C:.*]]: memref<?x?xf32>)
// CHECK: scf.forall (%{{.*}}, %[[J:.*]]) = (0, 0) to (%{{.*}}, %{{.*}}) step (1, 32) {
// CHECK:   %[[WIDTH:.*]] = affine.min
// CHECK:   %[[ROW:.*]] = memref.subview %[[A]]
// CHECK:   %[[COLUMNS:.*]] = memref.subview %[[B]]
// CHECK:   %[[OUT:.*]] = memref.subview %[[C]]
// CHECK:   %[[TILE:.*]] = memref.alloca() : memref<1x32x4xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[PARTIALS:.*]] = memref.subview %[[TILE]][0, 0, 0] [1, %[[WIDTH]], 4]
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (32, 4) {
// CHECK:     memref.store %cst
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
// CHECK:   %[[ROW4:.*]] = memref.expand_shape %[[ROW]] {{\[}}[0], [1, 2]] output_shape [1, 16, 4]
// CHECK:   %[[COLUMNS4:.*]] = memref.expand_shape %[[COLUMNS]] {{\[}}[0, 1], [2]] output_shape [16, 4, %[[WIDTH]]]
// CHECK:   scf.forall (%[[T:.*]], %[[S:.*]]) in (32, 4) {
// CHECK:     memref.subview %[[ROW4]][0, 0, %[[S]]] [1, 16, 1]
// CHECK:     memref.subview %[[COLUMNS4]][0, %[[S]], %[[T]]] [16, 1,
// CHECK:     memref.subview %[[PARTIALS]][0, %[[T]], %[[S]]]
// CHECK:     scf.for
// CHECK:       scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args
// CHECK:         arith.mulf
// CHECK:         arith.addf
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
// CHECK:   scf.forall (%[[LANE:.*]]) in (32) {
// CHECK:     memref.subview %[[PARTIALS]][0, %[[LANE]], 0]
// CHECK:     memref.subview %[[OUT]][0, %[[LANE]]]
// CHECK:     scf.for
// CHECK:       memref.load
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK:         arith.addf
// CHECK:       memref.store
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
func.func @long_product(%a: memref<?x64xf32>, %b: memref<64x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

// A long sum whose reduction (66) is no multiple of the slices (4): one
// thread per element.

// CHECK-LABEL: func @uneven_long_product
// CHECK-NOT: memref.alloca
// CHECK: scf.forall
// CHECK:   scf.forall (%{{.*}}) in (128) {
// CHECK:       scf.for %{{.*}} = %c0 to %c66 step %c1 iter_args
func.func @uneven_long_product(%a: memref<?x66xf32>, %b: memref<66x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x66xf32>, memref<66x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

// Small static inner loops fill a block together: 8 x 3 points per row, 5
// rows (120 of the 128 threads), a three-dimensional thread loop with the
// innermost loop fastest.

// CHECK-LABEL: func @small_inner
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (%{{.*}}, 3, 8) step (5, 3, 8) {
// CHECK:   scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (5, 3, 8) {
// CHECK:     math.exp
// CHECK:   } {mapping = [#gpu.thread<linear_dim_2>, #gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_2>, #gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
func.func @small_inner(%x: memref<?x3x8xf32>, %y: memref<?x3x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : memref<?x3x8xf32>) outs(%y : memref<?x3x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %e = math.exp %i : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// No parallel loop: one block of one thread (a dynamic sum is not split).

// CHECK-LABEL: func @total
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK:   scf.forall (%{{.*}}) in (1) {
// CHECK:     scf.for {{.*}} iter_args
// CHECK:     memref.store
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_0>]}
func.func @total(%x: memref<?xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : memref<?xf32>) outs(%s : memref<f32>) {
  ^bb0(%i: f32, %o: f32):
    %e = arith.addf %i, %o : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// linalg.index becomes the point's index (block offset + thread + point);
// an output the payload does not read is not loaded.

// CHECK-LABEL: func @iota
// CHECK: scf.forall (%[[BLOCK:.*]]) = (0) to (%{{.*}}) step (128) {
// CHECK:   scf.forall (%[[THREAD:.*]]) in (128) {
// CHECK:     scf.for %[[P:.*]] =
// CHECK-NOT:   memref.load
// CHECK:       %[[INDEX:.*]] = affine.apply #{{.*}}(%[[BLOCK]], %[[THREAD]])[%[[P]]]
// CHECK:       %[[CAST:.*]] = arith.index_cast %[[INDEX]] : index to i64
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

// Ops on tensors are left alone.

// CHECK-LABEL: func @tensors_left_alone
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<8xf32>)
func.func @tensors_left_alone(%tensor: tensor<8xf32>) -> tensor<8xf32> {
  %cst = arith.constant 0.0 : f32
  %filled = linalg.fill ins(%cst : f32) outs(%tensor : tensor<8xf32>) -> tensor<8xf32>
  return %filled : tensor<8xf32>
}

// -----

// Ops that a block loop holds (a retention op tiled to blocks) spread over
// the block's threads. A recurrent step (the state written once per term,
// the output a sum over the state's rows) splits its rows into slices, as
// many as the threads that its 32 columns leave while at most the square
// root of its 64 rows: 4 slices of 16 rows, the rows interleaved
// (row = 4 kk + s) so that each thread (column j, slice s) updates its own
// state elements, coalesced along j; the slices' partial sums then add up
// per column. The block's own buffer (a tile of a fused producer) becomes
// a workgroup buffer.

// CHECK-LABEL: func @in_block
// CHECK-SAME: (%[[Q:.*]]: memref<64xf32>, %[[V:.*]]: memref<32xf32>, %[[S:.*]]: memref<2x64x32xf32>, %[[O:.*]]: memref<2x32xf32>)
// CHECK: scf.forall (%[[BLOCK:.*]]) in (2) {
// CHECK:   %[[K:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: memref.dealloc
// CHECK:   scf.forall (%{{.*}}) in (64) {
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   %[[PARTIALS:.*]] = memref.alloca() : memref<32x4xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (32, 4) {
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
// CHECK:   memref.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [16, 4, 32]
// CHECK:   scf.forall (%[[J:.*]], %[[SLICE:.*]]) in (32, 4) {
// CHECK:     %[[TERMS:.*]] = memref.subview %{{.*}}[0, %[[SLICE]], %[[J]]] [16, 1, 1]
// CHECK:     %[[PARTIAL:.*]] = memref.subview %[[PARTIALS]][%[[J]], %[[SLICE]]] [1, 1]
// CHECK:     %[[START:.*]] = memref.load %[[PARTIAL]][%c0, %c0]
// CHECK:     %[[SUM:.*]] = scf.for %[[KK:.*]] = %c0 to %c16 step %c1 iter_args(%[[ACC:.*]] = %[[START]]) -> (f32) {
// CHECK:       %[[OLD:.*]] = memref.load %[[TERMS]][%[[KK]], %c0, %c0]
// CHECK:       %[[NEW:.*]] = arith.addf
// CHECK:       memref.store %[[NEW]], %[[TERMS]][%[[KK]], %c0, %c0]
// CHECK:       scf.yield
// CHECK:     memref.store %[[SUM]], %[[PARTIAL]][%c0, %c0]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
// CHECK:   scf.forall (%{{.*}}) in (32) {
// CHECK:     scf.for %{{.*}} = %c0 to %c4
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
#row = affine_map<(i, j) -> (i)>
#column = affine_map<(i, j) -> (j)>
#element = affine_map<(i, j) -> (i, j)>
func.func @in_block(%q: memref<64xf32>, %v: memref<32xf32>, %s: memref<2x64x32xf32>, %o: memref<2x32xf32>) {
  %cst = arith.constant 2.0 : f32
  %decay = arith.constant 0.5 : f32
  scf.forall (%b) in (2) {
    %k = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    linalg.fill ins(%cst : f32) outs(%k : memref<64xf32>)
    %state = memref.subview %s[%b, 0, 0] [1, 64, 32] [1, 1, 1] : memref<2x64x32xf32> to memref<64x32xf32, strided<[32, 1], offset: ?>>
    %out = memref.subview %o[%b, 0] [1, 32] [1, 1] : memref<2x32xf32> to memref<32xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#row, #column, #row, #element, #column], iterator_types = ["reduction", "parallel"]} ins(%k, %v, %q : memref<64xf32>, memref<32xf32>, memref<64xf32>) outs(%state, %out : memref<64x32xf32, strided<[32, 1], offset: ?>>, memref<32xf32, strided<[1], offset: ?>>) {
    ^bb0(%ki: f32, %vj: f32, %qi: f32, %sij: f32, %oj: f32):
      %decayed = arith.mulf %sij, %decay : f32
      %outer = arith.mulf %ki, %vj : f32
      %next = arith.addf %decayed, %outer : f32
      %term = arith.mulf %qi, %next : f32
      %sum = arith.addf %oj, %term : f32
      linalg.yield %next, %sum : f32, f32
    }
    memref.dealloc %k : memref<64xf32>
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// A product in a block (the scores Q K^T of a retention chunk: f32, static,
// the keys indexed [column, sum]) runs on tensor cores: the block's 128
// threads as 4 warps, 2 x 2 over its 32 x 16 output, each one 16 x 8
// accumulator that starts from the fill's value (the fill is taken over)
// and adds a vector.contract of the mma shape per 8 terms; the keys are
// read as they are stored, [column, sum], without a permutation map.

// CHECK-LABEL: func @block_product_on_warps
// CHECK-SAME: (%[[Q:.*]]: memref<2x32x16xf32>, %[[K:.*]]: memref<2x16x16xf32>, %[[S:.*]]: memref<2x32x16xf32>)
// CHECK: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<16x8xf32>
// CHECK: scf.forall (%[[BLOCK:.*]]) in (2) {
// CHECK-NOT: linalg.fill
// CHECK:   scf.forall (%[[WARP:.*]]) in (4) {
// CHECK:     %[[AT:.*]]:2 = affine.delinearize_index %[[WARP]] into (2, 2)
// CHECK:     %[[SUM:.*]] = scf.for %[[STEP:.*]] = %c0 to %c16 step %c8 iter_args(%[[ACC:.*]] = %[[ZEROS]]) -> (vector<16x8xf32>) {
// CHECK:       %[[LHS:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %[[STEP]]], %{{.*}} {in_bounds = [true, true]} : memref<32x16xf32, {{.*}}>, vector<16x8xf32>
// CHECK:       %[[RHS:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %[[STEP]]], %{{.*}} {in_bounds = [true, true]} : memref<16x16xf32, {{.*}}>, vector<8x8xf32>
// CHECK:       vector.contract {{.*}} %[[LHS]], %[[RHS]], %[[ACC]] : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
// CHECK:     vector.transfer_write %[[SUM]], %{{.*}} {in_bounds = [true, true]} : vector<16x8xf32>, memref<32x16xf32, {{.*}}>
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @block_product_on_warps(%q: memref<2x32x16xf32>, %k: memref<2x16x16xf32>, %s: memref<2x32x16xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (2) {
    %qb = memref.subview %q[%b, 0, 0] [1, 32, 16] [1, 1, 1] : memref<2x32x16xf32> to memref<32x16xf32, strided<[16, 1], offset: ?>>
    %kb = memref.subview %k[%b, 0, 0] [1, 16, 16] [1, 1, 1] : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    %sb = memref.subview %s[%b, 0, 0] [1, 32, 16] [1, 1, 1] : memref<2x32x16xf32> to memref<32x16xf32, strided<[16, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%sb : memref<32x16xf32, strided<[16, 1], offset: ?>>)
    linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%qb, %kb : memref<32x16xf32, strided<[16, 1], offset: ?>>, memref<16x16xf32, strided<[16, 1], offset: ?>>) outs(%sb : memref<32x16xf32, strided<[16, 1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %n = arith.addf %acc, %p : f32
      linalg.yield %n : f32
    }
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// A product whose left-hand side is indexed [sum, row] (the scaled keys of a
// chunk's state, (K * zeta)^T V) reads it through the transposing map, at
// [step, row]; the right-hand side [sum, column] likewise, at [step,
// column]. A product whose body does more than out + lhs * rhs (here a
// negated term) stays on the threads: no warp loop for it.

// CHECK-LABEL: func @block_product_transposed_lhs
// CHECK: scf.forall (%{{.*}}) in (2) {
// CHECK:   scf.forall (%{{.*}}) in (4) {
// CHECK:     scf.for %[[STEP:.*]] = %c0 to %c16 step %c8
// CHECK:       vector.transfer_read %{{.*}}[%[[STEP]], %{{.*}}], %{{.*}} {in_bounds = [true, true], permutation_map = #[[SWAP:.*]]} : memref<16x32xf32, {{.*}}>, vector<16x8xf32>
// CHECK:       vector.transfer_read %{{.*}}[%[[STEP]], %{{.*}}], %{{.*}} {in_bounds = [true, true], permutation_map = #[[SWAP]]} : memref<16x16xf32, {{.*}}>, vector<8x8xf32>
// CHECK:       vector.contract
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK-NOT: gpu.warp
// CHECK:   arith.negf
// CHECK: } {mapping = [#gpu.block<x>]}
#keys = affine_map<(m, n, k) -> (k, m)>
#values = affine_map<(m, n, k) -> (k, n)>
#state = affine_map<(m, n, k) -> (m, n)>
func.func @block_product_transposed_lhs(%k: memref<2x16x32xf32>, %v: memref<2x16x16xf32>, %s: memref<2x32x16xf32>, %t: memref<2x32x16xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (2) {
    %kb = memref.subview %k[%b, 0, 0] [1, 16, 32] [1, 1, 1] : memref<2x16x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
    %vb = memref.subview %v[%b, 0, 0] [1, 16, 16] [1, 1, 1] : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    %sb = memref.subview %s[%b, 0, 0] [1, 32, 16] [1, 1, 1] : memref<2x32x16xf32> to memref<32x16xf32, strided<[16, 1], offset: ?>>
    %tb = memref.subview %t[%b, 0, 0] [1, 32, 16] [1, 1, 1] : memref<2x32x16xf32> to memref<32x16xf32, strided<[16, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%sb : memref<32x16xf32, strided<[16, 1], offset: ?>>)
    linalg.generic {indexing_maps = [#keys, #values, #state], iterator_types = ["parallel", "parallel", "reduction"]} ins(%kb, %vb : memref<16x32xf32, strided<[32, 1], offset: ?>>, memref<16x16xf32, strided<[16, 1], offset: ?>>) outs(%sb : memref<32x16xf32, strided<[16, 1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %n = arith.addf %acc, %p : f32
      linalg.yield %n : f32
    }
    linalg.generic {indexing_maps = [#keys, #values, #state], iterator_types = ["parallel", "parallel", "reduction"]} ins(%kb, %vb : memref<16x32xf32, strided<[32, 1], offset: ?>>, memref<16x16xf32, strided<[16, 1], offset: ?>>) outs(%tb : memref<32x16xf32, strided<[16, 1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %m = arith.negf %p : f32
      %n = arith.addf %acc, %m : f32
      linalg.yield %n : f32
    }
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// A chunk's contribution to the state in a block (chunk_states tiled per
// chunk): the last chunk's rows are dynamic, at most 16 (affine.min). Its
// scaled keys become a workgroup buffer of that bound (alloca 16 x 8) seen
// through a reinterpret_cast of the dynamic shape, and its threads are
// sized by the bound too (16 x 8 points, one each). The sum over the rows
// starts from the fill's value instead of reading its filled output.

// CHECK-LABEL: func @bounded_in_block
// CHECK: scf.forall (%[[CHUNK:.*]]) in (4) {
// CHECK:   %[[ROWS:.*]] = affine.min
// CHECK:   %[[SCALED_BUFFER:.*]] = memref.alloca() : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[SCALED:.*]] = memref.reinterpret_cast %[[SCALED_BUFFER]] to offset: [0], sizes: [%[[ROWS]], 8], strides: [8, 1] : memref<16x8xf32, #gpu.address_space<workgroup>> to memref<?x8xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (16, 8) {
// CHECK:   } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK-NOT: linalg.fill
// CHECK-NOT: memref.store %cst
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (8, 16) {
// CHECK:     scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %cst) -> (f32) {
// CHECK:       memref.load %{{.*}} : memref<?x1xf32, strided<[8, 1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK:   } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
#scaled = affine_map<(l, i) -> (l, i)>
#scale = affine_map<(l, i) -> (l)>
#keys_t = affine_map<(i, j, l) -> (l, i)>
#values = affine_map<(i, j, l) -> (l, j)>
#delta = affine_map<(i, j, l) -> (i, j)>
func.func @bounded_in_block(%k: memref<?x8xf32>, %z: memref<?xf32>, %v: memref<?x16xf32>, %d: memref<4x8x16xf32>, %t: index) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%c) in (4) {
    %start = affine.apply affine_map<(c) -> (c * 16)>(%c)
    %rows = affine.min affine_map<(c)[t] -> (16, t - c * 16)>(%c)[%t]
    %keys = memref.subview %k[%start, 0] [%rows, 8] [1, 1] : memref<?x8xf32> to memref<?x8xf32, strided<[8, 1], offset: ?>>
    %decay = memref.subview %z[%start] [%rows] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    %vals = memref.subview %v[%start, 0] [%rows, 16] [1, 1] : memref<?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
    %out = memref.subview %d[%c, 0, 0] [1, 8, 16] [1, 1, 1] : memref<4x8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    %scaled = memref.alloc(%rows) : memref<?x8xf32>
    linalg.generic {indexing_maps = [#scaled, #scale, #scaled], iterator_types = ["parallel", "parallel"]} ins(%keys, %decay : memref<?x8xf32, strided<[8, 1], offset: ?>>, memref<?xf32, strided<[1], offset: ?>>) outs(%scaled : memref<?x8xf32>) {
    ^bb0(%ki: f32, %zi: f32, %o: f32):
      %p = arith.mulf %ki, %zi : f32
      linalg.yield %p : f32
    }
    linalg.fill ins(%zero : f32) outs(%out : memref<8x16xf32, strided<[16, 1], offset: ?>>)
    linalg.generic {indexing_maps = [#keys_t, #values, #delta], iterator_types = ["parallel", "parallel", "reduction"]} ins(%scaled, %vals : memref<?x8xf32>, memref<?x16xf32, strided<[16, 1], offset: ?>>) outs(%out : memref<8x16xf32, strided<[16, 1], offset: ?>>) {
    ^bb0(%a: f32, %b: f32, %acc: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
    memref.dealloc %scaled : memref<?x8xf32>
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// A product whose output a fill initializes right before it: each block
// fills its own output tile (a thread per point, then the product), and no
// kernel fills the whole buffer. Short and long (split) sums alike. A fill
// with a write to its buffer in between stays a kernel of its own.

// CHECK-LABEL: func @fill_taken_over
// CHECK-SAME: (%[[A:[^:]*]]: memref<?x8xf32>, %[[B:[^:]*]]: memref<8x?xf32>, %[[C:[^:]*]]: memref<?x?xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (%{{.*}}, %{{.*}}) step (1, 128) {
// CHECK:   %[[OUT:.*]] = memref.subview %[[C]][%[[I]], %[[J]]]
// CHECK:   scf.forall (%[[T:.*]]) in (128) {
// CHECK:     %[[POINT:.*]] = memref.subview %[[OUT]][0, %[[T]]]
// CHECK:     memref.store %cst, %[[POINT]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   scf.forall (%{{.*}}) in (128) {
// CHECK:     arith.mulf
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, %{{.*}}) step (1, 32) {
// CHECK:   scf.forall (%{{.*}}) in (32) {
// CHECK:     memref.store %cst
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   memref.alloca() : memref<1x32x4xf32, #gpu.address_space<workgroup>>
// CHECK: } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// The fill before a write to its buffer: a kernel of its own.
// CHECK: scf.forall
// CHECK:   scf.forall
// CHECK:     memref.store %cst
// CHECK: memref.copy
func.func @fill_taken_over(%a: memref<?x8xf32>, %b: memref<8x?xf32>, %c: memref<?x?xf32>,
                           %a64: memref<?x64xf32>, %b64: memref<64x?xf32>, %c64: memref<?x?xf32>,
                           %d: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x?xf32>) outs(%c : memref<?x?xf32>)
  linalg.fill ins(%zero : f32) outs(%c64 : memref<?x?xf32>)
  linalg.matmul ins(%a64, %b64 : memref<?x64xf32>, memref<64x?xf32>) outs(%c64 : memref<?x?xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<?x?xf32>)
  memref.copy %c, %d : memref<?x?xf32> to memref<?x?xf32>
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x?xf32>) outs(%d : memref<?x?xf32>)
  return
}

// -----

// Buffers beyond the workgroup memory that a block may use (40 KiB): the
// largest go to global memory until the rest fit. The 128 x 128 tile of
// each of the 3 x 5 blocks is its part of one scratch buffer allocated
// before the blocks (15 x 64 KiB) and freed after them, seen through
// memref.view at the block's row-major place ((5 i + j) * 65536 bytes);
// the 16 x 16 tile stays in workgroup memory.

// CHECK: #[[PLACE:.*]] = affine_map<()[s0, s1] -> (s0 * 327680 + s1 * 65536)>
// CHECK-LABEL: func @global_block_buffers
// CHECK: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<983040xi8>
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) in (3, 5) {
// CHECK:   %[[SHIFT:.*]] = affine.apply #[[PLACE]]()[%[[I]], %[[J]]]
// CHECK:   %[[BIG:.*]] = memref.view %[[SCRATCH]][%[[SHIFT]]][] : memref<983040xi8> to memref<128x128xf32>
// CHECK:   memref.alloca() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK:   memref.subview %[[BIG]]
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK: memref.dealloc %[[SCRATCH]] : memref<983040xi8>
func.func @global_block_buffers(%out: memref<3x5xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%i, %j) in (3, 5) {
    %big = memref.alloc() : memref<128x128xf32>
    %small = memref.alloc() : memref<16x16xf32>
    linalg.fill ins(%cst : f32) outs(%big : memref<128x128xf32>)
    linalg.fill ins(%cst : f32) outs(%small : memref<16x16xf32>)
    memref.dealloc %big : memref<128x128xf32>
    memref.dealloc %small : memref<16x16xf32>
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}
