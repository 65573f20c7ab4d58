func.func @from_recurrent(%q: tensor<2x4x?x16xf32>, %k: tensor<2x4x?x16xf32>, %v: tensor<2x4x?x32xf32>, %s0: tensor<2x4x16x32xf32>, %p: index) -> (tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf64>
  %o, %s = retention.recurrent %q, %k, %v gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x32xf32>, tensor<4xf64>, tensor<2x4x16x32xf32> -> tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>
  return %o, %s : tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>
}
