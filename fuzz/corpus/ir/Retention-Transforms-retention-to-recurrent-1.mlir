func.func @from_chunkwise(%q: tensor<1x1x1x4xf32>, %p: index) -> tensor<1x1x1x4xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma offset %p {chunk_size = 4, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf64> -> tensor<1x1x1x4xf32>
  return %o : tensor<1x1x1x4xf32>
}
