// RUN: retnet-opt %s -retnet-gpu-distribute-linalg=row-tile-rows=100 -canonicalize -cse -split-input-file | FileCheck %s
// RUN: retnet-opt %s -retnet-gpu-distribute-linalg -split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: retnet-opt %s -retnet-gpu-distribute-linalg=row-tile-rows=-1 -split-input-file | FileCheck %s --check-prefix=NEVER
// RUN: retnet-opt %s -retnet-gpu-distribute-linalg="threads=128 row-tile-rows=100" -split-input-file | FileCheck %s --check-prefix=T128
// RUN: retnet-opt %s -retnet-gpu-distribute-linalg="row-tile-rows=100 tensor-cores=false" -split-input-file | FileCheck %s --check-prefix=NOMMA

// A product over a dynamic number of rows runs, from 100 rows on, in blocks
// of 64 rows by 128 columns, each of the 256 threads a register tile of
// 4 x 8 outputs: two groups of 4 neighbouring columns (16 bytes), 16 groups
// apart (the block's 128 columns viewed as [2, 16, 4], the 16 threads of a
// half warp on neighbouring groups). Where the weights' and the outputs'
// views are 16-byte aligned (checked at run time), each step loads 4
// activations and 2 vectors of 4 weights for the 32 sums, which ride through
// one loop over the 96 terms starting from the fill's value (the fill goes),
// and each row of the tile stores as 2 vectors; otherwise the same tile runs
// with scalar loads and stores. A partial last tile stores only its rows.
// A block whose 64 rows are all there runs on tensor cores instead: 8 warps
// (2 x 4), each carrying 2 x 4 accumulators of 16 x 8 through the sum in
// steps of 8 (two 16 x 8 slices of the rows, four transposed 8 x 8 slices
// of the weights, eight vector.contract of the mma.sync shape), starting
// from the fill's value. Its epilogue (the residual add) runs in the same
// blocks. With fewer rows, the split sums run as before.

// CHECK-LABEL: func @product_with_epilogue
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<16x8xf32>
// CHECK-DAG: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %[[ROWS]], %c100
// CHECK: scf.if %[[MANY]] {
// CHECK-NOT: linalg.fill
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%[[ROWS]], 256) step (64, 128) {
// CHECK:     %[[BLOCK_ROWS:.*]] = affine.min
// CHECK:     %[[FULL:.*]] = arith.cmpi eq, %[[BLOCK_ROWS]], %c64
// CHECK:     scf.if %[[FULL]] {
// CHECK:       scf.forall (%[[WARP:.*]]) in (8) {
// CHECK:         affine.delinearize_index %[[WARP]] into (2, 4)
// CHECK:         %[[SUMS:.*]]:8 = scf.for %[[STEP:.*]] = %c0 to %c96 step %c8 iter_args(%{{.*}} = %[[ZEROS]], {{.*}}) -> (vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>) {
// CHECK-COUNT-2:   vector.transfer_read %{{.*}}[%{{.*}}, %[[STEP]]], %{{.*}} {in_bounds = [true, true]} : memref<?x96xf32{{.*}}>, vector<16x8xf32>
// CHECK-COUNT-4:   vector.transfer_read %{{.*}}[%[[STEP]], %{{.*}}], %{{.*}} {in_bounds = [true, true], permutation_map = #{{.*}}} : memref<96x128xf32{{.*}}>, vector<8x8xf32>
// CHECK-COUNT-8:   vector.contract {{.*}} : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
// CHECK:           scf.yield
// CHECK-COUNT-8: vector.transfer_write %[[SUMS]]#{{.*}} {in_bounds = [true, true]} : vector<16x8xf32>, memref<?x128xf32
// CHECK:       } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK:     } else {
// CHECK:     %[[GROUPS:.*]] = memref.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [96, 32, 4]
// CHECK:     %[[WEIGHTS:.*]] = memref.expand_shape %[[GROUPS]] {{\[}}[0], [1, 2], [3]] output_shape [96, 2, 16, 4]
// CHECK:     %[[OUTPUTS:.*]] = memref.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3]] output_shape [%{{.*}}, 2, 16, 4]
// CHECK:     scf.forall (%{{.*}}, %[[T:.*]]) in (16, 16) {
// CHECK:       %[[TILE_ROWS:.*]] = affine.max
// CHECK:       %[[W:.*]] = memref.subview %[[WEIGHTS]][0, 0, %[[T]], 0] [96, 2, 1, 4]
// CHECK:       %[[Y:.*]] = memref.subview %[[OUTPUTS]][%{{.*}}, 0, %[[T]], 0] [%[[TILE_ROWS]], 2, 1, 4]
// CHECK:       memref.extract_aligned_pointer_as_index %[[W]]
// CHECK:       arith.remui %{{.*}}, %c16
// CHECK:       memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK:       arith.remui %{{.*}}, %c16
// CHECK:       %[[ALIGNED:.*]] = arith.andi
// CHECK:       scf.if %[[ALIGNED]] {
// CHECK:         %[[ANY:.*]] = arith.cmpi sgt, %[[TILE_ROWS]], %c0
// CHECK:         %[[SECOND:.*]] = arith.cmpi sgt, %[[TILE_ROWS]], %c1
// CHECK:         scf.if %[[ANY]] {
// CHECK:           %{{.*}}:32 = scf.for %[[K:.*]] = %c0 to %c96 step %c1 iter_args(%{{.*}} = %[[ZERO]], {{.*}}) -> (f32, f32,
// CHECK:             memref.load
// CHECK-NOT:         memref.load
// CHECK:             vector.load %[[W]][%[[K]], %c0, %c0, %c0] {alignment = 16 : i64} : {{.*}}, vector<4xf32>
// CHECK-NOT:         memref.load
// CHECK:             vector.load %[[W]][%[[K]], %c1, %c0, %c0] {alignment = 16 : i64} : {{.*}}, vector<4xf32>
// CHECK-COUNT-3:     memref.load
// CHECK-NOT:         memref.load
// CHECK-NOT:         vector.load
// CHECK:             scf.yield
// CHECK:           scf.if %[[ANY]] {
// CHECK-COUNT-2:       vector.store %{{.*}}, %[[Y]]{{.*}} {alignment = 16 : i64}
// CHECK-NOT:         memref.store
// CHECK:           }
// CHECK:           scf.if %[[SECOND]] {
// CHECK:       } else {
// CHECK:           %{{.*}}:32 = scf.for
// CHECK-COUNT-12:    memref.load
// CHECK-NOT:         memref.load
// CHECK:             scf.yield
// CHECK:           scf.if
// CHECK-COUNT-8:       memref.store
// CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK:     scf.forall (%{{.*}}, %{{.*}}) in (2, 128) {
// CHECK:       arith.addf
// CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK:   } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: } else {
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%[[ROWS]], 256) step (1, 8) {
// CHECK:     memref.alloca() : memref<1x8x32xf32, #gpu.address_space<workgroup>>
// CHECK:   } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: }
// CHECK-NOT: scf.forall
// CHECK: memref.copy

// The default: enough blocks of rows for one per multiprocessor of a
// 132-SM GPU, 66 blocks of 64 rows with 2 blocks of 128 columns each.
// DEFAULT-LABEL: func @product_with_epilogue
// DEFAULT: arith.constant 4224 : index
// DEFAULT: scf.if
// With 128 threads a block has 8 x 16 threads, 32 rows.
// T128-LABEL: func @product_with_epilogue
// T128: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (32, 128) {
// T128:   scf.forall (%{{.*}}, %{{.*}}) in (8, 16) {
// Without tensor cores, every block runs in register tiles.
// NOMMA-LABEL: func @product_with_epilogue
// NOMMA-NOT: vector.contract
// NOMMA-NOT: #gpu.warp
// NOMMA: return
// NEVER-LABEL: func @product_with_epilogue
// NEVER-NOT: scf.if
// NEVER: return
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @product_with_epilogue(%x: memref<?x96xf32>, %w: memref<96x256xf32>,
                                 %r: memref<?x256xf32>,
                                 %y: memref<?x256xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = memref.dim %x, %c0 : memref<?x96xf32>
  %product = memref.alloc(%m) : memref<?x256xf32>
  %sum = memref.alloc(%m) : memref<?x256xf32>
  linalg.fill ins(%zero : f32) outs(%product : memref<?x256xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x96xf32>, memref<96x256xf32>)
      outs(%product : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%product, %r : memref<?x256xf32>, memref<?x256xf32>)
      outs(%sum : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  memref.copy %sum, %y : memref<?x256xf32> to memref<?x256xf32>
  memref.dealloc %product : memref<?x256xf32>
  memref.dealloc %sum : memref<?x256xf32>
  return
}

// -----

// With many rows, an RMSNorm before the product (its prologue on few rows)
// runs in kernels of its own, on fresh buffers that the branch frees, and
// the product reads the normalized rows from there; with few rows, each
// block of the product recomputes its row in workgroup memory as before.

// CHECK-LABEL: func @rms_norm_into_product
// CHECK: scf.if %{{.*}} {
// CHECK:   %[[NORMED:.*]] = memref.alloc(%{{.*}}) : memref<?x1x512xf32>
// CHECK:   %[[FACTOR:.*]] = memref.alloc(%{{.*}}) : memref<?x1xf32>
// CHECK:   %[[ROWS:.*]] = memref.collapse_shape %[[NORMED]]
// CHECK:   scf.forall
// CHECK:     math.rsqrt
// CHECK:   } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK:   scf.forall (%[[ROW:.*]], %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (64, 128) {
// CHECK:     memref.subview %[[ROWS]][%[[ROW]], 0]
// CHECK:     %{{.*}}:32 = scf.for
// CHECK:   } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK-DAG: memref.dealloc %[[NORMED]]
// CHECK-DAG: memref.dealloc %[[FACTOR]]
// CHECK: } else {
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (1, 8) {
// CHECK:     memref.alloca() : memref<1x1x512xf32, #gpu.address_space<workgroup>>
// CHECK:     math.rsqrt
// CHECK:   } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: }
// CHECK-NOT: scf.forall
// CHECK: return
#rows3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#gain = affine_map<(d0, d1, d2) -> (d2)>
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @rms_norm_into_product(%x: memref<?x1x512xf32>, %g: memref<512xf32>,
                                 %w: memref<512x256xf32>,
                                 %y: memref<?x256xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x1x512xf32>
  %sum = memref.alloc(%n) : memref<?x1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?x1xf32>)
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

// Products that row tiles do not suit keep the split sums: 96 columns (no
// whole blocks of 64 or 128), or an input indexed by rows and columns.

// CHECK-LABEL: func @not_row_tiled
// CHECK-NOT: arith.cmpi sge
// CHECK-NOT: step (64
// CHECK: return
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#both = affine_map<(d0, d1, d2) -> (d0, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_row_tiled(%x: memref<?x256xf32>, %w: memref<256x96xf32>,
                         %y: memref<?x96xf32>, %z: memref<?x96xf32>,
                         %v: memref<256x96xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x256xf32>, memref<256x96xf32>)
      outs(%y : memref<?x96xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#lhs, #both, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : memref<?x256xf32>, memref<?x96xf32>)
      outs(%z : memref<?x96xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An int8 product qualifies too: its scales, at [k floordiv 32, n], index
// the columns as a whole result. Its groups are 4 columns, 16 bytes of the
// f32 scales: a step loads 4 activations, 2 vectors of 4 weights and 2 of
// their 4 scales for the 32 sums (20 scalar loads where unaligned).

// CHECK-LABEL: func @int8_product
// CHECK: scf.if
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 256) step (64, 128) {
// CHECK:     scf.if
// CHECK:         %{{.*}}:32 = scf.for
// CHECK:           memref.load
// CHECK-NOT:       memref.load
// CHECK:           vector.load %{{.*}} {alignment = 4 : i64} : memref<128x2x1x4xi8, {{.*}}>, vector<4xi8>
// CHECK-NOT:       memref.load
// CHECK:           vector.load %{{.*}} {alignment = 16 : i64} : memref<4x2x1x4xf32, {{.*}}>, vector<4xf32>
// CHECK-NOT:       memref.load
// CHECK:           vector.load %{{.*}} : memref<128x2x1x4xi8, {{.*}}>, vector<4xi8>
// CHECK-NOT:       memref.load
// CHECK:           vector.load %{{.*}} : memref<4x2x1x4xf32, {{.*}}>, vector<4xf32>
// CHECK-COUNT-3:   memref.load
// CHECK-NOT:       memref.load
// CHECK-NOT:       vector.load
// CHECK:           scf.yield
// CHECK:     } else {
// CHECK:         %{{.*}}:32 = scf.for
// CHECK-COUNT-20:  memref.load
// CHECK-NOT:       memref.load
// CHECK:           scf.yield
// CHECK: } else {
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#scale = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @int8_product(%x: memref<?x128xf32>, %w: memref<128x256xi8>,
                        %s: memref<4x256xf32>, %y: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #scale, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w, %s : memref<?x128xf32>, memref<128x256xi8>, memref<4x256xf32>)
      outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %q: i8, %scale: f32, %acc: f32):
    %f = arith.sitofp %q : i8 to f32
    %b = arith.mulf %f, %scale : f32
    %p = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  }
  return
}
