func.func @msr_row_offsets_batch(%x: tensor<2x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %rows: tensor<3xi64>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y = retnet.msr %x, %win, %wout, %gamma row_offsets %rows : tensor<3xi64> {eps = 0.0 : f64} : tensor<2x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<2x1x8xf32>
  return
}
