func.func @scaling_none_elided(%q: tensor<1x1x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>) -> tensor<1x1x4x2xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma {scaling = #retention.scaling<none>} : tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32>, tensor<1xf64> -> tensor<1x1x4x2xf32>
  return %o : tensor<1x1x4x2xf32>
}
