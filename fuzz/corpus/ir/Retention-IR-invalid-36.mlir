func.func @chunk_scan_gamma(%d: tensor<1x2x?x8x4xf32>, %t: index) {
  %gamma = arith.constant dense<[0.5, 1.5]> : tensor<2xf64>
  %s, %f = retention.chunk_scan %d gamma %gamma length %t {chunk_size = 16} : tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>, tensor<1x2x8x4xf32>
  return
}
