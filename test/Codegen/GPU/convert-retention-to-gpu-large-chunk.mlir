// RUN: retnet-opt %s -convert-retention-to-gpu | FileCheck %s

// A chunk size whose [C, C] score tile exceeds a block's workgroup memory
// (here 2^30, whose tile size would overflow 64-bit arithmetic) runs as
// chunks of 64, the largest power of two whose tiles fit in f32: its
// blocks take a chunk of 64 tokens each, whose scores come in row tiles
// of 32 x 64.
// CHECK: #[[CHUNKS:.*]] = affine_map<()[s0] -> (s0 ceildiv 64)>
// CHECK-LABEL: func @huge_chunk
// CHECK: affine.apply #[[CHUNKS]]
// CHECK: tensor<32x64xf32>
// CHECK-NOT: 1073741824
func.func @huge_chunk(%q: tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32> {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 1073741824} : tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1xf64> -> tensor<1x1x?x8xf32>
  return %o : tensor<1x1x?x8xf32>
}
