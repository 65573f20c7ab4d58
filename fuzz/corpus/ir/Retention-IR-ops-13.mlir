func.func @mixed_static_dynamic(%q: tensor<?x4x?x8xf32>, %k: tensor<2x4x16x8xf32>, %v: tensor<2x4x?x8xf32>) -> tensor<2x4x16x8xf32> {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<?x4x?x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x?x8xf32>, tensor<4xf64> -> tensor<2x4x16x8xf32>
  return %o : tensor<2x4x16x8xf32>
}
