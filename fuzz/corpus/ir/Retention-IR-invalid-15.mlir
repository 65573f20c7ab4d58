func.func @state_element_narrow(%q: tensor<1x1x8x16xf16>, %k: tensor<1x1x8x16xf16>, %v: tensor<1x1x8x16xf16>, %s0: tensor<1x1x16x16xf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1xf64>, tensor<1x1x16x16xf16> -> tensor<1x1x8x16xf16>
  return
}
