func.func @residual_scaled(%h: tensor<?x?x64xf32>, %f: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.residual %h, %f {alpha = 2.0 : f64} : tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
