func.func @linear_result_width(%x: tensor<2x?x64xf32>, %w: tensor<64x256xf32>) {
  %y = retnet.linear %x, %w : tensor<2x?x64xf32>, tensor<64x256xf32> -> tensor<2x?x64xf32>
  return
}
