func.func @dequantize_not_int8(%q: tensor<64x256xi16>, %s: tensor<256xf32>) {
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi16>, tensor<256xf32> -> tensor<64x256xf32>
  return
}
