func.func @embedding_dynamic_table(%tokens: tensor<2x3xi32>, %table: tensor<?x64xf32>) {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi32>, tensor<?x64xf32> -> tensor<2x3x64xf32>
  return
}
