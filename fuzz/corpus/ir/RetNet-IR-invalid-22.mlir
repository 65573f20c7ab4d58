func.func @msr_value_width_not_divisible(%x: tensor<?x?x64xf32>, %win: tensor<64x388xf32>, %wout: tensor<130x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x388xf32>, tensor<130x64xf32>, tensor<4xf64> -> tensor<?x?x64xf32>
  return
}
