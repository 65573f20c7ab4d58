func.func @msr_row_offsets(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %gamma: tensor<2xf64>, %s0: tensor<?x2x32x64xf32>, %rows: tensor<?xi64>) -> (tensor<?x?x64xf32>, tensor<?x2x32x64xf32>) {
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 row_offsets %rows : tensor<?xi64> {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
  return %y, %s : tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
}
