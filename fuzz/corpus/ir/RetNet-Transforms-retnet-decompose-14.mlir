func.func @ffn_gelu(%x: tensor<2x3x8xf32>, %w1: tensor<8x12xf32>, %b1: tensor<12xf32>, %w2: tensor<12x8xf32>, %b2: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<gelu>} : tensor<2x3x8xf32>, tensor<8x12xf32>, tensor<12xf32>, tensor<12x8xf32>, tensor<8xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}
