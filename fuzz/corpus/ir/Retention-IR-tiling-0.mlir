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
