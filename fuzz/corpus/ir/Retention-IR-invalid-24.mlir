func.func @gamma_element(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %gamma: tensor<1xf32>) {
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf32> -> tensor<1x1x8x16xf32>
  return
}
