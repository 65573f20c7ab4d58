func.func @dequantize_row_group_scales(%q: tensor<100x64xi8>, %s: tensor<4x64xf32>) {
  %w = retnet.dequantize %q, %s {axis = 0 : i64, group = 16 : i64} : tensor<100x64xi8>, tensor<4x64xf32> -> tensor<100x64xf32>
  return
}
