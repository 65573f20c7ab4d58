func.func @chunk_pieces(%q: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %s0: tensor<1x2x8x4xf32>, %t: index, %p: index) -> (tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %d = retention.chunk_states %q, %v gamma %gamma {chunk_size = 16} : tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>
  %starts, %final = retention.chunk_scan %d gamma %gamma state %s0 length %t {chunk_size = 16} : tensor<1x2x?x8x4xf32>, tensor<2xf64>, tensor<1x2x8x4xf32> -> tensor<1x2x?x8x4xf32>, tensor<1x2x8x4xf32>
  %o = retention.chunk_outputs %q, %q, %v, %starts gamma %gamma offset %p {chunk_size = 16, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x4xf32>
  return %o, %final : tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>
}
