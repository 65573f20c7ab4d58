func.func @linear_int8(%x: tensor<?x?x64xf32>, %q: tensor<64x256xi8>, %s: tensor<256xf32>) -> tensor<?x?x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}
