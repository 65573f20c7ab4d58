func.func @from_recurrent(%q: tensor<3x1x?x8xf64>, %s0: tensor<3x1x8x8xf64>) -> tensor<3x1x?x8xf64> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma state %s0 : tensor<3x1x?x8xf64>, tensor<3x1x?x8xf64>, tensor<3x1x?x8xf64>, tensor<1xf64>, tensor<3x1x8x8xf64> -> tensor<3x1x?x8xf64>
  return %o : tensor<3x1x?x8xf64>
}
