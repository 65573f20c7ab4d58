// RUN: retnet-opt %s -convert-retention-to-gpu=threads=128 -canonicalize -cse -split-input-file | FileCheck %s

// Chunkwise: split into its chunk-parallel pieces, each a block loop
// parallel over chunks or state elements: (1) chunk_states, per (batch,
// head, chunk) the chunk's state contribution (K * zeta)^T V into the chunk
// states [B, H, N, dk, dv]; (2) chunk_scan, per (batch, head, group of 128
// state elements) the scan over chunks into each chunk's starting state and
// the final state; (3) chunk_outputs, per (batch, head, chunk) the scores
// tile and the outputs from the chunk's starting state. All three are
// tiled upstream onto blocks and decomposed into linalg, which
// retnet-gpu-distribute-linalg spreads over the threads later.

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
// The keys scaled by zeta are a tile of their own, not fused into the sum
// (where each would be scaled once per value column): the sum stays a
// plain product (tensor-core tiles in retnet-gpu-distribute-linalg).
// CHECK:   scf.for
// CHECK:     %[[SCALED_KEYS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<16x16xf32>, tensor<16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[SCALED_KEYS]], %{{.*}} : tensor<16x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:   scf.if
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?x16xf32>)
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
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
// (3) Outputs, tiled upstream (the TilingInterface of chunk_outputs) into
// one block per (batch, head, chunk) as (1), whose body is the chunk's
// decomposition: per chunk (a full one, then the shorter last one) first
// Q S from the chunk's starting state (the scan's first result), its rows
// scaled by xi s in place, then the scores Q K^T, reading K through a
// transposed indexing map (the transpose of the CPU's decomposition fused
// into the sum), the decay mask fused into the scores' scaling (one
// exponential per score, no [C, C] mask tile), and (scores) V added to the
// same rows of the output. The three products are plain sums of products
// (tensor-core tiles in retnet-gpu-distribute-linalg).
// CHECK: %[[OUTPUTS:.*]] = scf.forall (%[[OB:.*]], %[[OH:.*]], %[[OC:.*]]) in (%{{.*}}, 2, %{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK-NOT: linalg.transpose
// CHECK:   %[[START:.*]] = tensor.extract_slice %[[SCAN]]#0[%[[OB]], %[[OH]], %[[OC]], 0, 0] [1, 1, 1, 16, 32]
// CHECK:   scf.for
// CHECK:     %[[STATE:.*]] = tensor.extract_slice %[[START]]
// CHECK:     %[[QS:.*]] = linalg.generic {indexing_maps = [#[[ROW:.*]], #[[COLUMN:.*]], #[[OUTPUT:.*]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[STATE]] : tensor<16x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    arith.addf
// CHECK:     %[[SCALED:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<16xf32>, tensor<16xf32>) outs(%[[QS]] : tensor<16x32xf32>)
// CHECK:     %[[QK:.*]] = linalg.generic {indexing_maps = [#[[ROW]], #[[TRANSPOSED:.*]], #[[OUTPUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<16x16xf32>, tensor<16x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK:     %[[MASKED:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<16xf32>) outs(%[[QK]] : tensor<16x16xf32>)
// CHECK:       tensor.extract
// CHECK:     linalg.generic {indexing_maps = [#[[ROW]], #[[COLUMN]], #[[OUTPUT]]], {{.*}} ins(%[[MASKED]], %{{.*}} : tensor<16x16xf32>, tensor<16x32xf32>) outs(%[[SCALED]] : tensor<16x32xf32>)
// CHECK:   scf.if
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?x16xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[OB]], %[[OH]], %{{.*}}, 0] [1, 1, %{{.*}}, 32]
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
// CHECK: return %[[OUTPUTS]], %[[SCAN]]#1

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

// Parallel: run as the chunkwise form's pieces with chunks of
// parallel-tile (64) tokens, the same three block loops as above: the
// chunks' contributions, the scan (which also gives the final state) and
// the outputs, whose scores come in row tiles of 32 x 64 and which convert
// to bf16 once per block.

// CHECK-LABEL: func @parallel
// CHECK: scf.forall ({{.*}}) in (%{{.*}}, 2, %{{.*}}) shared_outs({{.*}}) -> (tensor<?x2x?x16x32xf32>)
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
// CHECK: %[[SCAN:.*]]:2 = scf.forall
// CHECK: } {mapping = [#gpu.block<linear_dim_2>, #gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
// CHECK: %[[OUT:.*]] = scf.forall ({{.*}}) in (%{{.*}}, 2, %{{.*}}) shared_outs({{.*}}) -> (tensor<?x2x?x32xbf16>)
// CHECK:   tensor<32x64xf32>
// CHECK:   arith.truncf %{{.*}} : f32 to bf16
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
// CHECK: return %[[OUT]], %[[SCAN]]#1
func.func @parallel(%q: tensor<?x2x?x16xbf16>, %k: tensor<?x2x?x16xbf16>, %v: tensor<?x2x?x32xbf16>, %s0: tensor<?x2x16x32xf32>) -> (tensor<?x2x?x32xbf16>, tensor<?x2x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o, %s = retention.parallel %q, %k, %v gamma %gamma state %s0 : tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16>, tensor<?x2x?x32xbf16>, tensor<2xf64>, tensor<?x2x16x32xf32> -> tensor<?x2x?x32xbf16>, tensor<?x2x16x32xf32>
  return %o, %s : tensor<?x2x?x32xbf16>, tensor<?x2x16x32xf32>
}


// -----

// chunk_outputs on bf16: the conversions to f32 are fused into the sums
// that read them (the queries' into both the Q S and the scores sum, a copy
// each), so no f32 copy of a chunk's inputs is made; the outputs accumulate
// in f32 and convert to bf16 once, at the end of the block.

// CHECK-LABEL: func @chunk_outputs_bf16
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 3) shared_outs(
// CHECK:   scf.for
// CHECK:     linalg.generic {{.*}} ins(%[[QROWS:.*]], %{{.*}} : tensor<16x16xbf16>, tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:       arith.extf
// CHECK:     linalg.generic {{.*}} ins(%[[QROWS]], %{{.*}} : tensor<16x16xbf16>, tensor<16x16xbf16>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK:       arith.extf
// CHECK:       arith.extf
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x16xf32>, tensor<16x32xbf16>)
// CHECK:   scf.if
// CHECK:   linalg.generic {{.*}} ins(%{{.*}} : tensor<?x32xf32>) outs(%{{.*}} : tensor<?x32xbf16>)
// CHECK:     arith.truncf
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
func.func @chunk_outputs_bf16(%q: tensor<1x2x40x16xbf16>, %k: tensor<1x2x40x16xbf16>, %v: tensor<1x2x40x32xbf16>, %starts: tensor<1x2x3x16x32xf32>) -> tensor<1x2x40x32xbf16> {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o = retention.chunk_outputs %q, %k, %v, %starts gamma %gamma {chunk_size = 16 : i64} : tensor<1x2x40x16xbf16>, tensor<1x2x40x16xbf16>, tensor<1x2x40x32xbf16>, tensor<1x2x3x16x32xf32>, tensor<2xf64> -> tensor<1x2x40x32xbf16>
  return %o : tensor<1x2x40x32xbf16>
}

// -----

// chunk_states of a head with more than 32 key dimensions: a chunk's state
// (K * zeta)^T V is a loop over tiles of 32 of its rows (upstream tiling
// with producer fusion), each with its own [C, 32] tile of scaled keys and
// its zeros, so that the block's warps hold a tile's [32, dv] in their mma
// accumulators; the decay vector zeta is made once per block.

// CHECK-LABEL: func @chunk_states_rows
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 3) shared_outs(
// CHECK:   %[[ZETA:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<16xf32>)
// CHECK:     math.exp
// CHECK:   scf.for
// CHECK:     scf.for %[[ROW:.*]] = %c0 to %c64 step %c32 iter_args(%[[STATE:.*]] = %{{.*}}) -> (tensor<64x32xf32>) {
// CHECK-NOT:   math.exp
// CHECK:       %[[KEYS:.*]] = tensor.extract_slice %{{.*}}[0, %[[ROW]]] [16, 32] [1, 1] : tensor<16x64xf32> to tensor<16x32xf32>
// CHECK:       %[[SCALED:.*]] = linalg.generic {{.*}} ins(%[[KEYS]], %[[ZETA]] : tensor<16x32xf32>, tensor<16xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:       %[[ROWS:.*]] = tensor.extract_slice %[[STATE]][%[[ROW]], 0] [32, 32] [1, 1]
// CHECK:       %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[ROWS]] : tensor<32x32xf32>)
// CHECK:       %[[PRODUCT:.*]] = linalg.generic {{.*}} ins(%[[SCALED]], %{{.*}} : tensor<16x32xf32>, tensor<16x32xf32>) outs(%[[ZEROS]] : tensor<32x32xf32>)
// CHECK:       tensor.insert_slice %[[PRODUCT]] into %[[STATE]][%[[ROW]], 0] [32, 32] [1, 1]
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
func.func @chunk_states_rows(%k: tensor<1x2x40x64xf32>, %v: tensor<1x2x40x32xf32>) -> tensor<1x2x3x64x32xf32> {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 16 : i64} : tensor<1x2x40x64xf32>, tensor<1x2x40x32xf32>, tensor<2xf64> -> tensor<1x2x3x64x32xf32>
  return %d : tensor<1x2x3x64x32xf32>
}
