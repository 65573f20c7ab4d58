func.func @chunkwise_all_optional(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x16xf32>, %s0: tensor<?x2x8x16xf32>, %p: index) -> (tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>) {
  %gamma = arith.constant dense<[0.9, 0.99]> : tensor<2xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 offset %p {chunk_size = 128, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32>, tensor<2xf64>, tensor<?x2x8x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>
  return %o, %s : tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>
}
