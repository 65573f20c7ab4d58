func.func @dequantize_axis(%q: tensor<64x256xi8>, %s: tensor<256xf32>) {
  %w = retnet.dequantize %q, %s {axis = 2 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  return
}
