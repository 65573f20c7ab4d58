func.func @dequantize_group_scales(%q: tensor<64x256xi8>, %s: tensor<256xf32>) {
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 32 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  return
}
