func.func @glu_gelu(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
