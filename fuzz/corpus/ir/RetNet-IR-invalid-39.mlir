func.func @glu_dynamic_down_proj(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<?x64xf32>) {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<?x64xf32> -> tensor<?x?x64xf32>
  return
}
