func.func @recurrent_state_only(%q: tensor<3x1x1x8xf32>, %k: tensor<3x1x1x8xf32>, %v: tensor<3x1x1x8xf32>, %s0: tensor<3x1x8x8xf32>) -> tensor<3x1x1x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<1xf64>, tensor<3x1x8x8xf32> -> tensor<3x1x1x8xf32>
  return %o : tensor<3x1x1x8xf32>
}
