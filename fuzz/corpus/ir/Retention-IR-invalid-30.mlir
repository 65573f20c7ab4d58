func.func @state_without_type(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %s0: tensor<1x1x16x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}
