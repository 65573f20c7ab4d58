func.func @state_batch(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x1x8x16xf32>, %s0: tensor<1x1x16x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %k, %v gamma %gamma state %s0 {chunk_size = 8} : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<1xf64>, tensor<1x1x16x16xf32> -> tensor<2x1x8x16xf32>
  return
}
