func.func @residual_types_differ(%h: tensor<?x?x64xf32>, %f: tensor<?x?x32xf32>) {
  %y = "retnet.residual"(%h, %f) <{alpha = 1.0 : f64}> : (tensor<?x?x64xf32>, tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  return
}
