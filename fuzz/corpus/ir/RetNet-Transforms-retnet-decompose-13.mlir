func.func @ffn_norm(%x: tensor<?x?x8xf32>, %w1: tensor<8x12xf32>, %b1: tensor<12xf32>, %w2: tensor<12x8xf32>, %b2: tensor<8xf32>, %lw: tensor<12xf32>, %lb: tensor<12xf32>) -> tensor<?x?x8xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<relu>, eps = 1.0e-5 : f64} : tensor<?x?x8xf32>, tensor<8x12xf32>, tensor<12xf32>, tensor<12x8xf32>, tensor<8xf32>, tensor<12xf32>, tensor<12xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
