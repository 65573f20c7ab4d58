func.func @decode(%q: tensor<4x8x1x64xf32>, %s0: tensor<4x8x64x64xf32>, %p: index) -> (tensor<4x8x1x64xf32>, tensor<4x8x64x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]> : tensor<8xf64>
  %o, %s = retention.chunkwise %q, %q, %q gamma %gamma state %s0 offset %p {chunk_size = 64} : tensor<4x8x1x64xf32>, tensor<4x8x1x64xf32>, tensor<4x8x1x64xf32>, tensor<8xf64>, tensor<4x8x64x64xf32> -> tensor<4x8x1x64xf32>, tensor<4x8x64x64xf32>
  return %o, %s : tensor<4x8x1x64xf32>, tensor<4x8x64x64xf32>
}

func.func @short(%q: tensor<1x1x64x16xf32>) -> tensor<1x1x64x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma : tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1xf64> -> tensor<1x1x64x16xf32>
  return %o : tensor<1x1x64x16xf32>
}

func.func @medium(%q: tensor<1x1x200x16xf32>) -> tensor<1x1x200x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma : tensor<1x1x200x16xf32>, tensor<1x1x200x16xf32>, tensor<1x1x200x16xf32>, tensor<1xf64> -> tensor<1x1x200x16xf32>
  return %o : tensor<1x1x200x16xf32>
}

func.func @dynamic(%q: tensor<1x1x?x16xf32>) -> tensor<1x1x?x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %q, %q gamma %gamma : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1xf64> -> tensor<1x1x?x16xf32>
  return %o : tensor<1x1x?x16xf32>
}
