func.func @dequantize_groups_returned(%q: tensor<64x256xi8>, %s: tensor<64x16xf32>) -> tensor<64x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 0 : i64, group = 16 : i64} : tensor<64x256xi8>, tensor<64x16xf32> -> tensor<64x256xf32>
  return %w : tensor<64x256xf32>
}
