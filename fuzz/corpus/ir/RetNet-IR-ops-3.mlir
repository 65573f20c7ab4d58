func.func @rms_norm_no_weight(%x: tensor<1x4x32xf32>) -> tensor<1x4x32xf32> {
  %y = retnet.rms_norm %x {eps = 0.0 : f64} : tensor<1x4x32xf32>
  return %y : tensor<1x4x32xf32>
}
