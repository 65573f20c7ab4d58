func.func @dequantize_groups(%q: tensor<64x256xi8>, %s: tensor<2x256xf32>, %e: tensor<100x64xi8>, %t: tensor<100x4xf32>) -> (tensor<64x256xf32>, tensor<100x64xf32>) {
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 32 : i64} : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
  %table = retnet.dequantize %e, %t {axis = 0 : i64, group = 16 : i64} : tensor<100x64xi8>, tensor<100x4xf32> -> tensor<100x64xf32>
  return %w, %table : tensor<64x256xf32>, tensor<100x64xf32>
}
