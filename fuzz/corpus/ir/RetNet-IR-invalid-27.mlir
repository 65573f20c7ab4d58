func.func @msr_state_shape(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %s0: tensor<?x2x64x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %y = retnet.msr %x, %win, %wout, %gamma state %s0 {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x64x32xf32> -> tensor<?x?x64xf32>
  return
}
