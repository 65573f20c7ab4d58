// RUN: retnet-opt %s -convert-retention-to-gpu -split-input-file -verify-diagnostics

// A chunk_outputs op whose [C, C] scores tile does not fit a block's
// workgroup memory is an error (chunkwise ops are re-chunked instead).
func.func @piece_too_large(%q: tensor<1x1x256x8xf32>, %starts: tensor<1x1x1x8x8xf32>) -> tensor<1x1x256x8xf32> {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  // expected-error @+1 {{'retention.chunk_outputs' op chunk_size 256 needs more than the 49152 bytes of workgroup memory of a block}}
  %o = retention.chunk_outputs %q, %q, %q, %starts gamma %gamma {chunk_size = 256} : tensor<1x1x256x8xf32>, tensor<1x1x256x8xf32>, tensor<1x1x256x8xf32>, tensor<1x1x1x8x8xf32>, tensor<1xf64> -> tensor<1x1x256x8xf32>
  return %o : tensor<1x1x256x8xf32>
}
