// RUN: retnet-opt %s -transform-interpreter -canonicalize -cse -split-input-file | FileCheck %s

// The retention ops implement upstream codegen interfaces, driven here by
// upstream transform ops only: TilingInterface
// (transform.structured.tile_using_forall), producer fusion into the tile
// loop (transform.structured.fuse_into_containing_op), and the per-head
// decomposition of linalg::AggregatedOpInterface
// (transform.structured.decompose_interface).

// Tiles of one batch row and one head; the producer of q is computed per
// tile inside the loop; the tile decomposes into linalg on [T, d] matrices.
// CHECK-LABEL: func @tile_fuse_decompose
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x16x8xf32>, %[[V:.*]]: tensor<2x4x16x8xf32>)
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 7.500000e-01, 8.750000e-01, 9.375000e-01]> : tensor<4xf64>
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in (2, 4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<2x4x16x8xf32>)
// CHECK:   %[[XT:.*]] = tensor.extract_slice %[[X]][%[[B]], %[[H]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1] : tensor<2x4x16x8xf32> to tensor<1x1x16x8xf32>
// CHECK:   %[[QT:.*]] = linalg.generic {{.*}} ins(%[[XT]] : tensor<1x1x16x8xf32>) outs(%{{.*}} : tensor<1x1x16x8xf32>)
// CHECK:   %[[VT:.*]] = tensor.extract_slice %[[V]][%[[B]], %[[H]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK:   %[[GT:.*]] = tensor.extract_slice %[[GAMMA]][%[[H]]] [1] [1] : tensor<4xf64> to tensor<1xf64>
// CHECK:   tensor.extract %[[GT]][%c0] : tensor<1xf64>
// CHECK:   math.log
// CHECK:   tensor.extract_slice %[[QT]][0, 0, 0, 0] [1, 1, 16, 8] [1, 1, 1, 1] : tensor<1x1x16x8xf32> to tensor<16x8xf32>
// CHECK:   scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK-NOT: retention.chunkwise %
// CHECK: return
func.func @tile_fuse_decompose(%x: tensor<2x4x16x8xf32>, %v: tensor<2x4x16x8xf32>) -> tensor<2x4x16x8xf32> {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %empty = tensor.empty() : tensor<2x4x16x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(b, h, t, d) -> (b, h, t, d)>, affine_map<(b, h, t, d) -> (b, h, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x4x16x8xf32>) outs(%empty : tensor<2x4x16x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %twice = arith.addf %in, %in : f32
    linalg.yield %twice : f32
  } -> tensor<2x4x16x8xf32>
  %o = retention.chunkwise %q, %q, %v gamma %gamma {chunk_size = 8} : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<4xf64> -> tensor<2x4x16x8xf32>
  return %o : tensor<2x4x16x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %retention = transform.structured.match ops{["retention.chunkwise"]} in %root : (!transform.any_op) -> !transform.any_op
    %producer = transform.structured.match ops{["linalg.generic"]} in %root : (!transform.any_op) -> !transform.any_op
    %tile, %loop = transform.structured.tile_using_forall %retention tile_sizes [1, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %fused, %loop2 = transform.structured.fuse_into_containing_op %producer into %loop : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    %decomposed = transform.structured.decompose_interface %tile : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// Tiles of two heads keep the heads' slice of gamma and the state; the
// final state is a second result of the loop. A tile of more than one head
// is not decomposed (the decomposition is the maths of one head).
// CHECK-LABEL: func @tile_two_heads
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x16xf32>, %[[S:.*]]: tensor<?x4x16x16xf32>, %[[P:.*]]: index)
// CHECK: scf.forall (%[[B:.*]], %[[HT:.*]]) in (%{{.*}}, 2) shared_outs(%[[OUT:.*]] = %{{.*}}, %[[FINAL:.*]] = %{{.*}}) -> (tensor<?x4x?x16xf32>, tensor<?x4x16x16xf32>)
// CHECK:   %[[H:.*]] = affine.apply #{{.*}}(%[[HT]])
// CHECK:   %[[GT:.*]] = tensor.extract_slice %{{.*}}[%[[H]]] [2] [1] : tensor<4xf64> to tensor<2xf64>
// CHECK:   %[[ST:.*]] = tensor.extract_slice %[[S]][%[[B]], %[[H]], 0, 0] [1, 2, 16, 16] [1, 1, 1, 1] : tensor<?x4x16x16xf32> to tensor<1x2x16x16xf32>
// CHECK:   %{{.*}}, %{{.*}} = retention.recurrent %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GT]] state %[[ST]] offset %[[P]] : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<2xf64>, tensor<1x2x16x16xf32> -> tensor<1x2x?x16xf32>, tensor<1x2x16x16xf32>
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0, 0] [1, 2, %{{.*}}, 16] [1, 1, 1, 1]
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[FINAL]][%[[B]], %[[H]], 0, 0] [1, 2, 16, 16] [1, 1, 1, 1]
func.func @tile_two_heads(%q: tensor<?x4x?x16xf32>, %s0: tensor<?x4x16x16xf32>, %p: index) -> (tensor<?x4x?x16xf32>, tensor<?x4x16x16xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %o, %s = retention.recurrent %q, %q, %q gamma %gamma state %s0 offset %p : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<4xf64>, tensor<?x4x16x16xf32> -> tensor<?x4x?x16xf32>, tensor<?x4x16x16xf32>
  return %o, %s : tensor<?x4x?x16xf32>, tensor<?x4x16x16xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %retention = transform.structured.match ops{["retention.recurrent"]} in %root : (!transform.any_op) -> !transform.any_op
    %tile, %loop = transform.structured.tile_using_forall %retention tile_sizes [1, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The chunkwise pieces tile over chunks (and the scan over state elements):
// a tile of chunk c reads tokens [32 c, min(32 c + 32, T)), and the outputs'
// tile starts at absolute position offset + 32 c.
// CHECK-LABEL: func @tile_pieces
// CHECK-SAME: (%[[K:.*]]: tensor<1x2x100x8xf32>, %[[V:.*]]: tensor<1x2x100x4xf32>, %[[T:.*]]: index, %[[P:.*]]: index)
// CHECK: scf.forall (%[[H:.*]], %[[C:.*]]) in (2, 4)
// CHECK:   %[[START:.*]] = affine.apply #{{.*}}()[%[[C]]]
// CHECK:   %[[COUNT:.*]] = affine.min #{{.*}}()[%[[C]]]
// CHECK:   tensor.extract_slice %[[K]][0, %[[H]], %[[START]], 0] [1, 1, %[[COUNT]], 8]
// CHECK:   retention.chunk_states {{.*}} -> tensor<1x1x1x8x4xf32>
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %{{.*}}[0, %[[H]], %[[C]], 0, 0] [1, 1, 1, 8, 4]
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 2)
// CHECK:   retention.chunk_scan {{.*}} length %[[T]] {chunk_size = 32 : i64} : tensor<1x1x4x4x4xf32>, tensor<1xf64> -> tensor<1x1x4x4x4xf32>, tensor<1x1x4x4xf32>
// CHECK: scf.forall (%{{.*}}, %[[C2:.*]]) in (2, 4)
// CHECK:   %[[START2:.*]] = affine.apply #{{.*}}()[%[[C2]]]
// CHECK:   %[[POS:.*]] = arith.addi %[[P]], %[[START2]]
// CHECK:   retention.chunk_outputs {{.*}} offset %[[POS]] {chunk_size = 32 : i64}
func.func @tile_pieces(%k: tensor<1x2x100x8xf32>, %v: tensor<1x2x100x4xf32>, %t: index, %p: index) -> tensor<1x2x100x4xf32> {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 32} : tensor<1x2x100x8xf32>, tensor<1x2x100x4xf32>, tensor<2xf64> -> tensor<1x2x4x8x4xf32>
  %starts, %final = retention.chunk_scan %d gamma %gamma length %t {chunk_size = 32} : tensor<1x2x4x8x4xf32>, tensor<2xf64> -> tensor<1x2x4x8x4xf32>, tensor<1x2x8x4xf32>
  %o = retention.chunk_outputs %k, %k, %v, %starts gamma %gamma offset %p {chunk_size = 32} : tensor<1x2x100x8xf32>, tensor<1x2x100x8xf32>, tensor<1x2x100x4xf32>, tensor<1x2x4x8x4xf32>, tensor<2xf64> -> tensor<1x2x100x4xf32>
  return %o : tensor<1x2x100x4xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %states = transform.structured.match ops{["retention.chunk_states"]} in %root : (!transform.any_op) -> !transform.any_op
    %scan = transform.structured.match ops{["retention.chunk_scan"]} in %root : (!transform.any_op) -> !transform.any_op
    %outputs = transform.structured.match ops{["retention.chunk_outputs"]} in %root : (!transform.any_op) -> !transform.any_op
    %t1, %l1 = transform.structured.tile_using_forall %states tile_sizes [1, 1, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %t2, %l2 = transform.structured.tile_using_forall %scan tile_sizes [1, 1, 4, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %t3, %l3 = transform.structured.tile_using_forall %outputs tile_sizes [1, 1, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The third dimension of the domain is the value columns: a tile of 8 of
// the 16 columns of one head reads all of that head's q and k, its 8
// columns of v and of the initial state, and writes its columns of the
// output and of the final state; the producer of v (fused) computes only
// those columns; the tile decomposes on [T, 8] values.
// CHECK-LABEL: func @tile_value_columns
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x?x4xf32>, %[[X:.*]]: tensor<1x2x?x16xf32>, %[[S:.*]]: tensor<1x2x4x16xf32>)
// CHECK: scf.forall (%[[H:.*]], %[[CT:.*]]) in (2, 2) shared_outs(%[[OUT:.*]] = %{{.*}}, %[[FINAL:.*]] = %{{.*}}) -> (tensor<1x2x?x16xf32>, tensor<1x2x4x16xf32>)
// CHECK:   %[[C:.*]] = affine.apply #{{.*}}(%[[CT]])
// CHECK:   %[[QT:.*]] = tensor.extract_slice %[[Q]][0, %[[H]], 0, 0] [1, 1, %{{.*}}, 4] [1, 1, 1, 1] : tensor<1x2x?x4xf32> to tensor<1x1x?x4xf32>
// CHECK:   tensor.extract_slice %[[X]][0, %[[H]], 0, %[[C]]] [1, 1, %{{.*}}, 8] [1, 1, 1, 1] : tensor<1x2x?x16xf32> to tensor<1x1x?x8xf32>
// CHECK:   %[[VT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x?x8xf32>)
// CHECK:   %[[ST:.*]] = tensor.extract_slice %[[S]][0, %[[H]], 0, %[[C]]] [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x2x4x16xf32> to tensor<1x1x4x8xf32>
// CHECK:   retention.recurrent %[[QT]], %[[QT]], %[[VT]] gamma %{{.*}} state %[[ST]] : tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x8xf32>, tensor<1xf64>, tensor<1x1x4x8xf32> -> tensor<1x1x?x8xf32>, tensor<1x1x4x8xf32>
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[H]], 0, %[[C]]] [1, 1, %{{.*}}, 8] [1, 1, 1, 1]
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[FINAL]][0, %[[H]], 0, %[[C]]] [1, 1, 4, 8] [1, 1, 1, 1]
func.func @tile_value_columns(%q: tensor<1x2x?x4xf32>, %x: tensor<1x2x?x16xf32>, %s0: tensor<1x2x4x16xf32>) -> (tensor<1x2x?x16xf32>, tensor<1x2x4x16xf32>) {
  %c2 = arith.constant 2 : index
  %t = tensor.dim %x, %c2 : tensor<1x2x?x16xf32>
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %empty = tensor.empty(%t) : tensor<1x2x?x16xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(b, h, t, d) -> (b, h, t, d)>, affine_map<(b, h, t, d) -> (b, h, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x2x?x16xf32>) outs(%empty : tensor<1x2x?x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %twice = arith.addf %in, %in : f32
    linalg.yield %twice : f32
  } -> tensor<1x2x?x16xf32>
  %o, %s = retention.recurrent %q, %q, %v gamma %gamma state %s0 : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x16xf32>, tensor<2xf64>, tensor<1x2x4x16xf32> -> tensor<1x2x?x16xf32>, tensor<1x2x4x16xf32>
  return %o, %s : tensor<1x2x?x16xf32>, tensor<1x2x4x16xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %retention = transform.structured.match ops{["retention.recurrent"]} in %root : (!transform.any_op) -> !transform.any_op
    %producer = transform.structured.match ops{["linalg.generic"]} in %root : (!transform.any_op) -> !transform.any_op
    %tile, %loop = transform.structured.tile_using_forall %retention tile_sizes [1, 1, 8] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %fused, %loop2 = transform.structured.fuse_into_containing_op %producer into %loop : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
