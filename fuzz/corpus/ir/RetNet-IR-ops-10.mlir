func.func @msr_row_offsets(%x: tensor<?x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %s0: tensor<?x1x8x8xf32>, %rows: tensor<?xi64>) -> (tensor<?x1x8xf32>, tensor<?x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 row_offsets %rows : tensor<?xi64> {eps = 0.0 : f64} : tensor<?x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>, tensor<?x1x8x8xf32> -> tensor<?x1x8xf32>, tensor<?x1x8x8xf32>
  return %y, %s : tensor<?x1x8xf32>, tensor<?x1x8x8xf32>
}
