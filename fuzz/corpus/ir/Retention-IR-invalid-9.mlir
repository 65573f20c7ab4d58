func.func @value_batch(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<3x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<3x1x8x16xf32>, tensor<1xf64> -> tensor<2x1x8x16xf32>
  return
}
