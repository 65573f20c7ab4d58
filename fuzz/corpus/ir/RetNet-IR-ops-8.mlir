func.func @msr_state_only(%x: tensor<2x5x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %s0: tensor<2x1x8x8xf32>) -> tensor<2x5x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y = retnet.msr %x, %win, %wout, %gamma state %s0 {eps = 0.0 : f64} : tensor<2x5x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>, tensor<2x1x8x8xf32> -> tensor<2x5x8xf32>
  return %y : tensor<2x5x8xf32>
}
