func.func @glu_result_shape(%x: tensor<?x5x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x5x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x4x64xf32>
  return
}
