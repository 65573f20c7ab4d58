// RUN: retnet-opt %s -convert-retention-to-linalg -canonicalize -split-input-file | FileCheck %s

// Parallel: one scf.forall over batch x heads; one block of the whole
// sequence: Q K^T, the causal decay mask, (.) V; no loop over tokens.

// CHECK-DAG: #[[QK_LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[QK_RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @parallel
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x16xf32>, %[[K:.*]]: tensor<?x4x?x16xf32>, %[[V:.*]]: tensor<?x4x?x32xf32>)
// CHECK: %[[LOG_GAMMA:.*]] = arith.constant dense<[-0.69314718055994529, -0.2876820724517809, -0.10536051565782628, -0.010050335853501451]> : tensor<4xf64>
// CHECK: %[[B:.*]] = tensor.dim %[[Q]], %c0
// CHECK: scf.forall (%[[BI:.*]], %[[HI:.*]]) in (%[[B]], 4) shared_outs(%[[OUTS:.*]] = %{{.*}}) -> (tensor<?x4x?x32xf32>)
// CHECK:   tensor.extract %[[LOG_GAMMA]][%[[HI]]]
// CHECK:   %[[QH:.*]] = tensor.extract_slice %[[Q]][%[[BI]], %[[HI]], 0, 0] [1, 1, %{{.*}}, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x16xf32>
// CHECK:   %[[KH:.*]] = tensor.extract_slice %[[K]][%[[BI]], %[[HI]], 0, 0]
// CHECK:   %[[VH:.*]] = tensor.extract_slice %[[V]][%[[BI]], %[[HI]], 0, 0]
// CHECK-NOT: scf.for
// CHECK:   math.exp
// CHECK:   arith.cmpi sle
// CHECK:   %[[KT:.*]] = linalg.transpose ins(%[[KH]] : tensor<?x16xf32>) outs(%{{.*}} : tensor<16x?xf32>) permutation = [1, 0]
// CHECK:   %[[SCORES:.*]] = linalg.generic {indexing_maps = [#[[QK_LHS]], #[[QK_RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[QH]], %[[KT]] : tensor<?x16xf32>, tensor<16x?xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   %[[MASKED:.*]] = linalg.generic {{.*}} outs(%[[SCORES]] : tensor<?x?xf32>)
// CHECK:     arith.mulf
// CHECK:   %[[O:.*]] = linalg.generic {{.*}} ins(%[[MASKED]], %[[VH]] : tensor<?x?xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[OUTS]][%[[BI]], %[[HI]], 0, 0] [1, 1, %{{.*}}, 32] [1, 1, 1, 1]
// CHECK-NOT: retention.
func.func @parallel(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x32xf32>) -> tensor<?x4x?x32xf32> {
  %o = retention.parallel %q, %k, %v {gamma = array<f64: 0.5, 0.75, 0.9, 0.99>} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x32xf32> -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}

// -----

// Chunkwise with state, offset, scaling and f16 inputs: widened to f32, the
// decay tables of a static chunk hoisted out of the scf.for over full chunks,
// the state carried by the loop, then one shorter (dynamic) block.

// CHECK-LABEL: func @chunkwise
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x16xf16>, %{{.*}}: tensor<?x2x?x16xf16>, %{{.*}}: tensor<?x2x?x8xf16>, %[[S0:.*]]: tensor<?x2x16x8xf32>, %[[P:.*]]: index)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: scf.forall (%[[BI:.*]], %[[HI:.*]]) in (%{{.*}}, 2) shared_outs(%[[OUTS:.*]] = %{{.*}}, %[[STATES:.*]] = %{{.*}}) -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>)
// CHECK:   %[[STATE:.*]] = tensor.extract_slice %[[S0]][%[[BI]], %[[HI]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1] : tensor<?x2x16x8xf32> to tensor<16x8xf32>
// CHECK:   %[[FULL:.*]] = arith.divui %{{.*}}, %c4
// CHECK:   linalg.generic {{.*}} outs(%{{.*}} : tensor<4x4xf32>)
// CHECK:   %[[LOOP:.*]]:2 = scf.for %[[C:.*]] = %c0 to %[[FULL]] step %c1 iter_args(%[[OACC:.*]] = %{{.*}}, %[[SACC:.*]] = %[[STATE]]) -> (tensor<?x8xf32>, tensor<16x8xf32>)
// CHECK:     %[[START:.*]] = arith.muli %[[C]], %c4
// CHECK:     tensor.extract_slice %{{.*}}[%[[START]], 0] [4, 16] [1, 1] : tensor<?x16xf32> to tensor<4x16xf32>
// CHECK:     linalg.transpose ins(%{{.*}} : tensor<4x16xf32>) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x4xf32>) outs(%{{.*}} : tensor<4x4xf32>)
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %[[SACC]] : tensor<4x16xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK:     math.expm1
// CHECK:     math.sqrt
// CHECK:     %[[DECAYED:.*]] = linalg.generic {{.*}} outs(%[[SACC]] : tensor<16x8xf32>)
// CHECK:     %[[NEW_STATE:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<4x8xf32>) outs(%[[DECAYED]] : tensor<16x8xf32>)
// CHECK:     %[[INSERTED:.*]] = tensor.insert_slice %{{.*}} into %[[OACC]][%[[START]], 0] [4, 8] [1, 1]
// CHECK:     scf.yield %[[INSERTED]], %[[NEW_STATE]]
// CHECK:   %[[REST_START:.*]] = arith.muli %[[FULL]], %c4
// CHECK:   %[[REST:.*]] = arith.subi %{{.*}}, %[[REST_START]]
// CHECK:   tensor.empty(%[[REST]], %[[REST]]) : tensor<?x?xf32>
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[OUTS]]
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[STATES]][%[[BI]], %[[HI]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: return %{{.*}}, %{{.*}} : tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>
func.func @chunkwise(%q: tensor<?x2x?x16xf16>, %k: tensor<?x2x?x16xf16>, %v: tensor<?x2x?x8xf16>, %s0: tensor<?x2x16x8xf32>, %p: index) -> (tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v state %s0 offset %p {gamma = array<f64: 0.5, 0.25>, chunk_size = 4, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32> -> tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>
  return %o, %s : tensor<?x2x?x8xf16>, tensor<?x2x16x8xf32>
}

// -----

// Recurrent: an scf.for over tokens with blocks of one token carrying the
// state; no shorter last block. f64 stays f64. With B = H = 1 the
// canonicalizer folds the single-iteration scf.forall away.

// CHECK-LABEL: func @recurrent
// CHECK-NOT: arith.extf
// CHECK:   %[[T:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x8xf64>
// CHECK:   scf.for %{{.*}} = %c0 to %[[T]] step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<?x8xf64>, tensor<8x8xf64>)
// CHECK:     tensor.extract_slice %{{.*}}[%{{.*}}, 0] [1, 8] [1, 1] : tensor<?x8xf64> to tensor<1x8xf64>
// CHECK:     linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1xf64>)
// CHECK:     scf.yield
// CHECK-NOT: tensor<?x?xf64>
// CHECK: return
func.func @recurrent(%q: tensor<1x1x?x8xf64>) -> (tensor<1x1x?x8xf64>, tensor<1x1x8x8xf64>) {
  %o, %s = retention.recurrent %q, %q, %q {gamma = array<f64: 0.5>} : tensor<1x1x?x8xf64>, tensor<1x1x?x8xf64>, tensor<1x1x?x8xf64> -> tensor<1x1x?x8xf64>, tensor<1x1x8x8xf64>
  return %o, %s : tensor<1x1x?x8xf64>, tensor<1x1x8x8xf64>
}

// -----

// Static shapes keep their static result types; the unit head dimension of
// the scf.forall folds away.
// CHECK-LABEL: func @static_parallel
// CHECK: scf.forall (%{{.*}}) in (3)
// CHECK: return %{{.*}} : tensor<3x1x5x4xf32>
func.func @static_parallel(%q: tensor<3x1x5x4xf32>) -> tensor<3x1x5x4xf32> {
  %o = retention.parallel %q, %q, %q {gamma = array<f64: 0.5>} : tensor<3x1x5x4xf32>, tensor<3x1x5x4xf32>, tensor<3x1x5x4xf32> -> tensor<3x1x5x4xf32>
  return %o : tensor<3x1x5x4xf32>
}

// -----

// One token (decoding): the heads run in a sequential loop nest, no
// scf.forall (one dk x dv update per head is less work than a fork/join).
// CHECK-LABEL: func @decode_step
// CHECK-NOT: scf.forall
// CHECK: %[[B:.*]] = tensor.dim
// CHECK: scf.for %{{.*}} = %c0 to %[[B]] step %c1 iter_args
// CHECK:   scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK:     tensor.insert_slice {{.*}} [1, 1, 1, 8] [1, 1, 1, 1] : tensor<1x8xf32> into tensor<?x4x1x8xf32>
// CHECK:     tensor.insert_slice {{.*}} [1, 1, 8, 8] [1, 1, 1, 1] : tensor<8x8xf32> into tensor<?x4x8x8xf32>
// CHECK-NOT: scf.forall
func.func @decode_step(%q: tensor<?x4x1x8xf32>, %s0: tensor<?x4x8x8xf32>, %p: index) -> (tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %q state %s0 offset %p {gamma = array<f64: 0.5, 0.6, 0.7, 0.8>, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x4x1x8xf32>, tensor<?x4x1x8xf32>, tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32> -> tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>
  return %o, %s : tensor<?x4x1x8xf32>, tensor<?x4x8x8xf32>
}
