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
