func.func @embedding_unscaled(%tokens: tensor<1x4xi32>, %table: tensor<100x64xf32>) -> tensor<1x4x64xf32> {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<1x4xi32>, tensor<100x64xf32> -> tensor<1x4x64xf32>
  return %h : tensor<1x4x64xf32>
}
