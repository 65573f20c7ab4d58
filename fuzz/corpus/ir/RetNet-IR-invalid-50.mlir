func.func @dequantize_group_divides(%q: tensor<64x256xi8>, %s: tensor<2x256xf32>) {
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 48 : i64} : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
  return
}
