func.func @gamma_count(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7]> : tensor<3xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<3xf64> -> tensor<1x4x8x16xf32>
  return
}
