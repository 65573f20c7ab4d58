// RUN: retnet-opt %s -retnet-vectorize-contractions="tile-sizes=4,16,1" -split-input-file | FileCheck %s
// RUN: retnet-opt %s -retnet-vectorize-contractions -split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: retnet-opt %s -retnet-vectorize-contractions="tile-sizes=2,8,1" -split-input-file | FileCheck %s --check-prefix=SMALL
// RUN: not retnet-opt %s -retnet-vectorize-contractions="tile-sizes=4,0,1" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: retnet-vectorize-contractions: tile-sizes must be three positive sizes [m, n, k]

// Products outside any scf.forall are first split into an scf.forall of
// thread blocks.
// RUN: retnet-opt %s -retnet-vectorize-contractions="tile-sizes=4,16,1 thread-tile-sizes=4,16" -split-input-file | FileCheck %s --check-prefix=THREADS
// THREADS-LABEL: func @divisible
// THREADS: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (8, 32) step (4, 16)
// THREADS: vector.contract

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// A matrix product divisible by the register tile: loops over 4 x 16 tiles,
// columns outside rows (a column of tiles reuses its panel of the right
// operand), each step of the reduction one vector.contract of a 4 x 1 column
// with a 1 x 16 row into the 4 x 16 accumulator.
// CHECK-LABEL: func @divisible
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:   scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK:     scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK:       vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT: linalg.generic
// The default register tile is 8 x 32 (AVX-512 accumulators).
// DEFAULT-LABEL: func @divisible
// DEFAULT: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// SMALL-LABEL: func @divisible
// SMALL: vector.contract {{.*}} : vector<2x1xf32>, vector<1x8xf32> into vector<2x8xf32>
func.func @divisible(%a: tensor<8x5xf32>, %b: tensor<5x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x5xf32>, tensor<5x32xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// Rows beyond the last multiple of 4 (6 = 4 + 2) are split off and tiled one
// row at a time; column tiles are peeled. Full tiles are vectorized, what
// remains (4 columns of 20) stays a linalg op.
// CHECK-LABEL: func @partial
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<1x4xf32>) outs(%{{.*}} : tensor<4x4xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1xf32>, tensor<1x4xf32>) outs(%{{.*}} : tensor<1x4xf32>)
func.func @partial(%a: tensor<6x3xf32>, %b: tensor<3x20xf32>, %c: tensor<6x20xf32>) -> tensor<6x20xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<6x3xf32>, tensor<3x20xf32>) outs(%c : tensor<6x20xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<6x20xf32>
  return %r : tensor<6x20xf32>
}

// -----

// Elementwise ops are not matrix products and are left alone.
// CHECK-LABEL: func @elementwise
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @elementwise(%a: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<8x16xf32>) outs(%a : tensor<8x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// A product with an empty reduction has no tile to compute: it is left to
// the loop lowering (upstream tiling would divide by the empty size).
// CHECK-LABEL: func @empty_reduction
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x0xf32>, tensor<0x64xf32>)
// CHECK-NOT: vector.contract
// DEFAULT-LABEL: func @empty_reduction
// DEFAULT-NOT: scf.forall
// SMALL-LABEL: func @empty_reduction
func.func @empty_reduction(%a: tensor<64x0xf32>, %b: tensor<0x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x0xf32>, tensor<0x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// A single row (a decoding step's product with the weights) gets one-row
// tiles of at least 32 columns: four vectors of accumulators keep enough
// FMA chains in flight to stream the weights, where 1 x 16 had two. (96
// columns: the full tile's width, 64, does not divide them.)
// CHECK-LABEL: func @single_row
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c32
// CHECK:   vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
// CHECK-NOT: linalg.generic
func.func @single_row(%a: tensor<1x7xf32>, %b: tensor<7x96xf32>, %c: tensor<1x96xf32>) -> tensor<1x96xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<1x7xf32>, tensor<7x96xf32>) outs(%c : tensor<1x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x96xf32>
  return %r : tensor<1x96xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// Where the columns are a multiple of it, a single row gets a tile with as
// many accumulators as the full register tile (4 x 16: 1 x 64), which reads
// a row-major right operand a row at a time.
// CHECK-LABEL: func @single_row_full_tile
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c64
// CHECK:   vector.contract {{.*}} : vector<1x1xf32>, vector<1x64xf32> into vector<1x64xf32>
// CHECK-NOT: linalg.generic
func.func @single_row_full_tile(%a: tensor<1x7xf32>, %b: tensor<7x128xf32>, %c: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<1x7xf32>, tensor<7x128xf32>) outs(%c : tensor<1x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}

// -----

#a = affine_map<(m, n1, n0, k) -> (m, k)>
#b = affine_map<(m, n1, n0, k) -> (n1, k, n0)>
#c = affine_map<(m, n1, n0, k) -> (m, n1, n0)>

// A product with a panel-packed right operand (retnet-fold-weight-panels):
// threads take blocks of whole panels (thread-tile n = 64 columns is two
// panels of 32), each panel gets a product of its own in an scf.for, whose
// right operand is the panel's contiguous [K, 32] block (the unit panel
// dimension dropped through rank-reducing slices), tiled and vectorized
// like any product. Rows: 8-row tiles, then one-row tiles for the rest,
// which read several panels at once: half a full register tile's columns
// of f32 weights (8 x 32: 128 columns, four panels; 4 x 16: 32 columns, one
// panel, so there one panel at a time), each group with the reduction
// innermost; the panels that make no whole group go one at a time. With the
// default 64 x 256 block all six panels are one thread's.
// THREADS-LABEL: func @panels
// THREADS: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 6) step (4, 1)
// CHECK-LABEL: func @panels
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (64)
// CHECK: scf.for %[[PANEL:.*]] = %c0 to %c6 step %c1
// CHECK: %[[BLOCK:.*]] = tensor.extract_slice %{{.*}}[%[[PANEL]], 0, 0] [1, 24, 32] [1, 1, 1] : tensor<6x24x32xf32> to tensor<1x24x32xf32>
// CHECK: tensor.extract_slice %[[BLOCK]][0, 0, 0] [1, 24, 32] [1, 1, 1] : tensor<1x24x32xf32> to tensor<24x32xf32>
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
// CHECK-NOT: vector<1x2x32xf32>
// DEFAULT-LABEL: func @panels
// DEFAULT: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// DEFAULT: scf.for %{{.*}} = %c0 to %c24 step %c1
// DEFAULT: vector.transfer_read {{.*}} : tensor<4x1x32xf32>, vector<4x1x32xf32>
// DEFAULT: vector.contract {{.*}} : vector<1x1xf32>, vector<4x1x32xf32> into vector<1x4x32xf32>
// DEFAULT: scf.for %{{.*}} = %c0 to %c2 step %c1
// DEFAULT: scf.for %{{.*}} = %c0 to %c24 step %c1
// DEFAULT: vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
func.func @panels(%x: tensor<?x24xf32>, %w: tensor<6x24x32xf32>, %init: tensor<?x6x32xf32>) -> tensor<?x6x32xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x24xf32>, tensor<6x24x32xf32>) outs(%init : tensor<?x6x32xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x6x32xf32>
  return %r : tensor<?x6x32xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// Weights of a narrower type (retnet-compile --weight-type=bf16): each step
// of the reduction widens one 1 x 16 row of weights, once for the whole
// tile, before the contraction (not the 4 x 16 block that the vectorizer
// broadcasts over the tile's rows).
// CHECK-LABEL: func @bf16_weights
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       %[[ROW:.+]] = vector.transfer_read {{.*}} : tensor<1x16xbf16>, vector<1x16xbf16>
// CHECK:       %[[WIDE:.+]] = arith.extf %[[ROW]] : vector<1x16xbf16> to vector<1x16xf32>
// CHECK:       vector.contract {{.*}} %{{.+}}, %[[WIDE]], %{{.+}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT: linalg.generic
func.func @bf16_weights(%a: tensor<8x5xf32>, %b: tensor<5x32xbf16>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x5xf32>, tensor<5x32xbf16>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %w = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// int8 weights (retnet-compile --weight-type=int8) convert the same way: one
// 1 x 16 row of weights per step of the reduction, before the contraction.
// CHECK-LABEL: func @int8_weights
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       %[[ROW:.+]] = vector.transfer_read {{.*}} : tensor<1x16xi8>, vector<1x16xi8>
// CHECK:       %[[WIDE:.+]] = arith.sitofp %[[ROW]] : vector<1x16xi8> to vector<1x16xf32>
// CHECK:       vector.contract {{.*}} %{{.+}}, %[[WIDE]], %{{.+}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT: linalg.generic
func.func @int8_weights(%a: tensor<8x5xf32>, %b: tensor<5x32xi8>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x5xf32>, tensor<5x32xi8>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: i8, %acc: f32):
    %w = arith.sitofp %y : i8 to f32
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

#a = affine_map<(m, n1, n0, k) -> (m, k)>
#b = affine_map<(m, n1, n0, k) -> (n1, k, n0)>
#c = affine_map<(m, n1, n0, k) -> (m, n1, n0)>

// int8 panels: the one-row tiles read a full register tile's columns (4 x
// 16: 64 columns, two panels of 32), each step converting a 2 x 32 block.
// CHECK-LABEL: func @int8_panels
// CHECK: scf.for %{{.*}} = %c0 to %c6 step %c2
// CHECK: scf.for %{{.*}} = %c0 to %c24 step %c1
// CHECK: %[[ROWS:.+]] = vector.transfer_read {{.*}} : tensor<2x1x32xi8>, vector<2x1x32xi8>
// CHECK: arith.sitofp %[[ROWS]] : vector<2x1x32xi8> to vector<2x1x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<2x1x32xf32> into vector<1x2x32xf32>
func.func @int8_panels(%x: tensor<?x24xf32>, %w: tensor<6x24x32xi8>, %init: tensor<?x6x32xf32>) -> tensor<?x6x32xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x24xf32>, tensor<6x24x32xi8>) outs(%init : tensor<?x6x32xf32>) {
  ^bb0(%p: f32, %q: i8, %acc: f32):
    %wide = arith.sitofp %q : i8 to f32
    %m = arith.mulf %p, %wide : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x6x32xf32>
  return %r : tensor<?x6x32xf32>
}

// -----

#a = affine_map<(m, n1, n0, k) -> (m, k)>
#b = affine_map<(m, n1, n0, k) -> (n1, k, n0)>
#s = affine_map<(m, n1, n0, k) -> (n1, k floordiv 32, n0)>
#c = affine_map<(m, n1, n0, k) -> (m, n1, n0)>

// int8 panels with a scale per group of 32 k. A thread block of at least 16
// rows converts its panels to f32 once per chunk of 256 steps of k, a row
// of a panel at a time, each multiplied by its group's scales (read at k
// floordiv 32), and its register tiles multiply by the f32 panels. The
// rows of blocks of fewer rows (decoding steps) read the int8 weights: each
// step of the reduction reads the scales of its group beside its weights
// and multiplies the converted weights by them before the contraction, in
// the register tiles (4 x 16) and in the one-row tiles across panels
// (2 x 32).
// CHECK-LABEL: func @int8_group_panels
// CHECK: scf.forall
// CHECK: arith.cmpi sge, %{{.+}}, %c16 : index
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c256
// CHECK: %[[CQ:.+]] = vector.transfer_read {{.*}} : tensor<1x1x32xi8>, vector<1x1x32xi8>
// CHECK: %[[CS:.+]] = vector.transfer_read {{.*}} : tensor<1x1x32xf32>, vector<1x1x32xf32>
// CHECK: %[[CW:.+]] = arith.sitofp %[[CQ]] : vector<1x1x32xi8> to vector<1x1x32xf32>
// CHECK: %[[CONVERTED:.+]] = arith.mulf %[[CW]], %[[CS]] : vector<1x1x32xf32>
// CHECK: vector.transfer_write %[[CONVERTED]]
// CHECK: %[[F32:.+]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK-NEXT: %{{.+}} = vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK-NEXT: vector.contract {{.*}} %{{.+}}, %[[F32]], %{{.+}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: scf.for %[[K:.+]] = %c0 to %c64 step %c1
// CHECK: %[[GROUP:.+]] = affine.apply #{{.+}}(%[[K]])
// CHECK: tensor.extract_slice %{{.+}}{{\[}}%[[GROUP]], %{{.+}}] [1, 16] [1, 1] : tensor<2x32xf32> to tensor<1x16xf32>
// CHECK: %[[Q:.+]] = vector.transfer_read {{.*}} : tensor<1x16xi8>, vector<1x16xi8>
// CHECK: %[[S:.+]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK: %[[WIDE:.+]] = arith.sitofp %[[Q]] : vector<1x16xi8> to vector<1x16xf32>
// CHECK: %[[W:.+]] = arith.mulf %[[WIDE]], %[[S]] : vector<1x16xf32>
// CHECK: vector.contract {{.*}} %{{.+}}, %[[W]], %{{.+}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: %[[ROWS:.+]] = vector.transfer_read {{.*}} : tensor<2x1x32xi8>, vector<2x1x32xi8>
// CHECK: %[[ROW_SCALES:.+]] = vector.transfer_read {{.*}} : tensor<2x1x32xf32>, vector<2x1x32xf32>
// CHECK: %[[ROWS_WIDE:.+]] = arith.sitofp %[[ROWS]] : vector<2x1x32xi8> to vector<2x1x32xf32>
// CHECK: %[[ROWS_W:.+]] = arith.mulf %[[ROWS_WIDE]], %[[ROW_SCALES]] : vector<2x1x32xf32>
// CHECK: vector.contract {{.*}} %{{.+}}, %[[ROWS_W]], %{{.+}} : vector<1x1xf32>, vector<2x1x32xf32> into vector<1x2x32xf32>
func.func @int8_group_panels(%x: tensor<?x64xf32>, %w: tensor<8x64x32xi8>, %scales: tensor<8x2x32xf32>, %init: tensor<?x8x32xf32>) -> tensor<?x8x32xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #s, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w, %scales : tensor<?x64xf32>, tensor<8x64x32xi8>, tensor<8x2x32xf32>) outs(%init : tensor<?x8x32xf32>) {
  ^bb0(%p: f32, %q: i8, %f: f32, %acc: f32):
    %wide = arith.sitofp %q : i8 to f32
    %scaled = arith.mulf %wide, %f : f32
    %m = arith.mulf %p, %scaled : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<?x8x32xf32>
  return %r : tensor<?x8x32xf32>
}

// -----

// A static transpose of 32-bit elements runs in square tiles as wide as one
// vector of the register tile (its n is two vectors): row reads, a register
// transpose of shuffles, row writes; no column is read element by element.
// CHECK-LABEL: func @transpose_tiles
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c8
// CHECK: scf.for %{{.+}} = %c0 to %c16 step %c8
// CHECK: %[[TILE:.+]] = vector.transfer_read {{.*}} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK: %[[FLAT:.+]] = vector.shape_cast %[[TILE]] : vector<8x8xf32> to vector<64xf32>
// CHECK: vector.shuffle %[[FLAT]], %[[FLAT]] [0, 8, 16, 24, 32, 40, 48, 56, 1, 9,
// CHECK: vector.transfer_write {{.*}} : vector<8x8xf32>, tensor<8x8xf32>
// CHECK-NOT: linalg.transpose
// DEFAULT-LABEL: func @transpose_tiles
// DEFAULT: scf.for %{{.+}} = %c0 to %c32 step %c16
// DEFAULT: vector.transfer_read {{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// DEFAULT-COUNT-64: vector.shuffle {{.*}} : vector<16xf32>, vector<16xf32>
// DEFAULT: vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x16xf32>
// SMALL-LABEL: func @transpose_tiles
// SMALL: vector.transfer_read {{.*}} : tensor<4x4xf32>, vector<4x4xf32>
func.func @transpose_tiles(%a: tensor<16x32xf32>) -> tensor<32x16xf32> {
  %e = tensor.empty() : tensor<32x16xf32>
  %t = linalg.transpose ins(%a : tensor<16x32xf32>) outs(%e : tensor<32x16xf32>) permutation = [1, 0]
  return %t : tensor<32x16xf32>
}

// -----

// A side that is not a multiple of the tile keeps the transpose as it is.
// CHECK-LABEL: func @transpose_ragged
// CHECK: linalg.transpose
func.func @transpose_ragged(%a: tensor<16x20xf32>) -> tensor<20x16xf32> {
  %e = tensor.empty() : tensor<20x16xf32>
  %t = linalg.transpose ins(%a : tensor<16x20xf32>) outs(%e : tensor<20x16xf32>) permutation = [1, 0]
  return %t : tensor<20x16xf32>
}
