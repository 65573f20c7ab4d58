// RUN: retnet-opt %s -retention-to-recurrent -split-input-file | FileCheck %s

// CHECK-LABEL: func @from_parallel
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x8xbf16>, %[[S:.*]]: tensor<?x2x8x8xf32>)
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[2.500000e-01, 7.500000e-01]> : tensor<2xf64>
// CHECK: %[[O:.*]], %[[F:.*]] = retention.recurrent %[[Q]], %[[Q]], %[[Q]] gamma %[[GAMMA]] state %[[S]] : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64>, tensor<?x2x8x8xf32> -> tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>
// CHECK: return %[[O]], %[[F]]
func.func @from_parallel(%q: tensor<?x2x?x8xbf16>, %s0: tensor<?x2x8x8xf32>) -> (tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>) {
  %gamma = arith.constant dense<[0.25, 0.75]> : tensor<2xf64>
  %o, %s = retention.parallel %q, %q, %q gamma %gamma state %s0 : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64>, tensor<?x2x8x8xf32> -> tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>
  return %o, %s : tensor<?x2x?x8xbf16>, tensor<?x2x8x8xf32>
}

// -----

// CHECK-LABEL: func @from_chunkwise
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.recurrent %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] offset %{{.*}} {scaling = #retention.scaling<decay_sqrt_sum>}
// CHECK-NOT: chunk_size
func.func @from_chunkwise(%q: tensor<1x1x1x4xf32>, %p: index) -> tensor<1x1x1x4xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma offset %p {chunk_size = 4, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf64> -> tensor<1x1x1x4xf32>
  return %o : tensor<1x1x1x4xf32>
}
