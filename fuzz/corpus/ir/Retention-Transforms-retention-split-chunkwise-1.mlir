func.func @dynamic(%q: tensor<?x2x?x8xbf16>) -> (tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 64} : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64> -> tensor<?x2x?x8xbf16>
  %p = retention.parallel %q, %q, %q gamma %gamma : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64> -> tensor<?x2x?x8xbf16>
  return %o, %p : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>
}
