func.func @split(%q: tensor<2x4x100x16xf32>, %k: tensor<2x4x100x16xf32>, %v: tensor<2x4x100x32xf32>, %s0: tensor<2x4x16x32xf32>, %p: index) -> (tensor<2x4x100x32xf32>, tensor<2x4x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 offset %p {chunk_size = 32, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<2x4x100x16xf32>, tensor<2x4x100x16xf32>, tensor<2x4x100x32xf32>, tensor<4xf64>, tensor<2x4x16x32xf32> -> tensor<2x4x100x32xf32>, tensor<2x4x16x32xf32>
  return %o, %s : tensor<2x4x100x32xf32>, tensor<2x4x16x32xf32>
}
