func.func @chunk_size_missing(%q: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}
