func.func @recurrent_plain(%q: tensor<2x2x1x8xf32>, %k: tensor<2x2x1x8xf32>, %v: tensor<2x2x1x4xf32>) -> tensor<2x2x1x4xf32> {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>, tensor<2x2x1x4xf32>, tensor<2xf64> -> tensor<2x2x1x4xf32>
  return %o : tensor<2x2x1x4xf32>
}
