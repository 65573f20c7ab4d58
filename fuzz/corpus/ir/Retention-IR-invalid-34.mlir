func.func @chunk_states_element(%k: tensor<1x1x16x8xbf16>, %v: tensor<1x1x16x4xbf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 16} : tensor<1x1x16x8xbf16>, tensor<1x1x16x4xbf16>, tensor<1xf64> -> tensor<1x1x1x8x4xbf16>
  return
}
