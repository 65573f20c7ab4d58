// RUN: retnet-opt %s -canonicalize -split-input-file | FileCheck %s

// Canonicalization keeps every op's form and chunk size; it drops operands
// and results that change nothing.

// A constant zero initial state is the same as none; an offset of 0 too.
// CHECK-LABEL: func @zero_state_and_offset
// CHECK-SAME: (%[[Q:.*]]: tensor<2x2x?x8xf32>)
// CHECK: %[[O:.*]] = retention.chunkwise %[[Q]], %[[Q]], %[[Q]] gamma %{{.*}} {chunk_size = 16 : i64} : tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2xf64> -> tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>
// CHECK: return %[[O]]
func.func @zero_state_and_offset(%q: tensor<2x2x?x8xf32>) -> (tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %zero = arith.constant dense<0.0> : tensor<2x2x8x8xf32>
  %c0 = arith.constant 0 : index
  %o, %s = retention.chunkwise %q, %q, %q gamma %gamma state %zero offset %c0 {chunk_size = 16} : tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2xf64>, tensor<2x2x8x8xf32> -> tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x2x?x8xf32>, tensor<2x2x8x8xf32>
}

// -----

// A final state without uses is not computed; the form stays.
// CHECK-LABEL: func @unused_final_state
// CHECK: %[[O:.*]] = retention.recurrent %{{.*}}, %{{.*}}, %{{.*}} gamma %{{.*}} state %{{.*}} offset %{{.*}} {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x1x8xf32>{{$}}
// CHECK: return %[[O]]
func.func @unused_final_state(%q: tensor<1x1x1x8xf32>, %s0: tensor<1x1x8x8xf32>, %p: index) -> tensor<1x1x1x8xf32> {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  %o, %s = retention.recurrent %q, %q, %q gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x1x8xf32>, tensor<1x1x8x8xf32>
  return %o : tensor<1x1x1x8xf32>
}

// -----

// What changes the result stays: a non-zero constant state, an offset that
// is not 0, a used final state; the parallel form stays parallel.
// CHECK-LABEL: func @kept
// CHECK: %[[STATE:.*]] = arith.constant dense<1.000000e+00> : tensor<1x1x8x8xf32>
// CHECK: %[[P:.*]] = arith.constant 3 : index
// CHECK: %{{.*}}, %{{.*}} = retention.parallel %{{.*}}, %{{.*}}, %{{.*}} gamma %{{.*}} state %[[STATE]] offset %[[P]] : {{.*}} -> tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>
func.func @kept(%q: tensor<1x1x4x8xf32>) -> (tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<0.5> : tensor<1xf64>
  %one = arith.constant dense<1.0> : tensor<1x1x8x8xf32>
  %c3 = arith.constant 3 : index
  %o, %s = retention.parallel %q, %q, %q gamma %gamma state %one offset %c3 : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>
}
