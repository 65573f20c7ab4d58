func.func @msr_final_state_shape(%x: tensor<1x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<1x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<1x?x64xf32>, tensor<2x2x32x64xf32>
  return
}
