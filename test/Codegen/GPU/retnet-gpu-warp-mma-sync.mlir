// RUN: retnet-opt %s -retnet-gpu-warp-mma-sync -split-input-file -verify-diagnostics | FileCheck %s
// RUN: retnet-opt %s -retnet-gpu-warp-mma-sync=tf32 -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=TF32
// RUN: retnet-opt %s -retnet-gpu-warp-mma-sync -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=LAYOUT

// A warp loop of f32 products of the mma.sync shape (16 x 8 x 8): its
// transfer reads become per-lane loads of the fragments (indexed by
// gpu.lane_id), each vector.contract three tf32 mma.sync on the operands'
// high and low parts (x rounded to tf32: its bits plus 2^12, the low 13
// cleared; the low part x - high, rounded the same way), smallest product
// first, and the writes per-lane stores. The scalar loop beside it, which
// shares a constant with it, is left alone.

// CHECK-LABEL: func @warp_products
// CHECK: scf.forall
// CHECK:   %[[SUMS:.*]]:2 = scf.for {{.*}} -> (vector<2x2xf32>, vector<2x2xf32>) {
// CHECK:     gpu.lane_id
// CHECK:     %[[A:.*]] = vector.insert %{{.*}}, %{{.*}} [3] : vector<1xf32> into vector<4x1xf32>
// CHECK-NOT: vector.contract
// CHECK:     %[[A_BITS:.*]] = arith.bitcast %[[A]] : vector<4x1xf32> to vector<4x1xi32>
// CHECK:     %[[A_ROUND:.*]] = arith.addi %[[A_BITS]], %{{.*}} : vector<4x1xi32>
// CHECK:     %[[A_KEPT:.*]] = arith.andi %[[A_ROUND]], %{{.*}} : vector<4x1xi32>
// CHECK:     %[[A_HIGH:.*]] = arith.bitcast %[[A_KEPT]] : vector<4x1xi32> to vector<4x1xf32>
// CHECK:     %[[A_REST:.*]] = arith.subf %[[A]], %[[A_HIGH]] : vector<4x1xf32>
// CHECK:     %[[A_REST_BITS:.*]] = arith.bitcast %[[A_REST]]
// CHECK:     %[[A_LOW:.*]] = arith.bitcast %{{.*}} : vector<4x1xi32> to vector<4x1xf32>
// CHECK:     %[[B_HIGH:.*]] = arith.bitcast %{{.*}} : vector<2x1xi32> to vector<2x1xf32>
// CHECK:     %[[B_LOW:.*]] = arith.bitcast %{{.*}} : vector<2x1xi32> to vector<2x1xf32>
// CHECK:     %[[P1:.*]] = nvgpu.mma.sync(%[[A_LOW]], %[[B_HIGH]], %{{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK:     %[[P2:.*]] = nvgpu.mma.sync(%[[A_HIGH]], %[[B_LOW]], %[[P1]]) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK:     %[[P3:.*]] = nvgpu.mma.sync(%[[A_HIGH]], %[[B_HIGH]], %[[P2]]) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK-COUNT-3: nvgpu.mma.sync
// CHECK-NOT: nvgpu.mma.sync
// CHECK:     scf.yield
// CHECK-COUNT-4: vector.store %{{.*}} : memref<?x16xf32{{.*}}>, vector<2xf32>
// CHECK: } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK: scf.for
// CHECK:   arith.mulf %{{.*}} : f32
// CHECK-NOT: nvgpu
// CHECK: return

// The fragments as the PTX ISA lays them out for mma.sync.m16n8k8 with
// .tf32 operands, checked here since the emulation replaces the mma: with
// g = lane / 4 (groupID) and t = lane % 4 (threadID_in_group), a lane holds
// A (16 x 8, row) a0 = [g, t], a1 = [g + 8, t], a2 = [g, t + 4],
// a3 = [g + 8, t + 4]; B (8 x 8, col; stored [k, n]) b0 = [k t, n g],
// b1 = [k t + 4, n g]; C (16 x 8) c0, c1 = [g, 2t], [g, 2t + 1] and c2, c3
// = [g + 8, 2t], [g + 8, 2t + 1], each pair stored as one vector<2xf32>.
// LAYOUT-DAG: #[[G:.*]] = affine_map<()[s0] -> (s0 floordiv 4)>
// LAYOUT-DAG: #[[G8:.*]] = affine_map<()[s0] -> (s0 floordiv 4 + 8)>
// LAYOUT-DAG: #[[T:.*]] = affine_map<(d0)[s0] -> (d0 + s0 mod 4)>
// LAYOUT-DAG: #[[T4:.*]] = affine_map<(d0)[s0] -> (d0 + s0 mod 4 + 4)>
// LAYOUT-DAG: #[[PAIR:.*]] = affine_map<()[s0] -> (s0 * 2 - (s0 floordiv 4) * 8)>
// LAYOUT-LABEL: func @warp_products
// LAYOUT: scf.for %[[K:.*]] = %{{.*}} to
// LAYOUT: %[[LANE:.*]] = gpu.lane_id
// LAYOUT: %[[A0R:.*]] = affine.apply #[[G]]()[%[[LANE]]]
// LAYOUT: %[[A0C:.*]] = affine.apply #[[T]](%[[K]])[%[[LANE]]]
// LAYOUT: %[[A0:.*]] = vector.load %{{.*}}[%[[A0R]], %[[A0C]]]
// LAYOUT: vector.insert %[[A0]], %{{.*}} [0] : vector<1xf32> into vector<4x1xf32>
// LAYOUT: %[[A1R:.*]] = affine.apply #[[G8]]()[%[[LANE]]]
// LAYOUT: %[[A1C:.*]] = affine.apply #[[T]](%[[K]])[%[[LANE]]]
// LAYOUT: %[[A1:.*]] = vector.load %{{.*}}[%[[A1R]], %[[A1C]]]
// LAYOUT: vector.insert %[[A1]], %{{.*}} [1] : vector<1xf32> into vector<4x1xf32>
// LAYOUT: %[[A2R:.*]] = affine.apply #[[G]]()[%[[LANE]]]
// LAYOUT: %[[A2C:.*]] = affine.apply #[[T4]](%[[K]])[%[[LANE]]]
// LAYOUT: %[[A2:.*]] = vector.load %{{.*}}[%[[A2R]], %[[A2C]]]
// LAYOUT: vector.insert %[[A2]], %{{.*}} [2] : vector<1xf32> into vector<4x1xf32>
// LAYOUT: %[[A3R:.*]] = affine.apply #[[G8]]()[%[[LANE]]]
// LAYOUT: %[[A3C:.*]] = affine.apply #[[T4]](%[[K]])[%[[LANE]]]
// LAYOUT: %[[A3:.*]] = vector.load %{{.*}}[%[[A3R]], %[[A3C]]]
// LAYOUT: vector.insert %[[A3]], %{{.*}} [3] : vector<1xf32> into vector<4x1xf32>
// LAYOUT: %[[BLANE:.*]] = gpu.lane_id
// LAYOUT: %[[B0N:.*]] = affine.apply #[[G]]()[%[[BLANE]]]
// LAYOUT: %[[B0K:.*]] = affine.apply #[[T]](%[[K]])[%[[BLANE]]]
// LAYOUT: %[[B0:.*]] = memref.load %{{.*}}[%[[B0K]], %[[B0N]]] : memref<32x16xf32>
// LAYOUT: vector.insert %[[B0]], %{{.*}} [0, 0] : f32 into vector<2x1xf32>
// LAYOUT: %[[B1N:.*]] = affine.apply #[[G]]()[%[[BLANE]]]
// LAYOUT: %[[B1K:.*]] = affine.apply #[[T4]](%[[K]])[%[[BLANE]]]
// LAYOUT: %[[B1:.*]] = memref.load %{{.*}}[%[[B1K]], %[[B1N]]] : memref<32x16xf32>
// LAYOUT: vector.insert %[[B1]], %{{.*}} [1, 0] : f32 into vector<2x1xf32>
// LAYOUT: scf.yield
// LAYOUT: %[[CLANE:.*]] = gpu.lane_id
// LAYOUT: %[[C01:.*]] = vector.extract %{{.*}}[0] : vector<2xf32> from vector<2x2xf32>
// LAYOUT: %[[C01R:.*]] = affine.apply #[[G]]()[%[[CLANE]]]
// LAYOUT: %[[C01C:.*]] = affine.apply #[[PAIR]]()[%[[CLANE]]]
// LAYOUT: vector.store %[[C01]], %{{.*}}[%[[C01R]], %[[C01C]]] : memref<?x16xf32>, vector<2xf32>
// LAYOUT: %[[C23:.*]] = vector.extract %{{.*}}[1] : vector<2xf32> from vector<2x2xf32>
// LAYOUT: %[[C23R:.*]] = affine.apply #[[G8]]()[%[[CLANE]]]
// LAYOUT: %[[C23C:.*]] = affine.apply #[[PAIR]]()[%[[CLANE]]]
// LAYOUT: vector.store %[[C23]], %{{.*}}[%[[C23R]], %[[C23C]]] : memref<?x16xf32>, vector<2xf32>

// TF32-LABEL: func @warp_products
// TF32-NOT: arith.andi
// TF32-COUNT-2: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
// TF32-NOT: nvgpu.mma.sync
// TF32: return

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
#transposed = affine_map<(d0, d1) -> (d1, d0)>
func.func @warp_products(%a: memref<?x32xf32>, %w: memref<32x16xf32>,
                         %c: memref<?x16xf32>, %x: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<16x8xf32>
  scf.forall (%warp) in (1) {
    %sums:2 = scf.for %k = %c0 to %c32 step %c8
        iter_args(%s0 = %zeros, %s1 = %zeros)
        -> (vector<16x8xf32>, vector<16x8xf32>) {
      %lhs = vector.transfer_read %a[%c0, %k], %zero {in_bounds = [true, true]}
          : memref<?x32xf32>, vector<16x8xf32>
      %rhs0 = vector.transfer_read %w[%k, %c0], %zero
          {in_bounds = [true, true], permutation_map = #transposed}
          : memref<32x16xf32>, vector<8x8xf32>
      %rhs1 = vector.transfer_read %w[%k, %c8], %zero
          {in_bounds = [true, true], permutation_map = #transposed}
          : memref<32x16xf32>, vector<8x8xf32>
      %n0 = vector.contract {indexing_maps = [#lhs, #rhs, #out],
                             iterator_types = ["parallel", "parallel", "reduction"],
                             kind = #vector.kind<add>}
          %lhs, %rhs0, %s0 : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
      %n1 = vector.contract {indexing_maps = [#lhs, #rhs, #out],
                             iterator_types = ["parallel", "parallel", "reduction"],
                             kind = #vector.kind<add>}
          %lhs, %rhs1, %s1 : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
      scf.yield %n0, %n1 : vector<16x8xf32>, vector<16x8xf32>
    }
    vector.transfer_write %sums#0, %c[%c0, %c0] {in_bounds = [true, true]}
        : vector<16x8xf32>, memref<?x16xf32>
    vector.transfer_write %sums#1, %c[%c0, %c8] {in_bounds = [true, true]}
        : vector<16x8xf32>, memref<?x16xf32>
  } {mapping = [#gpu.warp<linear_dim_0>]}
  // A scalar loop that shares the vector constant (through the vector
  // store) and the scalar one.
  %n = memref.dim %x, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %sq, %zero : f32
    memref.store %s, %x[%i] : memref<?xf32>
  }
  vector.transfer_write %zeros, %c[%c0, %c0] {in_bounds = [true, true]}
      : vector<16x8xf32>, memref<?x16xf32>
  return
}

// -----

// A warp tile whose reads may go out of bounds has no mma.sync form.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @out_of_bounds(%a: memref<?x8xf32>, %w: memref<8x8xf32>,
                         %c: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<16x8xf32>
  scf.forall (%warp) in (1) {
    %lhs = vector.transfer_read %a[%c0, %c0], %zero
        : memref<?x8xf32>, vector<16x8xf32>
    %rhs = vector.transfer_read %w[%c0, %c0], %zero {in_bounds = [true, true]}
        : memref<8x8xf32>, vector<8x8xf32>
    // expected-error @+1 {{'vector.contract' op of a warp tile could not become mma.sync}}
    %sum = vector.contract {indexing_maps = [#lhs, #rhs, #out],
                            iterator_types = ["parallel", "parallel", "reduction"],
                            kind = #vector.kind<add>}
        %lhs, %rhs, %zeros : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
    vector.transfer_write %sum, %c[%c0, %c0] {in_bounds = [true, true]}
        : vector<16x8xf32>, memref<?x8xf32>
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// The operands of the retention blocks' products: a left-hand side in
// workgroup memory (the scores) loads with ldmatrix, four 8 x 8 b16
// matrices, that is 8 x 4 f32 each: lanes 8j to 8j + 7 give the rows of
// matrix j (rows 0-7 and 8-15 of words 0-3, then of words 4-7), so that a
// lane's register j holds a0 = [g, t], a1 = [g + 8, t], a2 = [g, t + 4],
// a3 = [g + 8, t + 4] as above. A right-hand side stored [n, k] (the keys
// of Q K^T), read without a transpose, gives b0 = [n g, k t] and b1 =
// [n g, k t + 4].
// LAYOUT-DAG: #[[ROW16:.*]] = affine_map<()[s0] -> (s0 mod 16)>
// LAYOUT-DAG: #[[WORDS:.*]] = affine_map<()[s0] -> ((s0 floordiv 16) * 4)>
// LAYOUT-DAG: #[[G:.*]] = affine_map<()[s0] -> (s0 floordiv 4)>
// LAYOUT-DAG: #[[T:.*]] = affine_map<()[s0] -> (s0 mod 4)>
// LAYOUT-DAG: #[[T4:.*]] = affine_map<()[s0] -> (s0 mod 4 + 4)>
// LAYOUT-LABEL: func @staged_operands
// LAYOUT: %[[LANE:.*]] = gpu.lane_id
// LAYOUT: %[[AR:.*]] = affine.apply #[[ROW16]]()[%[[LANE]]]
// LAYOUT: %[[AC:.*]] = affine.apply #[[WORDS]]()[%[[LANE]]]
// LAYOUT: nvgpu.ldmatrix %{{.*}}[%[[AR]], %[[AC]]] {numTiles = 4 : i32, transpose = false} : memref<16x8xf32, #gpu.address_space<workgroup>> -> vector<4x1xf32>
// LAYOUT: %[[BLANE:.*]] = gpu.lane_id
// LAYOUT: %[[B0N:.*]] = affine.apply #[[G]]()[%[[BLANE]]]
// LAYOUT: %[[B0K:.*]] = affine.apply #[[T]]()[%[[BLANE]]]
// LAYOUT: vector.load %{{.*}}[%[[B0N]], %[[B0K]]] : memref<8x8xf32>, vector<1xf32>
// LAYOUT: %[[B1N:.*]] = affine.apply #[[G]]()[%[[BLANE]]]
// LAYOUT: %[[B1K:.*]] = affine.apply #[[T4]]()[%[[BLANE]]]
// LAYOUT: vector.load %{{.*}}[%[[B1N]], %[[B1K]]] : memref<8x8xf32>, vector<1xf32>
// LAYOUT: nvgpu.mma.sync

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @staged_operands(
    %a: memref<16x8xf32, #gpu.address_space<workgroup>>,
    %w: memref<8x8xf32>, %c: memref<16x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<16x8xf32>
  scf.forall (%warp) in (1) {
    %lhs = vector.transfer_read %a[%c0, %c0], %zero {in_bounds = [true, true]}
        : memref<16x8xf32, #gpu.address_space<workgroup>>, vector<16x8xf32>
    %rhs = vector.transfer_read %w[%c0, %c0], %zero {in_bounds = [true, true]}
        : memref<8x8xf32>, vector<8x8xf32>
    %sum = vector.contract {indexing_maps = [#lhs, #rhs, #out],
                            iterator_types = ["parallel", "parallel", "reduction"],
                            kind = #vector.kind<add>}
        %lhs, %rhs, %zeros : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
    vector.transfer_write %sum, %c[%c0, %c0] {in_bounds = [true, true]}
        : vector<16x8xf32>, memref<16x8xf32>
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
