func.func @gamma_one(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  %gamma = arith.constant dense<[1.0, 0.5]> : tensor<2xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2xf64> -> tensor<1x2x8x16xf32>
  return
}
