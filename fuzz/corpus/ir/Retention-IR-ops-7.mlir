func.func @chunkwise_final_state_only(%q: tensor<?x1x?x8xf32>, %k: tensor<?x1x?x8xf32>, %v: tensor<?x1x?x4xf32>) -> (tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 32} : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x4xf32>, tensor<1xf64> -> tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>
  return %o, %s : tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>
}
