func.func @msr_state_only(%x: tensor<1x3x8xf32>, %win: tensor<8x48xf32>, %wout: tensor<16x8xf32>, %s0: tensor<1x4x2x4xf32>) -> tensor<1x3x8xf32> {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %y = retnet.msr %x, %win, %wout, %gamma state %s0 {eps = 0.0 : f64} : tensor<1x3x8xf32>, tensor<8x48xf32>, tensor<16x8xf32>, tensor<4xf64>, tensor<1x4x2x4xf32> -> tensor<1x3x8xf32>
  return %y : tensor<1x3x8xf32>
}
