func.func @linear_dynamic_weight(%x: tensor<?x?x64xf32>, %w: tensor<64x?xf32>) {
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x?xf32> -> tensor<?x?x?xf32>
  return
}
