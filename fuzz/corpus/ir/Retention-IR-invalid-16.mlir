func.func @state_element_f64(%q: tensor<1x1x8x16xf64>, %k: tensor<1x1x8x16xf64>, %v: tensor<1x1x8x16xf64>, %s0: tensor<1x1x16x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf64>, tensor<1x1x8x16xf64>, tensor<1x1x8x16xf64>, tensor<1xf64>, tensor<1x1x16x16xf32> -> tensor<1x1x8x16xf64>
  return
}
