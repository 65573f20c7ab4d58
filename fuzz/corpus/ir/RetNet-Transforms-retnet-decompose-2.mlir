func.func @embedding(%tokens: tensor<?x?xi32>, %table: tensor<100x64xf32>) -> tensor<?x?x64xf32> {
  %h = retnet.embedding %tokens, %table {scale = 8.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  return %h : tensor<?x?x64xf32>
}
