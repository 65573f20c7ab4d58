func.func @block(%tokens: tensor<?x?xi32>, %table: tensor<100x64xf32>, %n1: tensor<64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %n2: tensor<64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>, %head: tensor<64x100xf32>) -> tensor<?x?x100xf32> {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  %a = retnet.rms_norm %h weight %n1 {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %r = retnet.msr %a, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  %h1 = retnet.residual %h, %r {alpha = 1.0 : f64} : tensor<?x?x64xf32>
  %b = retnet.rms_norm %h1 weight %n2 {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  %f = retnet.glu %b, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  %h2 = retnet.residual %h1, %f {alpha = 1.0 : f64} : tensor<?x?x64xf32>
  %logits = retnet.linear %h2, %head : tensor<?x?x64xf32>, tensor<64x100xf32> -> tensor<?x?x100xf32>
  return %logits : tensor<?x?x100xf32>
}
