func.func @msr_state_offset_final(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %s0: tensor<?x2x32x64xf32>, %pos: index) -> (tensor<?x?x64xf32>, tensor<?x2x32x64xf32>) {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 offset %pos {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
  return %y, %s : tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
}
