func.func @embedding_result_width(%tokens: tensor<2x3xi32>, %table: tensor<100x64xf32>) {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi32>, tensor<100x64xf32> -> tensor<2x3x32xf32>
  return
}
