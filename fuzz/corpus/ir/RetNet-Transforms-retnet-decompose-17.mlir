func.func @embedding_int8(%tokens: tensor<?x?xi32>, %q: tensor<100x64xi8>, %s: tensor<100xf32>) -> tensor<?x?x64xf32> {
  %table = retnet.dequantize %q, %s {axis = 0 : i64} : tensor<100x64xi8>, tensor<100xf32> -> tensor<100x64xf32>
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  return %h : tensor<?x?x64xf32>
}
