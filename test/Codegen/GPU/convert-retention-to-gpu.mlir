// RUN: retnet-opt %s -convert-retention-to-gpu=threads=128 -canonicalize -cse -split-input-file | FileCheck %s
// RUN: retnet-opt %s -convert-retention-to-gpu="workgroup-memory=false" -split-input-file | FileCheck %s --check-prefix=DEFAULT-MEMORY

// Chunkwise: split into its chunk-parallel pieces, each a block loop
// parallel over chunks or state elements: (1) chunk_states, per (batch,
// head, chunk) the chunk's state contribution (K * zeta)^T V into the chunk
// states [B, H, N, dk, dv]; (2) chunk_scan, per (batch, head, group of 128
// state elements) the scan over chunks into each chunk's starting state and
// the final state; (3) chunk_outputs, per (batch, head, chunk) the scores
// tile and the outputs from the chunk's starting state. (1) and (2) are
// tiled upstream onto blocks and decomposed into linalg, which
// retnet-gpu-distribute-linalg spreads over the threads later; (3) comes
// from the kernel emitter, each phase a loop over the 128 threads.

// CHECK-LABEL: func @chunkwise
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x16xf32>, %[[K:.*]]: tensor<?x2x?x16xf32>, %[[V:.*]]: tensor<?x2x?x32xf32>, %[[S0:.*]]: tensor<?x2x16x32xf32>, %[[P:.*]]: index)
// (1) Chunk contributions, tiled upstream (the TilingInterface of
// chunk_states) into one block per (batch, head, chunk), mapped to
// #gpu.block z, y, x, whose body is the decomposition: per chunk (a full
// one, then the shorter last one), (K * zeta)^T V as one sum, the keys'
// scaling fused into it, so that no [chunk, dk] temporary is made.
// CHECK: %[[CHUNKS:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK: %[[DELTAS:.*]] = scf.forall (%[[BI:.*]], %[[HI:.*]], %[[CI:.*]]) in (%[[B:.*]], 2, %[[CHUNKS]]) shared_outs(
// CHECK:   affine.min
// CHECK:   math.exp
// CHECK:   scf.for
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<16x16xf32>, tensor<16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:   scf.if
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[BI]], %[[HI]], %[[CI]], 0, 0] [1, 1, 1, 16, 32]
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
// (2) The scan over chunks from the initial state, tiled upstream (the
// TilingInterface of chunk_scan) into one block per (batch, head, tile of
// 4 x 32 state elements: 128 threads), mapped to linear block ids; per
// chunk, the chunk's starting state goes out and the tile is updated in
// place (S = gamma^L S + dS).
// CHECK: %[[SCAN:.*]]:2 = scf.forall (%[[SB:.*]], %[[SH:.*]], %[[ROWS:.*]]) = (0, 0, 0) to (%[[B]], 2, 16) step (1, 1, 4) shared_outs(
// CHECK:   tensor.extract_slice %[[S0]][%[[SB]], %[[SH]], %[[ROWS]], 0] [1, 1, 4, 32]
// CHECK:   scf.for %{{.*}} = %c0 to %[[CHUNKS]] step %c1 iter_args(%{{.*}} = %{{.*}}, %[[TILE:.*]] = %{{.*}}) -> (tensor<1x1x?x4x32xf32>, tensor<4x32xf32>) {
// CHECK:     math.exp
// CHECK:     tensor.insert_slice %[[TILE]]
// CHECK:     linalg.generic {{.*}} outs(%[[TILE]] : tensor<4x32xf32>)
// CHECK: } {mapping = [#gpu.block<linear_dim_2>, #gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// (3) Outputs: row factors (xi, scale), masked scores, outputs.
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x2x?x32xf32>
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}}, 2, %{{.*}}) {
// CHECK:   %[[SCORES:.*]] = memref.alloca() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[FACTORS:.*]] = memref.alloca() : memref<3x16xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.forall
// CHECK:     math.expm1
// CHECK:     memref.store %{{.*}}, %[[FACTORS]][%c2, %{{.*}}]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK:   scf.forall
// CHECK:     arith.cmpi ule
// CHECK:     scf.if
// CHECK:       math.exp %{{.*}} : f32
// CHECK:     memref.store %{{.*}}, %[[SCORES]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK:   scf.forall
// CHECK:     memref.load %[[SCORES]]
// CHECK:     tensor.extract %[[SCAN]]#0
// CHECK:     memref.load %[[FACTORS]][%c0
// CHECK:     memref.load %[[FACTORS]][%c2
// CHECK:     memref.store %{{.*}}, %[[OUT]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
// CHECK: %[[O:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[O]], %[[SCAN]]#1

// DEFAULT-MEMORY-LABEL: func @chunkwise
// DEFAULT-MEMORY: memref.alloca() : memref<16x16xf32>
// DEFAULT-MEMORY-NOT: #gpu.address_space
// DEFAULT-MEMORY: return
func.func @chunkwise(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x32xf32>, %s0: tensor<?x2x16x32xf32>, %p: index) -> (tensor<?x2x?x32xf32>, tensor<?x2x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 offset %p {chunk_size = 16 : i64, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x32xf32>, tensor<2xf64>, tensor<?x2x16x32xf32> -> tensor<?x2x?x32xf32>, tensor<?x2x16x32xf32>
  return %o, %s : tensor<?x2x?x32xf32>, tensor<?x2x16x32xf32>
}

// -----

// Recurrent (decoding): upstream tiling through the op's TilingInterface
// (as on the CPU), into one block per (batch, head, group of 32 value
// columns), mapped to #gpu.block z, y, x; the block's body is the per-head
// decomposition on tensors: the token's state update and its output's sum
// over the state's rows in one linalg.generic (rows a reduction, columns
// parallel), which retnet-gpu-distribute-linalg spreads over the threads.
// Without a state operand the state starts at zero in a tile of the block's
// own; no scale factors without scaling.

// CHECK-LABEL: func @recurrent
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[COL:.*]]) = (0, 0, 0) to (4, 2, 64) step (1, 1, 32) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4x2x1x64xf32>) {
// CHECK:   tensor.extract_slice %{{.*}}[%[[B]], %[[H]], 0, 0] [1, 1, 1, 16]
// CHECK:   tensor.extract_slice %{{.*}}[%[[B]], %[[H]], 0, 0] [1, 1, 1, 16]
// CHECK:   tensor.extract_slice %{{.*}}[%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 1, 32]
// CHECK:   %[[STATE:.*]] = linalg.fill {{.*}} -> tensor<16x32xf32>
// CHECK:   %[[ROW:.*]] = linalg.fill {{.*}} -> tensor<32xf32>
// CHECK:   %[[STEP:.*]]:2 = linalg.generic {{{.*}}iterator_types = ["reduction", "parallel"]} {{.*}} outs(%[[STATE]], %[[ROW]] : tensor<16x32xf32>, tensor<32xf32>)
// CHECK-NOT: math.expm1
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 1, 32]
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
func.func @recurrent(%q: tensor<4x2x1x16xf32>, %k: tensor<4x2x1x16xf32>, %v: tensor<4x2x1x64xf32>) -> tensor<4x2x1x64xf32> {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<4x2x1x16xf32>, tensor<4x2x1x16xf32>, tensor<4x2x1x64xf32>, tensor<2xf64> -> tensor<4x2x1x64xf32>
  return %o : tensor<4x2x1x64xf32>
}

// -----

// Parallel: blocks over (batch, head, query tile of 64 rows); key tiles
// below the diagonal accumulate in an f32 buffer, the diagonal tile adds the
// initial state's term and writes bf16. The final state is a second block
// loop over (batch, head) and key tiles.

// CHECK-LABEL: func @parallel
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x16xbf16>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x2x?x32xbf16>
// CHECK: %[[STATE:.*]] = memref.alloc(%{{.*}}) : memref<?x2x16x32xf32>
// CHECK: %[[ACC:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x2x?x32xf32>
// CHECK: %[[TILES:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %[[QT:.*]]) in (%{{.*}}, 2, %[[TILES]]) {
// CHECK:   memref.alloca() : memref<64x64xf32, #gpu.address_space<workgroup>>
// CHECK:   scf.for %{{.*}} = %c0 to %[[QT]] step %c1 {
// CHECK:     scf.forall
// CHECK:       arith.extf %{{.*}} : bf16 to f32
// CHECK:     } {mapping = [#gpu.thread<x>]}
// CHECK:     scf.forall
// CHECK:       arith.select
// CHECK:       memref.store %{{.*}}, %[[ACC]]
// CHECK:     } {mapping = [#gpu.thread<x>]}
// CHECK:   }
// CHECK:   scf.forall
// CHECK:   scf.forall
// CHECK:     memref.load %[[ACC]]
// CHECK:     arith.truncf %{{.*}} : f32 to bf16
// CHECK:     memref.store %{{.*}}, %[[OUT]]
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 2) {
// CHECK:   scf.for %{{.*}} = %c0 to %[[TILES]] step %c1 {
// CHECK:     memref.store %{{.*}}, %[[STATE]]
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
func.func @parallel(%q: tensor<?x2x?x16xbf16>, %k: tensor<?x2x?x16xbf16>, %v: tensor<?x2x?x32xbf16>, %s0: tensor<?x2x16x32xf32>) -> (tensor<?x2x?x32xbf16>, tensor<?x2x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o, %s = retention.parallel %q, %k, %v gamma %gamma state %s0 : tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16>, tensor<?x2x?x32xbf16>, tensor<2xf64>, tensor<?x2x16x32xf32> -> tensor<?x2x?x32xbf16>, tensor<?x2x16x32xf32>
  return %o, %s : tensor<?x2x?x32xbf16>, tensor<?x2x16x32xf32>
}

