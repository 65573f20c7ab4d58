func.func @dequantize_scales_per_column(%q: tensor<64x256xi8>, %s: tensor<64xf32>) {
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi8>, tensor<64xf32> -> tensor<64x256xf32>
  return
}
