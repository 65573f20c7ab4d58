// RUN: retnet-opt %s -retention-to-chunkwise -split-input-file | FileCheck %s --check-prefixes=CHECK,DEFAULT
// RUN: retnet-opt %s -retention-to-chunkwise=chunk-size=16 -split-input-file | FileCheck %s --check-prefixes=CHECK,SIXTEEN
// RUN: not retnet-opt %s -retention-to-chunkwise=chunk-size=0 -split-input-file 2>&1 | FileCheck %s --check-prefix=ZERO

// ZERO: retention-to-chunkwise: chunk-size must be positive, got 0

// CHECK-LABEL: func @from_parallel
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x?x8xf32>, %[[K:.*]]: tensor<1x2x?x8xf32>, %[[V:.*]]: tensor<1x2x?x4xf32>, %[[P:.*]]: index)
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf64>
// DEFAULT: %[[O:.*]] = retention.chunkwise %[[Q]], %[[K]], %[[V]] gamma %[[GAMMA]] offset %[[P]] {chunk_size = 64 : i64, scaling = #retention.scaling<decay_sqrt_sum>}
// SIXTEEN: %[[O:.*]] = retention.chunkwise %[[Q]], %[[K]], %[[V]] gamma %[[GAMMA]] offset %[[P]] {chunk_size = 16 : i64, scaling = #retention.scaling<decay_sqrt_sum>}
// CHECK: return %[[O]]
func.func @from_parallel(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %p: index) -> tensor<1x2x?x4xf32> {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<2xf64> -> tensor<1x2x?x4xf32>
  return %o : tensor<1x2x?x4xf32>
}

// -----

// A chunkwise op with another chunk size is rewritten to the requested one.
// CHECK-LABEL: func @rechunk
// DEFAULT: retention.chunkwise {{.*}}chunk_size = 64 : i64
// SIXTEEN: retention.chunkwise {{.*}}chunk_size = 16 : i64
func.func @rechunk(%q: tensor<1x1x100x8xf32>) -> (tensor<1x1x100x8xf32>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 32} : tensor<1x1x100x8xf32>, tensor<1x1x100x8xf32>, tensor<1x1x100x8xf32>, tensor<1xf64> -> tensor<1x1x100x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x100x8xf32>, tensor<1x1x8x8xf32>
}

// -----

// CHECK-LABEL: func @from_recurrent
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.chunkwise %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] state %{{.*}} {chunk_size = {{(64|16)}} : i64} : tensor<3x1x?x8xf64>, tensor<3x1x?x8xf64>, tensor<3x1x?x8xf64>, tensor<1xf64>, tensor<3x1x8x8xf64> -> tensor<3x1x?x8xf64>
// CHECK-NOT: retention.recurrent
func.func @from_recurrent(%q: tensor<3x1x?x8xf64>, %s0: tensor<3x1x8x8xf64>) -> tensor<3x1x?x8xf64> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma state %s0 : tensor<3x1x?x8xf64>, tensor<3x1x?x8xf64>, tensor<3x1x?x8xf64>, tensor<1xf64>, tensor<3x1x8x8xf64> -> tensor<3x1x?x8xf64>
  return %o : tensor<3x1x?x8xf64>
}
