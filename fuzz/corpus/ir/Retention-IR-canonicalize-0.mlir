func.func @zero_state_and_offset(%q: tensor<2x2x?x8xf32>) -> (tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %zero = arith.constant dense<0.0> : tensor<2x2x8x8xf32>
  %c0 = arith.constant 0 : index
  %o, %s = retention.chunkwise %q, %q, %q gamma %gamma state %zero offset %c0 {chunk_size = 16} : tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2xf64>, tensor<2x2x8x8xf32> -> tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>
}
