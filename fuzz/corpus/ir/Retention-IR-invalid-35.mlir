func.func @chunk_scan_final(%d: tensor<1x2x?x8x4xf32>, %t: index) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %s, %f = retention.chunk_scan %d gamma %gamma length %t {chunk_size = 16} : tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>, tensor<1x2x4x8xf32>
  return
}
