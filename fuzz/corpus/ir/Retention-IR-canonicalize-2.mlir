func.func @kept(%q: tensor<1x1x4x8xf32>) -> (tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  %one = arith.constant dense<1.0> : tensor<1x1x8x8xf32>
  %c3 = arith.constant 3 : index
  %o, %s = retention.parallel %q, %q, %q gamma %gamma state %one offset %c3 : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>
}
