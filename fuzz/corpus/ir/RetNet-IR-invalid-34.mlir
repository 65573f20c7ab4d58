func.func @ffn_norm_without_eps(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<96xf32>, %lb: tensor<96xf32>) {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<?x?x64xf32>
  return
}
