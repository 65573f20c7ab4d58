func.func @element_f64(%q: tensor<2x1x?x8xf64>, %k: tensor<2x1x?x8xf64>, %v: tensor<2x1x?x8xf64>, %s0: tensor<2x1x8x8xf64>) -> (tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 {chunk_size = 4} : tensor<2x1x?x8xf64>, tensor<2x1x?x8xf64>, tensor<2x1x?x8xf64>, tensor<1xf64>, tensor<2x1x8x8xf64> -> tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>
  return %o, %s : tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>
}
