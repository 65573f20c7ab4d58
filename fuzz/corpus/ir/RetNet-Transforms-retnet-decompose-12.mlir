func.func @glu_swish(%x: tensor<2x3x8xf32>, %up: tensor<8x32xf32>, %down: tensor<16x8xf32>) -> tensor<2x3x8xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<swish>} : tensor<2x3x8xf32>, tensor<8x32xf32>, tensor<16x8xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}
