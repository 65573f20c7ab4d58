func.func @linear_rank(%x: tensor<6x64xf32>, %w: tensor<64x256xf32>) {
  %y = retnet.linear %x, %w : tensor<6x64xf32>, tensor<64x256xf32> -> tensor<6x256xf32>
  return
}
