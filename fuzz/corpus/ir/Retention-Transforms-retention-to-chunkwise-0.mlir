func.func @from_parallel(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %p: index) -> tensor<1x2x?x4xf32> {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<2xf64> -> tensor<1x2x?x4xf32>
  return %o : tensor<1x2x?x4xf32>
}
