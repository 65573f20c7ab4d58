func.func @chunkwise_chunk_size(%q: tensor<1x1x100x16xf32>, %k: tensor<1x1x100x16xf32>, %v: tensor<1x1x100x32xf32>) -> tensor<1x1x100x32xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 16} : tensor<1x1x100x16xf32>, tensor<1x1x100x16xf32>, tensor<1x1x100x32xf32>, tensor<1xf64> -> tensor<1x1x100x32xf32>
  return %o : tensor<1x1x100x32xf32>
}
