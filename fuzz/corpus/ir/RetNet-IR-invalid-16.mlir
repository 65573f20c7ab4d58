func.func @msr_gamma_f32(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %gamma: tensor<2xf32>) {
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf32> -> tensor<?x?x64xf32>
  return
}
