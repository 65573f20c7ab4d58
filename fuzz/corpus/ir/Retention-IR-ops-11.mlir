func.func @element_bf16(%q: tensor<1x1x1x8xbf16>, %k: tensor<1x1x1x8xbf16>, %v: tensor<1x1x1x8xbf16>, %s0: tensor<1x1x8x8xf32>) -> (tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x1x8xbf16>, tensor<1x1x1x8xbf16>, tensor<1x1x1x8xbf16>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>
}
