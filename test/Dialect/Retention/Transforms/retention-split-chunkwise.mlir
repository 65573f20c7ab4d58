// RUN: retnet-opt %s -retention-split-chunkwise -split-input-file | FileCheck %s

// A chunkwise op becomes its three chunk-parallel pieces with the same
// operands; the final state comes from the scan.
// CHECK-LABEL: func @split
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x100x16xf32>, %[[K:.*]]: tensor<2x4x100x16xf32>, %[[V:.*]]: tensor<2x4x100x32xf32>, %[[S0:.*]]: tensor<2x4x16x32xf32>, %[[P:.*]]: index)
// CHECK: %[[G:.*]] = arith.constant
// CHECK: %[[DELTAS:.*]] = retention.chunk_states %[[K]], %[[V]] gamma %[[G]] {chunk_size = 32 : i64} : tensor<2x4x100x16xf32>, tensor<2x4x100x32xf32>, tensor<4xf64> -> tensor<2x4x4x16x32xf32>
// CHECK: %[[T:.*]] = tensor.dim %[[Q]], %c2
// CHECK: %[[STARTS:.*]], %[[FINAL:.*]] = retention.chunk_scan %[[DELTAS]] gamma %[[G]] state %[[S0]] length %[[T]] {chunk_size = 32 : i64} : tensor<2x4x4x16x32xf32>, tensor<4xf64>, tensor<2x4x16x32xf32> -> tensor<2x4x4x16x32xf32>, tensor<2x4x16x32xf32>
// CHECK: %[[O:.*]] = retention.chunk_outputs %[[Q]], %[[K]], %[[V]], %[[STARTS]] gamma %[[G]] offset %[[P]] {chunk_size = 32 : i64, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<2x4x100x16xf32>, tensor<2x4x100x16xf32>, tensor<2x4x100x32xf32>, tensor<2x4x4x16x32xf32>, tensor<4xf64> -> tensor<2x4x100x32xf32>
// CHECK: return %[[O]], %[[FINAL]]
func.func @split(%q: tensor<2x4x100x16xf32>, %k: tensor<2x4x100x16xf32>, %v: tensor<2x4x100x32xf32>, %s0: tensor<2x4x16x32xf32>, %p: index) -> (tensor<2x4x100x32xf32>, tensor<2x4x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 offset %p {chunk_size = 32, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<2x4x100x16xf32>, tensor<2x4x100x16xf32>, tensor<2x4x100x32xf32>, tensor<4xf64>, tensor<2x4x16x32xf32> -> tensor<2x4x100x32xf32>, tensor<2x4x16x32xf32>
  return %o, %s : tensor<2x4x100x32xf32>, tensor<2x4x16x32xf32>
}

// -----

// Dynamic lengths give a dynamic number of chunks; bf16 inputs keep f32
// chunk states; the other forms are left alone.
// CHECK-LABEL: func @dynamic
// CHECK: retention.chunk_states {{.*}} -> tensor<?x2x?x8x8xf32>
// CHECK: retention.chunk_scan {{.*}} length %{{.*}} {chunk_size = 64 : i64} : tensor<?x2x?x8x8xf32>, tensor<2xf64> -> tensor<?x2x?x8x8xf32>, tensor<?x2x8x8xf32>
// CHECK: retention.chunk_outputs {{.*}} -> tensor<?x2x?x8xbf16>
// CHECK: retention.parallel
// CHECK-NOT: retention.chunkwise
func.func @dynamic(%q: tensor<?x2x?x8xbf16>) -> (tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 64} : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64> -> tensor<?x2x?x8xbf16>
  %p = retention.parallel %q, %q, %q gamma %gamma : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<2xf64> -> tensor<?x2x?x8xbf16>
  return %o, %p : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>
}
