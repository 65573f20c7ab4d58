func.func @msr_state_only(%x: tensor<1x3x8xf32>, %win: tensor<8x48xf32>, %wout: tensor<16x8xf32>, %s0: tensor<1x4x2x4xf32>) -> tensor<1x3x8xf32> {
  %y = retnet.msr %x, %win, %wout state %s0 {gamma = array<f64: 0.5, 0.75, 0.875, 0.9375>, eps = 0.0 : f64} : tensor<1x3x8xf32>, tensor<8x48xf32>, tensor<16x8xf32>, tensor<1x4x2x4xf32> -> tensor<1x3x8xf32>
  return %y : tensor<1x3x8xf32>
}
