func.func @gamma_argument(%q: tensor<1x3x?x8xf32>, %gamma: tensor<3xf64>) -> tensor<1x3x?x8xf32> {
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 8} : tensor<1x3x?x8xf32>, tensor<1x3x?x8xf32>, tensor<1x3x?x8xf32>, tensor<3xf64> -> tensor<1x3x?x8xf32>
  return %o : tensor<1x3x?x8xf32>
}
