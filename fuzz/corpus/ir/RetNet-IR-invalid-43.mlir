func.func @embedding_token_type(%tokens: tensor<2x3xi64>, %table: tensor<100x64xf32>) {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi64>, tensor<100x64xf32> -> tensor<2x3x64xf32>
  return
}
