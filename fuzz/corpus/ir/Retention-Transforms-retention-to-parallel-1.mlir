func.func @from_chunkwise(%q: tensor<1x1x8x4xf16>) -> tensor<1x1x8x4xf16> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 4} : tensor<1x1x8x4xf16>, tensor<1x1x8x4xf16>, tensor<1x1x8x4xf16>, tensor<1xf64> -> tensor<1x1x8x4xf16>
  return %o : tensor<1x1x8x4xf16>
}
