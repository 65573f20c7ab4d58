// RUN: retnet-opt %s -retention-to-parallel -split-input-file | FileCheck %s

// Every form becomes parallel; operands, attributes and results are kept.

// CHECK-LABEL: func @from_recurrent
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x?x16xf32>, %[[K:.*]]: tensor<2x4x?x16xf32>, %[[V:.*]]: tensor<2x4x?x32xf32>, %[[S:.*]]: tensor<2x4x16x32xf32>, %[[P:.*]]: index)
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 6.000000e-01, 0.69999999999999996, 8.000000e-01]> : tensor<4xf64>
// CHECK: %[[O:.*]], %[[F:.*]] = retention.parallel %[[Q]], %[[K]], %[[V]] gamma %[[GAMMA]] state %[[S]] offset %[[P]] {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x32xf32>, tensor<4xf64>, tensor<2x4x16x32xf32> -> tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>
// CHECK-NOT: retention.recurrent
// CHECK: return %[[O]], %[[F]]
func.func @from_recurrent(%q: tensor<2x4x?x16xf32>, %k: tensor<2x4x?x16xf32>, %v: tensor<2x4x?x32xf32>, %s0: tensor<2x4x16x32xf32>, %p: index) -> (tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf64>
  %o, %s = retention.recurrent %q, %k, %v gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x32xf32>, tensor<4xf64>, tensor<2x4x16x32xf32> -> tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>
  return %o, %s : tensor<2x4x?x32xf32>, tensor<2x4x16x32xf32>
}

// -----

// The chunk size is dropped with the chunkwise form.
// CHECK-LABEL: func @from_chunkwise
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.parallel %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] : tensor<1x1x8x4xf16>, tensor<1x1x8x4xf16>, tensor<1x1x8x4xf16>, tensor<1xf64> -> tensor<1x1x8x4xf16>
// CHECK-NOT: chunk_size
func.func @from_chunkwise(%q: tensor<1x1x8x4xf16>) -> tensor<1x1x8x4xf16> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 4} : tensor<1x1x8x4xf16>, tensor<1x1x8x4xf16>, tensor<1x1x8x4xf16>, tensor<1xf64> -> tensor<1x1x8x4xf16>
  return %o : tensor<1x1x8x4xf16>
}

// -----

// Parallel ops are left alone.
// CHECK-LABEL: func @already_parallel
// CHECK: retention.parallel %{{.*}}, %{{.*}}, %{{.*}} offset
func.func @already_parallel(%q: tensor<1x1x8x4xf64>, %p: index) -> tensor<1x1x8x4xf64> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %q, %q gamma %gamma offset %p : tensor<1x1x8x4xf64>, tensor<1x1x8x4xf64>, tensor<1x1x8x4xf64>, tensor<1xf64> -> tensor<1x1x8x4xf64>
  return %o : tensor<1x1x8x4xf64>
}
