func.func @already_parallel(%q: tensor<1x1x8x4xf64>, %p: index) -> tensor<1x1x8x4xf64> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %q, %q gamma %gamma offset %p : tensor<1x1x8x4xf64>, tensor<1x1x8x4xf64>, tensor<1x1x8x4xf64>, tensor<1xf64> -> tensor<1x1x8x4xf64>
  return %o : tensor<1x1x8x4xf64>
}
