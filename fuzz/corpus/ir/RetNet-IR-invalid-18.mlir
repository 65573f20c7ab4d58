func.func @msr_dynamic_in_proj(%x: tensor<?x?x64xf32>, %win: tensor<64x?xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x?xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}
