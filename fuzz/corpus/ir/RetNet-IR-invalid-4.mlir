func.func @rms_norm_negative_eps(%x: tensor<?x?x64xf32>) {
  %y = retnet.rms_norm %x {eps = -1.0 : f64} : tensor<?x?x64xf32>
  return
}
