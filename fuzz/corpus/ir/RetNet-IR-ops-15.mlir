func.func @ffn_norm(%x: tensor<3x2x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<96xf32>, %lb: tensor<96xf32>) -> tensor<3x2x64xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<gelu>, eps = 1.0e-5 : f64} : tensor<3x2x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<3x2x64xf32>
  return %y : tensor<3x2x64xf32>
}
