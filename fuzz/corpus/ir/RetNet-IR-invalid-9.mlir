func.func @residual_zero_alpha(%h: tensor<?x?x64xf32>, %f: tensor<?x?x64xf32>) {
  %y = retnet.residual %h, %f {alpha = 0.0 : f64} : tensor<?x?x64xf32>
  return
}
