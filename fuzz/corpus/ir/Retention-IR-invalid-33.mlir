func.func @chunk_states_count(%k: tensor<1x1x100x8xf32>, %v: tensor<1x1x100x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 32} : tensor<1x1x100x8xf32>, tensor<1x1x100x4xf32>, tensor<1xf64> -> tensor<1x1x3x8x4xf32>
  return
}
