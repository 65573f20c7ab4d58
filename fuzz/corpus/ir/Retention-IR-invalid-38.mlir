func.func @chunk_outputs_chunk_size(%q: tensor<1x1x20x8xf32>, %v: tensor<1x1x20x4xf32>, %starts: tensor<1x1x3x8x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunk_outputs %q, %q, %v, %starts gamma %gamma {chunk_size = 0} : tensor<1x1x20x8xf32>, tensor<1x1x20x8xf32>, tensor<1x1x20x4xf32>, tensor<1x1x3x8x4xf32>, tensor<1xf64> -> tensor<1x1x20x4xf32>
  return
}
