func.func @rechunk(%q: tensor<1x1x100x8xf32>) -> (tensor<1x1x100x8xf32>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 32} : tensor<1x1x100x8xf32>, tensor<1x1x100x8xf32>, tensor<1x1x100x8xf32>, tensor<1xf64> -> tensor<1x1x100x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x100x8xf32>, tensor<1x1x8x8xf32>
}
