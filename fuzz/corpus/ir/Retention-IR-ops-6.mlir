func.func @recurrent_offset_only(%q: tensor<1x1x1x8xf32>, %k: tensor<1x1x1x8xf32>, %v: tensor<1x1x1x8xf32>, %p: index) -> tensor<1x1x1x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1xf64> -> tensor<1x1x1x8xf32>
  return %o : tensor<1x1x1x8xf32>
}
