func.func @msr_final_state_only(%x: tensor<?x?x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma {eps = 0.0 : f64} : tensor<?x?x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<?x?x8xf32>, tensor<?x1x8x8xf32>
  return %y, %s : tensor<?x?x8xf32>, tensor<?x1x8x8xf32>
}
