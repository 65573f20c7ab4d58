func.func @unused_final_state(%q: tensor<1x1x1x8xf32>, %s0: tensor<1x1x8x8xf32>, %p: index) -> tensor<1x1x1x8xf32> {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  %o, %s = retention.recurrent %q, %q, %q gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x1x8xf32>, tensor<1x1x8x8xf32>
  return %o : tensor<1x1x1x8xf32>
}
