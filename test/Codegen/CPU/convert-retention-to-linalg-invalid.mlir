// RUN: retnet-opt %s -convert-retention-to-linalg -split-input-file -verify-diagnostics

// The CPU code keeps a block's [C, C] decay mask as a static tensor: chunk
// sizes beyond 4096 are an error, not an allocation of C^2 floats.
func.func @huge_chunk(%q: tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32> {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  // expected-error @+1 {{'retention.chunkwise' op chunk_size 1073741824 is more than the 4096 tokens a block of the CPU code can have}}
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 1073741824} : tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1xf64> -> tensor<1x1x?x8xf32>
  return %o : tensor<1x1x?x8xf32>
}
