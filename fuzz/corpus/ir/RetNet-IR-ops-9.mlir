func.func @msr_offset_only(%x: tensor<1x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %pos: index) -> tensor<1x1x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y = retnet.msr %x, %win, %wout, %gamma offset %pos {eps = 0.0 : f64} : tensor<1x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<1x1x8xf32>
  return %y : tensor<1x1x8xf32>
}
