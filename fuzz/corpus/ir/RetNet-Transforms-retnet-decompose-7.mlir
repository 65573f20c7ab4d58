func.func @residual_plain(%h: tensor<1x2x8xf32>, %f: tensor<1x2x8xf32>) -> tensor<1x2x8xf32> {
  %y = retnet.residual %h, %f {alpha = 1.0 : f64} : tensor<1x2x8xf32>
  return %y : tensor<1x2x8xf32>
}
