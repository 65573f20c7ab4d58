func.func @dequantize_result(%q: tensor<64x256xi8>, %s: tensor<64xf32>) {
  %w = retnet.dequantize %q, %s {axis = 0 : i64} : tensor<64x256xi8>, tensor<64xf32> -> tensor<256x64xf32>
  return
}
