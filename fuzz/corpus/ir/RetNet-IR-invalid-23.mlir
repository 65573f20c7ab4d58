func.func @msr_odd_key_width(%x: tensor<?x?x12xf32>, %win: tensor<12x40xf32>, %wout: tensor<8x12xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x12xf32>, tensor<12x40xf32>, tensor<8x12xf32>, tensor<4xf64> -> tensor<?x?x12xf32>
  return
}
