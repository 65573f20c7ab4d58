func.func @zero_heads(%q: tensor<1x0x8x16xf32>, %k: tensor<1x0x8x16xf32>, %v: tensor<1x0x8x16xf32>) {
  %gamma = arith.constant dense<[]> : tensor<0xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x0x8x16xf32>, tensor<1x0x8x16xf32>, tensor<1x0x8x16xf32>, tensor<0xf64> -> tensor<1x0x8x16xf32>
  return
}
