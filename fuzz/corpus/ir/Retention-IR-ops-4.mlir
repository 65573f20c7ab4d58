func.func @parallel_state_offset_final(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x32xf32>, %s0: tensor<1x2x16x32xf32>, %p: index) -> (tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o, %s = retention.parallel %q, %k, %v gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>, tensor<2xf64>, tensor<1x2x16x32xf32> -> tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
  return %o, %s : tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
}
