func.func @embedding_zero_scale(%tokens: tensor<2x3xi32>, %table: tensor<100x64xf32>) {
  %h = retnet.embedding %tokens, %table {scale = 0.0 : f64} : tensor<2x3xi32>, tensor<100x64xf32> -> tensor<2x3x64xf32>
  return
}
