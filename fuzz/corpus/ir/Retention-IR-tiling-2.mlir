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
