func.func @ffn_relu(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<relu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
