func.func @linear_static(%x: tensor<2x3x64xf32>, %w: tensor<64x32xf32>) -> tensor<2x3x32xf32> {
  %y = retnet.linear %x, %w : tensor<2x3x64xf32>, tensor<64x32xf32> -> tensor<2x3x32xf32>
  return %y : tensor<2x3x32xf32>
}
