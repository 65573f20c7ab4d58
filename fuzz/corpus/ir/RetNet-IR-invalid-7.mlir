func.func @linear_weight_rows(%x: tensor<?x?x64xf32>, %w: tensor<32x256xf32>) {
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<32x256xf32> -> tensor<?x?x256xf32>
  return
}
