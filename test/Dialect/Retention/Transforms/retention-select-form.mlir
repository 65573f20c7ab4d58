// RUN: retnet-opt %s -retention-select-form | FileCheck %s --check-prefix=CPU
// RUN: retnet-opt %s -retention-select-form=target=cuda | FileCheck %s --check-prefix=CUDA
// RUN: retnet-opt %s -retention-select-form="parallel-max-length=512 chunk-size=32" | FileCheck %s --check-prefix=TUNED
// RUN: retnet-opt %s -retention-select-form="recurrent-max-length=8" | FileCheck %s --check-prefix=LONGER
// RUN: not retnet-opt %s -retention-select-form=target=tpu 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: retention-select-form: unknown target 'tpu' (expected cpu or cuda)

// One token: the recurrent form, on every target.
// CPU-LABEL: func @decode
// CPU: retention.recurrent
// CUDA-LABEL: func @decode
// CUDA: retention.recurrent
func.func @decode(%q: tensor<4x8x1x64xf32>, %s0: tensor<4x8x64x64xf32>, %p: index) -> (tensor<4x8x1x64xf32>, tensor<4x8x64x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]> : tensor<8xf64>
  %o, %s = retention.chunkwise %q, %q, %q gamma %gamma state %s0 offset %p {chunk_size = 64} : tensor<4x8x1x64xf32>, tensor<4x8x1x64xf32>, tensor<4x8x1x64xf32>, tensor<8xf64>, tensor<4x8x64x64xf32> -> tensor<4x8x1x64xf32>, tensor<4x8x64x64xf32>
  return %o, %s : tensor<4x8x1x64xf32>, tensor<4x8x64x64xf32>
}

// A few tokens: recurrent up to 4 on the CPU (one pass over the state per
// token beats the parallel block there), parallel on CUDA.
// CPU-LABEL: func @four_tokens
// CPU: retention.recurrent
// CUDA-LABEL: func @four_tokens
// CUDA: retention.parallel
func.func @four_tokens(%q: tensor<2x1x4x16xf32>) -> tensor<2x1x4x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 64} : tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<1xf64> -> tensor<2x1x4x16xf32>
  return %o : tensor<2x1x4x16xf32>
}

// CPU-LABEL: func @five_tokens
// CPU: retention.parallel
// LONGER-LABEL: func @five_tokens
// LONGER: retention.recurrent
func.func @five_tokens(%q: tensor<2x1x5x16xf32>) -> tensor<2x1x5x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 64} : tensor<2x1x5x16xf32>, tensor<2x1x5x16xf32>, tensor<2x1x5x16xf32>, tensor<1xf64> -> tensor<2x1x5x16xf32>
  return %o : tensor<2x1x5x16xf32>
}

// Up to one CPU chunk: parallel. CUDA's threshold is higher.
// CPU-LABEL: func @short
// CPU: retention.parallel
// CUDA-LABEL: func @short
// CUDA: retention.parallel
func.func @short(%q: tensor<1x1x64x16xf32>) -> tensor<1x1x64x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma : tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1xf64> -> tensor<1x1x64x16xf32>
  return %o : tensor<1x1x64x16xf32>
}

// CPU-LABEL: func @medium
// CPU: retention.chunkwise {{.*}}chunk_size = 64 : i64
// CUDA-LABEL: func @medium
// CUDA: retention.parallel
// TUNED-LABEL: func @medium
// TUNED: retention.parallel
func.func @medium(%q: tensor<1x1x200x16xf32>) -> tensor<1x1x200x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma : tensor<1x1x200x16xf32>, tensor<1x1x200x16xf32>, tensor<1x1x200x16xf32>, tensor<1xf64> -> tensor<1x1x200x16xf32>
  return %o : tensor<1x1x200x16xf32>
}

// Dynamic T: chunkwise, which is right for every length.
// CPU-LABEL: func @dynamic
// CPU: retention.chunkwise {{.*}}chunk_size = 64 : i64
// CUDA-LABEL: func @dynamic
// CUDA: retention.chunkwise {{.*}}chunk_size = 64 : i64
// TUNED-LABEL: func @dynamic
// TUNED: retention.chunkwise {{.*}}chunk_size = 32 : i64
func.func @dynamic(%q: tensor<1x1x?x16xf32>) -> tensor<1x1x?x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %q, %q gamma %gamma : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1xf64> -> tensor<1x1x?x16xf32>
  return %o : tensor<1x1x?x16xf32>
}
