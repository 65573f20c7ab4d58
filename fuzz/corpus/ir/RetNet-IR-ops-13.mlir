func.func @glu_swish(%x: tensor<3x2x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) -> tensor<3x2x64xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<swish>} : tensor<3x2x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<3x2x64xf32>
  return %y : tensor<3x2x64xf32>
}
