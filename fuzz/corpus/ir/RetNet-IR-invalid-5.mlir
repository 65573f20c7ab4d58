func.func @rms_norm_weight_width(%x: tensor<?x?x64xf32>, %w: tensor<32xf32>) {
  %y = retnet.rms_norm %x weight %w {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<32xf32>
  return
}
