func.func @final_state_element(%q: tensor<1x1x8x16xbf16>, %k: tensor<1x1x8x16xbf16>, %v: tensor<1x1x8x16xbf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xbf16>, tensor<1x1x8x16xbf16>, tensor<1x1x8x16xbf16>, tensor<1xf64> -> tensor<1x1x8x16xbf16>, tensor<1x1x16x16xbf16>
  return
}
