// RUN: retnet-opt %s -split-input-file | retnet-opt -split-input-file | FileCheck %s
// RUN: retnet-opt %s -split-input-file -mlir-print-op-generic | retnet-opt -split-input-file | FileCheck %s

// Round trip of every form and variant of the retention ops, in the custom and
// the generic syntax.

// CHECK-LABEL: func @parallel_plain
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: %{{.*}} = retention.parallel %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
func.func @parallel_plain(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) -> tensor<1x1x8x16xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return %o : tensor<1x1x8x16xf32>
}

// -----

// CHECK-LABEL: func @recurrent_plain
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[9.687500e-01, 9.843750e-01]> : tensor<2xf64>
// CHECK: retention.recurrent %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] : tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>, tensor<2x2x1x4xf32>, tensor<2xf64> -> tensor<2x2x1x4xf32>
func.func @recurrent_plain(%q: tensor<2x2x1x8xf32>, %k: tensor<2x2x1x8xf32>, %v: tensor<2x2x1x4xf32>) -> tensor<2x2x1x4xf32> {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>, tensor<2x2x1x4xf32>, tensor<2xf64> -> tensor<2x2x1x4xf32>
  return %o : tensor<2x2x1x4xf32>
}

// -----

// CHECK-LABEL: func @chunkwise_chunk_64
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.chunkwise %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] {chunk_size = 64 : i64} :
func.func @chunkwise_chunk_64(%q: tensor<1x1x100x16xf32>, %k: tensor<1x1x100x16xf32>, %v: tensor<1x1x100x32xf32>) -> tensor<1x1x100x32xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 64} : tensor<1x1x100x16xf32>, tensor<1x1x100x16xf32>, tensor<1x1x100x32xf32>, tensor<1xf64> -> tensor<1x1x100x32xf32>
  return %o : tensor<1x1x100x32xf32>
}

// -----

// CHECK-LABEL: func @chunkwise_chunk_size
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.chunkwise %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] {chunk_size = 16 : i64} :
func.func @chunkwise_chunk_size(%q: tensor<1x1x100x16xf32>, %k: tensor<1x1x100x16xf32>, %v: tensor<1x1x100x32xf32>) -> tensor<1x1x100x32xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 16} : tensor<1x1x100x16xf32>, tensor<1x1x100x16xf32>, tensor<1x1x100x32xf32>, tensor<1xf64> -> tensor<1x1x100x32xf32>
  return %o : tensor<1x1x100x32xf32>
}

// -----

// CHECK-LABEL: func @parallel_state_offset_final
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf64>
// CHECK: %{{.*}}, %{{.*}} = retention.parallel %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] state %{{.*}} offset %{{.*}} {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>, tensor<2xf64>, tensor<1x2x16x32xf32> -> tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
func.func @parallel_state_offset_final(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x32xf32>, %s0: tensor<1x2x16x32xf32>, %p: index) -> (tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  %o, %s = retention.parallel %q, %k, %v gamma %gamma state %s0 offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>, tensor<2xf64>, tensor<1x2x16x32xf32> -> tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
  return %o, %s : tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
}

// -----

// CHECK-LABEL: func @recurrent_state_only
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: %{{.*}} = retention.recurrent %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] state %{{.*}} : tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<1xf64>, tensor<3x1x8x8xf32> -> tensor<3x1x1x8xf32>
func.func @recurrent_state_only(%q: tensor<3x1x1x8xf32>, %k: tensor<3x1x1x8xf32>, %v: tensor<3x1x1x8xf32>, %s0: tensor<3x1x8x8xf32>) -> tensor<3x1x1x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<1xf64>, tensor<3x1x8x8xf32> -> tensor<3x1x1x8xf32>
  return %o : tensor<3x1x1x8xf32>
}

// -----

// CHECK-LABEL: func @recurrent_offset_only
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.recurrent %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] offset %{{.*}} {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1xf64> -> tensor<1x1x1x8xf32>
func.func @recurrent_offset_only(%q: tensor<1x1x1x8xf32>, %k: tensor<1x1x1x8xf32>, %v: tensor<1x1x1x8xf32>, %p: index) -> tensor<1x1x1x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.recurrent %q, %k, %v gamma %gamma offset %p {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1xf64> -> tensor<1x1x1x8xf32>
  return %o : tensor<1x1x1x8xf32>
}

// -----

// CHECK-LABEL: func @chunkwise_final_state_only
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: %{{.*}}, %{{.*}} = retention.chunkwise %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] {chunk_size = 32 : i64} : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x4xf32>, tensor<1xf64> -> tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>
func.func @chunkwise_final_state_only(%q: tensor<?x1x?x8xf32>, %k: tensor<?x1x?x8xf32>, %v: tensor<?x1x?x4xf32>) -> (tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 32} : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x4xf32>, tensor<1xf64> -> tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>
  return %o, %s : tensor<?x1x?x4xf32>, tensor<?x1x8x4xf32>
}

// -----

// CHECK-LABEL: func @chunkwise_all_optional
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[9.000000e-01, 0.98999999999999999]> : tensor<2xf64>
// CHECK: retention.chunkwise %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] state %{{.*}} offset %{{.*}} {chunk_size = 128 : i64, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32>, tensor<2xf64>, tensor<?x2x8x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>
func.func @chunkwise_all_optional(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x16xf32>, %s0: tensor<?x2x8x16xf32>, %p: index) -> (tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>) {
  %gamma = arith.constant dense<[0.9, 0.99]> : tensor<2xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 offset %p {chunk_size = 128, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32>, tensor<2xf64>, tensor<?x2x8x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>
  return %o, %s : tensor<?x2x?x16xf32>, tensor<?x2x8x16xf32>
}

// -----

// The default scaling is elided when printed.
// CHECK-LABEL: func @scaling_none_elided
// CHECK: %[[GAMMA:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf64>
// CHECK: retention.parallel %{{.*}}, %{{.*}}, %{{.*}} gamma %[[GAMMA]] :
// CHECK-NOT: scaling
func.func @scaling_none_elided(%q: tensor<1x1x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>) -> tensor<1x1x4x2xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma {scaling = #retention.scaling<none>} : tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32>, tensor<1xf64> -> tensor<1x1x4x2xf32>
  return %o : tensor<1x1x4x2xf32>
}

// -----

// CHECK-LABEL: func @element_f16
// CHECK: retention.parallel {{.*}} : tensor<1x1x?x8xf16>, tensor<1x1x?x8xf16>, tensor<1x1x?x8xf16>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x?x8xf16>, tensor<1x1x8x8xf32>
func.func @element_f16(%q: tensor<1x1x?x8xf16>, %k: tensor<1x1x?x8xf16>, %v: tensor<1x1x?x8xf16>, %s0: tensor<1x1x8x8xf32>) -> (tensor<1x1x?x8xf16>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.parallel %q, %k, %v gamma %gamma state %s0 : tensor<1x1x?x8xf16>, tensor<1x1x?x8xf16>, tensor<1x1x?x8xf16>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x?x8xf16>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x?x8xf16>, tensor<1x1x8x8xf32>
}

// -----

// CHECK-LABEL: func @element_bf16
// CHECK: retention.recurrent {{.*}} : tensor<1x1x1x8xbf16>, tensor<1x1x1x8xbf16>, tensor<1x1x1x8xbf16>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>
func.func @element_bf16(%q: tensor<1x1x1x8xbf16>, %k: tensor<1x1x1x8xbf16>, %v: tensor<1x1x1x8xbf16>, %s0: tensor<1x1x8x8xf32>) -> (tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x1x8xbf16>, tensor<1x1x1x8xbf16>, tensor<1x1x1x8xbf16>, tensor<1xf64>, tensor<1x1x8x8xf32> -> tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x1x1x8xbf16>, tensor<1x1x8x8xf32>
}

// -----

// CHECK-LABEL: func @element_f64
// CHECK: retention.chunkwise {{.*}} : tensor<2x1x?x8xf64>, tensor<2x1x?x8xf64>, tensor<2x1x?x8xf64>, tensor<1xf64>, tensor<2x1x8x8xf64> -> tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>
func.func @element_f64(%q: tensor<2x1x?x8xf64>, %k: tensor<2x1x?x8xf64>, %v: tensor<2x1x?x8xf64>, %s0: tensor<2x1x8x8xf64>) -> (tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o, %s = retention.chunkwise %q, %k, %v gamma %gamma state %s0 {chunk_size = 4} : tensor<2x1x?x8xf64>, tensor<2x1x?x8xf64>, tensor<2x1x?x8xf64>, tensor<1xf64>, tensor<2x1x8x8xf64> -> tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>
  return %o, %s : tensor<2x1x?x8xf64>, tensor<2x1x8x8xf64>
}

// -----

// A dynamic dimension of one operand is compatible with a static one of another.
// CHECK-LABEL: func @mixed_static_dynamic
// CHECK: retention.parallel {{.*}} : tensor<?x4x?x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x?x8xf32>, tensor<4xf64> -> tensor<2x4x16x8xf32>
func.func @mixed_static_dynamic(%q: tensor<?x4x?x8xf32>, %k: tensor<2x4x16x8xf32>, %v: tensor<2x4x?x8xf32>) -> tensor<2x4x16x8xf32> {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf64>
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<?x4x?x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x?x8xf32>, tensor<4xf64> -> tensor<2x4x16x8xf32>
  return %o : tensor<2x4x16x8xf32>
}

// -----

// The decays may be any value of type tensor<H x f64>, such as an argument
// (a model's decays read from its checkpoint).
// CHECK-LABEL: func @gamma_argument
// CHECK-SAME: (%{{.*}}: tensor<1x3x?x8xf32>, %[[G:.*]]: tensor<3xf64>)
// CHECK: retention.chunkwise %{{.*}}, %{{.*}}, %{{.*}} gamma %[[G]] {chunk_size = 8 : i64} : tensor<1x3x?x8xf32>, tensor<1x3x?x8xf32>, tensor<1x3x?x8xf32>, tensor<3xf64> -> tensor<1x3x?x8xf32>
func.func @gamma_argument(%q: tensor<1x3x?x8xf32>, %gamma: tensor<3xf64>) -> tensor<1x3x?x8xf32> {
  %o = retention.chunkwise %q, %q, %q gamma %gamma {chunk_size = 8} : tensor<1x3x?x8xf32>, tensor<1x3x?x8xf32>, tensor<1x3x?x8xf32>, tensor<3xf64> -> tensor<1x3x?x8xf32>
  return %o : tensor<1x3x?x8xf32>
}

// -----

// The chunk-parallel pieces of the chunkwise form.
// CHECK-LABEL: func @chunk_pieces
// CHECK: %[[D:.*]] = retention.chunk_states %{{.*}}, %{{.*}} gamma %[[G:.*]] {chunk_size = 16 : i64} : tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>
// CHECK: %[[S:.*]], %{{.*}} = retention.chunk_scan %[[D]] gamma %[[G]] state %{{.*}} length %{{.*}} {chunk_size = 16 : i64} : tensor<1x2x?x8x4xf32>, tensor<2xf64>, tensor<1x2x8x4xf32> -> tensor<1x2x?x8x4xf32>, tensor<1x2x8x4xf32>
// CHECK: retention.chunk_outputs %{{.*}}, %{{.*}}, %{{.*}}, %[[S]] gamma %[[G]] offset %{{.*}} {chunk_size = 16 : i64, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x4xf32>
func.func @chunk_pieces(%q: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %s0: tensor<1x2x8x4xf32>, %t: index, %p: index) -> (tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %d = retention.chunk_states %q, %v gamma %gamma {chunk_size = 16} : tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>
  %starts, %final = retention.chunk_scan %d gamma %gamma state %s0 length %t {chunk_size = 16} : tensor<1x2x?x8x4xf32>, tensor<2xf64>, tensor<1x2x8x4xf32> -> tensor<1x2x?x8x4xf32>, tensor<1x2x8x4xf32>
  %o = retention.chunk_outputs %q, %q, %v, %starts gamma %gamma offset %p {chunk_size = 16, scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x4xf32>
  return %o, %final : tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>
}
