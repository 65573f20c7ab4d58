func.func @embedding_result_batch(%tokens: tensor<2x?xi32>, %table: tensor<100x64xf32>) {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x?xi32>, tensor<100x64xf32> -> tensor<4x?x64xf32>
  return
}
