func.func @v_rank(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}
