func.func @gamma_negative(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[-0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 8} : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}
