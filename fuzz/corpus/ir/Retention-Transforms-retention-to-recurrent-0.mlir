func.func @from_parallel(%q: tensor<?x2x?x8xbf16>, %s0: tensor<?x2x8x8xf32>) -> (tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>) {
  %gamma = arith.constant dense<[0.25, 0.75]> : tensor<2xf64>
  %o, %s = retention.parallel %q, %q, %q gamma %gamma state %s0 : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64>, tensor<?x2x8x8xf32> -> tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>
  return %o, %s : tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>
}
