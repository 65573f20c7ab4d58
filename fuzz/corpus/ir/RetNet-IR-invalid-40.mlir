func.func @glu_up_proj_shape(%x: tensor<?x?x64xf32>, %up: tensor<64x128xf32>, %down: tensor<128x64xf32>) {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<swish>} : tensor<?x?x64xf32>, tensor<64x128xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return
}
