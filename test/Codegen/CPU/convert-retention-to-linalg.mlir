// RUN: retnet-opt %s -convert-retention-to-linalg -canonicalize -cse -split-input-file | FileCheck %s

// Parallel: tiled (TilingInterface) into one scf.forall over batch x heads
// whose body is the decomposition of one head: one block of the whole
// sequence, its output computed in blocks of 64 rows, each against the keys
// and values of the tokens up to its last row only (the scores above the
// diagonal blocks are never computed), ln(gamma) of the head from its slice
// of gamma.

// CHECK-DAG: #[[QK_LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[QK_RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[FULL_BLOCKS:.*]] = affine_map<()[s0] -> (s0 floordiv 64)>
// CHECK-DAG: #[[REST:.*]] = affine_map<()[s0] -> (s0 mod 64)>
// CHECK-LABEL: func @parallel
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x16xf32>, %[[K:.*]]: tensor<?x4x?x16xf32>, %[[V:.*]]: tensor<?x4x?x32xf32>)
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 7.500000e-01, 9.000000e-01, 0.98999999999999999]> : tensor<4xf64>
// CHECK: %[[B:.*]] = tensor.dim %[[Q]], %c0
// CHECK: scf.forall (%[[BI:.*]], %[[HI:.*]]) in (%[[B]], 4) shared_outs(%[[OUTS:.*]] = %{{.*}}) -> (tensor<?x4x?x32xf32>)
// CHECK:   %[[QT:.*]] = tensor.extract_slice %[[Q]][%[[BI]], %[[HI]], 0, 0] [1, 1, %{{.*}}, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<1x1x?x16xf32>
// CHECK:   tensor.extract_slice %[[K]][%[[BI]], %[[HI]], 0, 0]
// CHECK:   tensor.extract_slice %[[V]][%[[BI]], %[[HI]], 0, 0]
// CHECK:   %[[GH:.*]] = tensor.extract_slice %[[GAMMA]][%[[HI]]] [1] [1] : tensor<4xf64> to tensor<1xf64>
// CHECK:   %[[G:.*]] = tensor.extract %[[GH]][%c0] : tensor<1xf64>
// CHECK:   math.log %[[G]] : f64
// CHECK:   %[[QH:.*]] = tensor.extract_slice %[[QT]][0, 0, 0, 0] [1, 1, %{{.*}}, 16] [1, 1, 1, 1] : tensor<1x1x?x16xf32> to tensor<?x16xf32>
// CHECK:   %[[KH:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] {{.*}} to tensor<?x16xf32>
// CHECK:   %[[VH:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] {{.*}} to tensor<?x32xf32>
// The causal decay mask reads gamma^(i-j) from a table of the T powers
// gamma^k: T exponentials, not T^2. K is transposed once.
// CHECK:   %[[POWERS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?xf32>)
// CHECK:     math.exp
// CHECK:   %[[KT:.*]] = linalg.transpose ins(%[[KH]] : tensor<?x16xf32>) outs(%{{.*}} : tensor<16x?xf32>) permutation = [1, 0]
// CHECK-NOT: math.exp
// The full blocks of 64 rows: rows [start, start + 64) see tokens
// [0, start + 64). The split is affine, so that the last block's size has a
// constant upper bound (63).
// CHECK:   %[[FULL:.*]] = affine.apply #[[FULL_BLOCKS]]()[%{{.*}}]
// CHECK:   scf.for %[[BLOCK:.*]] = %c0 to %[[FULL]] step %c1 iter_args(%{{.*}} = %{{.*}})
// CHECK:     %[[START:.*]] = arith.muli %[[BLOCK]], %c64
// CHECK:     %[[WIDTH:.*]] = arith.addi %[[START]], %c64
// CHECK:     %[[MASK:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x?xf32>)
// CHECK:       %[[ROW:.*]] = arith.addi %[[START]], %{{.*}} : index
// CHECK:       arith.cmpi sle, %{{.*}}, %[[ROW]]
// CHECK:       tensor.extract %[[POWERS]][%{{.*}}] : tensor<?xf32>
// CHECK:     %[[KSEEN:.*]] = tensor.extract_slice %[[KT]][0, 0] [16, %[[WIDTH]]] [1, 1]
// CHECK:     %[[QROWS:.*]] = tensor.extract_slice %[[QH]][%[[START]], 0] [64, 16] [1, 1]
// CHECK:     %[[VSEEN:.*]] = tensor.extract_slice %[[VH]][0, 0] [%[[WIDTH]], 32] [1, 1]
// CHECK:     %[[SCORES:.*]] = linalg.generic {indexing_maps = [#[[QK_LHS]], #[[QK_RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[QROWS]], %[[KSEEN]] : tensor<64x16xf32>, tensor<16x?xf32>) outs(%{{.*}} : tensor<64x?xf32>)
// CHECK:     %[[MASKED:.*]] = linalg.generic {{.*}} ins(%[[MASK]] : tensor<64x?xf32>) outs(%[[SCORES]] : tensor<64x?xf32>)
// CHECK:       arith.mulf
// CHECK:     %[[O:.*]] = linalg.generic {{.*}} ins(%[[MASKED]], %[[VSEEN]] : tensor<64x?xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<64x32xf32>)
// CHECK:     tensor.insert_slice %[[O]] into %{{.*}}[0, 0, %[[START]], 0] [1, 1, 64, 32]
// Then the last, shorter block, against every token.
// CHECK:   affine.apply #[[REST]]()[%{{.*}}]
// CHECK:   linalg.generic {{.*}} outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x?xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[OUTS]][%[[BI]], %[[HI]], 0, 0] [1, 1, %{{.*}}, 32] [1, 1, 1, 1]
// CHECK-NOT: retention.
func.func @parallel(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x32xf32>) -> tensor<?x4x?x32xf32> {
  %gamma = arith.constant dense<[0.5, 0.75, 0.9, 0.99]> : tensor<4xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x32xf32>, tensor<4xf64> -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}

// -----

// Chunkwise with state, offset, scaling and f16 inputs: each head widened
// to f32 (and its output narrowed back), the
// decay tables of a static chunk hoisted out of the scf.for over full chunks,
// the state carried by the loop, then one shorter (dynamic) block.

// CHECK-LABEL: func @chunkwise
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x16xf16>, %{{.*}}: tensor<?x2x?x16xf16>, %{{.*}}: tensor<?x2x?x8xf16>, %[[S0:.*]]: tensor<?x2x16x8xf32>, %[[P:.*]]: index)
// The initial state is the loop's destination of the final state, and each
// tile reads its state from the loop's own slice, so that bufferization
// updates the state in place.
// CHECK: scf.forall (%[[BI:.*]], %[[HI:.*]]) in (%{{.*}}, 2) shared_outs(%[[OUTS:.*]] = %{{.*}}, %[[STATES:.*]] = %[[S0]]) -> (tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>)
// CHECK:   %[[STATE_TILE:.*]] = tensor.extract_slice %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1] : tensor<?x2x16x8xf32> to tensor<1x1x16x8xf32>
// CHECK:   arith.extf %{{.*}} : f16 to f32
// CHECK:   %[[STATE:.*]] = tensor.extract_slice %[[STATE_TILE]][0, 0, 0, 0] [1, 1, 16, 8] [1, 1, 1, 1] : tensor<1x1x16x8xf32> to tensor<16x8xf32>
// CHECK:   %[[FULL:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:   linalg.generic {{.*}} outs(%{{.*}} : tensor<4x4xf32>)
// CHECK:   %[[LOOP:.*]]:2 = scf.for %[[C:.*]] = %c0 to %[[FULL]] step %c1 iter_args(%[[OACC:.*]] = %{{.*}}, %[[SACC:.*]] = %[[STATE]]) -> (tensor<?x8xf32>, tensor<16x8xf32>)
// CHECK:     %[[START:.*]] = arith.muli %[[C]], %c4
// CHECK:     tensor.extract_slice %{{.*}}[%[[START]], 0] [4, 16] [1, 1] : tensor<?x16xf32> to tensor<4x16xf32>
// The output scale of each row (decay_sqrt_sum) is folded into the mask
// and into the factor of the rows of Q S: Q S first, its rows scaled by
// xi s, then P V accumulated into the same rows.
// CHECK:     linalg.transpose ins(%{{.*}} : tensor<4x16xf32>) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK:     %[[SCALE:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK:       math.expm1
// CHECK:       math.sqrt
// CHECK:     %[[QS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SACC]] : tensor<4x16xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK:     %[[DQS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SCALE]] : tensor<4xf32>, tensor<4xf32>) outs(%[[QS]] : tensor<4x8xf32>)
// CHECK:     %[[QK:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x4xf32>) outs(%{{.*}} : tensor<4x4xf32>)
// CHECK:     %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SCALE]] : tensor<4x4xf32>, tensor<4xf32>) outs(%[[QK]] : tensor<4x4xf32>)
// CHECK:     linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<4x4xf32>, tensor<4x8xf32>) outs(%[[DQS]] : tensor<4x8xf32>)
// CHECK:     %[[DECAYED:.*]] = linalg.generic {{.*}} outs(%[[SACC]] : tensor<16x8xf32>)
// CHECK:     %[[NEW_STATE:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<4x8xf32>) outs(%[[DECAYED]] : tensor<16x8xf32>)
// CHECK:     %[[INSERTED:.*]] = tensor.insert_slice %{{.*}} into %[[OACC]][%[[START]], 0] [4, 8] [1, 1]
// CHECK:     scf.yield %[[INSERTED]], %[[NEW_STATE]]
// CHECK:   %[[REST:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:   tensor.empty(%[[REST]], %[[REST]]) : tensor<?x?xf32>
// CHECK:   arith.truncf %{{.*}} : f32 to f16
// CHECK:   %[[FINAL_TILE:.*]] = tensor.insert_slice %{{.*}} into %[[STATE_TILE]][0, 0, 0, 0] [1, 1, 16, 8]
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[OUTS]]
// CHECK:     tensor.parallel_insert_slice %[[FINAL_TILE]] into %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK: return %{{.*}}, %{{.*}} : tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>
func.func @chunkwise(%q: tensor<?x2x?x16xf16>, %k: tensor<?x2x?x16xf16>, %v: tensor<?x2x?x8xf16>, %s0: tensor<?x2x16x8xf32>, %p: index) -> (tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 offset %p {chunk_size = 4, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x8xf16>, tensor<2xf64>, tensor<?x2x16x8xf32> -> tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>
  return %o, %s : tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>
}

// -----

// Recurrent: an scf.for over tokens carrying the state. Each token is one
// pass over the state: S = gamma S + k^T v (the [dk] key along rows, the
// [dv] value along columns) and its output row o += q S accumulated in the
// same generic (rows a reduction for o). f64 stays f64. With B = H = 1 the
// canonicalizer folds the single-iteration scf.forall away.

// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COLUMN:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ELEMENT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @recurrent
// CHECK-NOT: arith.extf
// CHECK:   %[[T:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x8xf64>
// CHECK:   scf.for %{{.*}} = %c0 to %[[T]] step %c1 iter_args(%{{.*}} = %{{.*}}, %[[S:.*]] = %{{.*}}) -> (tensor<1x1x?x8xf64>, tensor<8x8xf64>)
// CHECK:     %[[TOKEN:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0] [1, 8] [1, 1] : tensor<?x8xf64> to tensor<1x8xf64>
// CHECK:     %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<8xf64>
// CHECK:     %[[VECTOR:.*]] = tensor.extract_slice %[[TOKEN]][0, 0] [1, 8] [1, 1] : tensor<1x8xf64> to tensor<8xf64>
// CHECK:     %[[STEP:.*]]:2 = linalg.generic {indexing_maps = [#[[ROW]], #[[COLUMN]], #[[ROW]], #[[ELEMENT]], #[[COLUMN]]], iterator_types = ["reduction", "parallel"]} ins(%[[VECTOR]], %[[VECTOR]], %[[VECTOR]] : tensor<8xf64>, tensor<8xf64>, tensor<8xf64>) outs(%[[S]], %[[ZERO]] : tensor<8x8xf64>, tensor<8xf64>)
// CHECK:       %[[DECAYED:.*]] = arith.mulf %{{.*}}, %cst
// CHECK:       %[[OUTER:.*]] = arith.mulf
// CHECK:       %[[NEXT:.*]] = arith.addf %[[DECAYED]], %[[OUTER]]
// CHECK:       %[[TERM:.*]] = arith.mulf %{{.*}}, %[[NEXT]]
// CHECK:       %[[SUM:.*]] = arith.addf %{{.*}}, %[[TERM]]
// CHECK:       linalg.yield %[[NEXT]], %[[SUM]]
// CHECK:     tensor.insert_slice %[[STEP]]#1 into %{{.*}}[0, 0, %{{.*}}, 0] [1, 1, 1, 8]
// CHECK:     scf.yield %{{.*}}, %[[STEP]]#0
// CHECK-NOT: tensor<?x?xf64>
// CHECK: return
func.func @recurrent(%q: tensor<1x1x?x8xf64>) -> (tensor<1x1x?x8xf64>, tensor<1x1x8x8xf64>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.recurrent %q, %q, %q gamma %gamma : tensor<1x1x?x8xf64>, tensor<1x1x?x8xf64>, tensor<1x1x?x8xf64>, tensor<1xf64> -> tensor<1x1x?x8xf64>, tensor<1x1x8x8xf64>
  return %o, %s : tensor<1x1x?x8xf64>, tensor<1x1x8x8xf64>
}

// -----

// Static shapes keep their static result types; the unit head dimension of
// the scf.forall folds away.
// CHECK-LABEL: func @static_parallel
// CHECK: scf.forall (%{{.*}}) in (3)
// CHECK: return %{{.*}} : tensor<3x1x5x4xf32>
func.func @static_parallel(%q: tensor<3x1x5x4xf32>) -> tensor<3x1x5x4xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %q, %q gamma %gamma : tensor<3x1x5x4xf32>, tensor<3x1x5x4xf32>, tensor<3x1x5x4xf32>, tensor<1xf64> -> tensor<3x1x5x4xf32>
  return %o : tensor<3x1x5x4xf32>
}

// -----

// One token (decoding): an scf.forall over batch x heads too (a batch of
// sequences decodes in parallel), with the state updated in place.
// CHECK-LABEL: func @decode_step
// CHECK-SAME: %[[S0:[a-z0-9]+]]: tensor<?x4x8x8xf32>
// CHECK: %[[B:.*]] = tensor.dim
// CHECK: scf.forall (%[[BI:.*]], %[[HI:.*]]) in (%[[B]], 4) shared_outs(%{{.*}} = %{{.*}}, %[[STATES:.*]] = %[[S0]])
// CHECK:   tensor.extract_slice %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 8, 8]
// CHECK:   tensor.parallel_insert_slice {{.*}} [1, 1, 1, 8] [1, 1, 1, 1] : tensor<1x1x1x8xf32> into tensor<?x4x1x8xf32>
// CHECK:   tensor.parallel_insert_slice {{.*}} into %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 8, 8] [1, 1, 1, 1] : tensor<1x1x8x8xf32> into tensor<?x4x8x8xf32>
func.func @decode_step(%q: tensor<?x4x1x8xf32>, %s0: tensor<?x4x8x8xf32>, %p: index) -> (tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>) {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf64>
  %o, %s = retention.recurrent %q, %q, %q gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x4x1x8xf32>, tensor<?x4x1x8xf32>, tensor<?x4x1x8xf32>, tensor<4xf64>, tensor<?x4x8x8xf32> -> tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>
  return %o, %s : tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>
}

// -----

// A read-only initial state (a kernel's input buffer) is not the loop's
// shared output: the final state keeps its empty destination (empty-tensor
// elimination makes it the result's buffer), and each tile copies its head
// of the initial state there before updating it in place.
// CHECK-LABEL: func @read_only_state
// CHECK: %[[S0:.*]] = bufferization.to_tensor
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x4x8x8xf32>
// CHECK: scf.forall (%[[BI:.*]], %[[HI:.*]]) in (%{{.*}}, 4) shared_outs(%{{.*}} = %{{.*}}, %[[STATES:.*]] = %[[EMPTY]])
// CHECK:   %[[HEAD:.*]] = tensor.extract_slice %[[S0]][%[[BI]], %[[HI]], 0, 0] [1, 1, 8, 8]
// CHECK:   %[[MINE:.*]] = tensor.extract_slice %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 8, 8]
// CHECK:   linalg.copy ins(%[[HEAD]] : tensor<1x1x8x8xf32>) outs(%[[MINE]] : tensor<1x1x8x8xf32>)
// CHECK:   tensor.parallel_insert_slice {{.*}} into %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 8, 8] [1, 1, 1, 1] : tensor<1x1x8x8xf32> into tensor<?x4x8x8xf32>
func.func @read_only_state(%q: tensor<?x4x1x8xf32>, %m: memref<?x4x8x8xf32>, %p: index) -> (tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>) {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf64>
  %s0 = bufferization.to_tensor %m restrict : memref<?x4x8x8xf32> to tensor<?x4x8x8xf32>
  %o, %s = retention.recurrent %q, %q, %q gamma %gamma state %s0 offset %p : tensor<?x4x1x8xf32>, tensor<?x4x1x8xf32>, tensor<?x4x1x8xf32>, tensor<4xf64>, tensor<?x4x8x8xf32> -> tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>
  return %o, %s : tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>
}

// -----

// The producers of q, k and v that feed only the retention op (here the
// rotation-like generic of q) are fused into the loop over batch x heads:
// each tile computes its own head of them. A producer with other users
// (%v, also returned) is computed whole, outside.
// CHECK-LABEL: func @fused_producers
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x16x8xf32>,
// CHECK-SAME: %[[Y:.*]]: tensor<2x4x16x8xf32>)
// CHECK: %[[V:.*]] = linalg.generic {{.*}} ins(%[[Y]] : tensor<2x4x16x8xf32>)
// CHECK:   arith.mulf
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in (2, 4)
// CHECK:   %[[XT:.*]] = tensor.extract_slice %[[X]][%[[B]], %[[H]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK:   linalg.generic {{.*}} ins(%[[XT]] : tensor<1x1x16x8xf32>) outs(%{{.*}} : tensor<1x1x16x8xf32>)
// CHECK:     arith.addf
// CHECK:   tensor.extract_slice %[[V]][%[[B]], %[[H]], 0, 0]
// CHECK: return
func.func @fused_producers(%x: tensor<2x4x16x8xf32>, %y: tensor<2x4x16x8xf32>) -> (tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %empty = tensor.empty() : tensor<2x4x16x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(b, h, t, d) -> (b, h, t, d)>, affine_map<(b, h, t, d) -> (b, h, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x4x16x8xf32>) outs(%empty : tensor<2x4x16x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %twice = arith.addf %in, %in : f32
    linalg.yield %twice : f32
  } -> tensor<2x4x16x8xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(b, h, t, d) -> (b, h, t, d)>, affine_map<(b, h, t, d) -> (b, h, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : tensor<2x4x16x8xf32>) outs(%empty : tensor<2x4x16x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %square = arith.mulf %in, %in : f32
    linalg.yield %square : f32
  } -> tensor<2x4x16x8xf32>
  %o = retention.chunkwise %q, %q, %v gamma %gamma {chunk_size = 8} : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<4xf64> -> tensor<2x4x16x8xf32>
  return %o, %v : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>
}

// -----

// The chunkwise pieces: chunk_states and chunk_outputs in an scf.forall
// over batch x heads x chunks, chunk_scan over batch x heads with the state
// elements whole and an scf.for over the chunks.
// CHECK-LABEL: func @pieces
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 4)
// CHECK:   linalg.generic {{.*}} outs(%{{.*}} : tensor<8x4xf32>)
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK:   scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK:     arith.minui
// CHECK:     math.exp
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 4)
// CHECK:   math.log
// CHECK-NOT: retention.
// CHECK: return
func.func @pieces(%k: tensor<1x2x100x8xf32>, %v: tensor<1x2x100x4xf32>, %t: index) -> (tensor<1x2x100x4xf32>, tensor<1x2x8x4xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 32} : tensor<1x2x100x8xf32>, tensor<1x2x100x4xf32>, tensor<2xf64> -> tensor<1x2x4x8x4xf32>
  %starts, %final = retention.chunk_scan %d gamma %gamma length %t {chunk_size = 32} : tensor<1x2x4x8x4xf32>, tensor<2xf64> -> tensor<1x2x4x8x4xf32>, tensor<1x2x8x4xf32>
  %o = retention.chunk_outputs %k, %k, %v, %starts gamma %gamma {chunk_size = 32} : tensor<1x2x100x8xf32>, tensor<1x2x100x8xf32>, tensor<1x2x100x4xf32>, tensor<1x2x4x8x4xf32>, tensor<2xf64> -> tensor<1x2x100x4xf32>
  return %o, %final : tensor<1x2x100x4xf32>, tensor<1x2x8x4xf32>
}

// -----

// A chunk longer than 32 tokens in row tiles of 32: rows [0, 32) against
// the chunk's first 32 keys and values, rows [32, 64) against all 64, with
// static shapes, so the [32, 32] tile above the diagonal is not computed;
// each tile's mask is a slice of the chunk's hoisted [64, 64] mask. Each
// tile accumulates in its own rows of the output's chunk (its zeros are
// written there, then Q S from the carried state, then P V), so that the
// output bufferizes in place, with no copy.
// CHECK-LABEL: func @chunk_row_tiles
// CHECK: %[[MASK:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x64xf32>)
// CHECK: scf.for %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}}, %{{.*}} = %{{.*}})
// CHECK:   %[[CHUNK:.*]] = tensor.extract_slice %[[OUT]][0, 0, %[[AT:.*]], 0] [1, 1, 64, 8] [1, 1, 1, 1] : tensor<1x1x?x8xf32> to tensor<64x8xf32>
// CHECK:   linalg.transpose ins(%{{.*}} : tensor<64x16xf32>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK:   tensor.extract_slice %[[MASK]][0, 0] [32, 32] [1, 1] : tensor<64x64xf32> to tensor<32x32xf32>
// CHECK:   %[[TOP:.*]] = tensor.extract_slice %[[CHUNK]][0, 0] [32, 8] [1, 1] : tensor<64x8xf32> to tensor<32x8xf32>
// CHECK:   %[[TOP_ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[TOP]] : tensor<32x8xf32>)
// CHECK:   %[[TOP_QS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x16xf32>, tensor<16x8xf32>) outs(%[[TOP_ZEROS]] : tensor<32x8xf32>)
// CHECK:   %[[TOP_SCALED:.*]] = linalg.generic {{.*}} outs(%[[TOP_QS]] : tensor<32x8xf32>)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<32x32xf32>)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x32xf32>, tensor<32x8xf32>) outs(%[[TOP_SCALED]] : tensor<32x8xf32>)
// CHECK:   %[[WITH_TOP:.*]] = tensor.insert_slice %{{.*}} into %[[CHUNK]][0, 0] [32, 8] [1, 1]
// CHECK:   tensor.extract_slice %[[MASK]][32, 0] [32, 64] [1, 1] : tensor<64x64xf32> to tensor<32x64xf32>
// CHECK:   %[[BOTTOM:.*]] = tensor.extract_slice %[[WITH_TOP]][32, 0] [32, 8] [1, 1] : tensor<64x8xf32> to tensor<32x8xf32>
// CHECK:   %[[BOTTOM_ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[BOTTOM]] : tensor<32x8xf32>)
// CHECK:   %[[BOTTOM_QS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x16xf32>, tensor<16x8xf32>) outs(%[[BOTTOM_ZEROS]] : tensor<32x8xf32>)
// CHECK:   %[[BOTTOM_SCALED:.*]] = linalg.generic {{.*}} outs(%[[BOTTOM_QS]] : tensor<32x8xf32>)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x16xf32>, tensor<16x64xf32>) outs(%{{.*}} : tensor<32x64xf32>)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<64x8xf32>) outs(%[[BOTTOM_SCALED]] : tensor<32x8xf32>)
// CHECK:   %[[WITH_BOTH:.*]] = tensor.insert_slice %{{.*}} into %[[WITH_TOP]][32, 0] [32, 8] [1, 1]
// CHECK:   tensor.insert_slice %[[WITH_BOTH]] into %[[OUT]][0, 0, %[[AT]], 0] [1, 1, 64, 8] [1, 1, 1, 1]
// CHECK-NOT: tensor<64x64xf32>, tensor<64x8xf32>
func.func @chunk_row_tiles(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>, %v: tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32> {
  %gamma = arith.constant dense<[0.9]> : tensor<1xf64>
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 64} : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x8xf32>, tensor<1xf64> -> tensor<1x1x?x8xf32>
  return %o : tensor<1x1x?x8xf32>
}
