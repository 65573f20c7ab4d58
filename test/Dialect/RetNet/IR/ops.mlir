// RUN: retnet-opt %s -split-input-file | retnet-opt -split-input-file | FileCheck %s
// RUN: retnet-opt %s -split-input-file -mlir-print-op-generic | retnet-opt -split-input-file | FileCheck %s
// RUN: retnet-opt %s -split-input-file -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Round trip of every retnet op and variant, in the custom and the generic
// syntax. The GENERIC lines check that the generic form really is generic
// (operand segments of msr, the activation attribute).

// CHECK-LABEL: func @embedding
// CHECK: %{{.*}} = retnet.embedding %{{.*}}, %{{.*}} {scale = 8.000000e+00 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
// GENERIC-LABEL: sym_name = "embedding"
// GENERIC: "retnet.embedding"(%{{.*}}, %{{.*}}) <{scale = 8.000000e+00 : f64}> : (tensor<?x?xi32>, tensor<100x64xf32>) -> tensor<?x?x64xf32>
func.func @embedding(%tokens: tensor<?x?xi32>, %table: tensor<100x64xf32>) -> tensor<?x?x64xf32> {
  %h = retnet.embedding %tokens, %table {scale = 8.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  return %h : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func @embedding_static
// CHECK: retnet.embedding %{{.*}}, %{{.*}} {scale = 1.000000e+00 : f64} : tensor<2x3xi32>, tensor<100x64xf32> -> tensor<2x3x64xf32>
func.func @embedding_static(%tokens: tensor<2x3xi32>, %table: tensor<100x64xf32>) -> tensor<2x3x64xf32> {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi32>, tensor<100x64xf32> -> tensor<2x3x64xf32>
  return %h : tensor<2x3x64xf32>
}

// -----

// CHECK-LABEL: func @rms_norm_weight
// CHECK: %{{.*}} = retnet.rms_norm %{{.*}} weight %{{.*}} {eps = 9.9999999999999995E-7 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
// GENERIC-LABEL: sym_name = "rms_norm_weight"
// GENERIC: "retnet.rms_norm"(%{{.*}}, %{{.*}}) <{eps = 9.9999999999999995E-7 : f64}> : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
func.func @rms_norm_weight(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.rms_norm %x weight %w {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func @rms_norm_no_weight
// CHECK: %{{.*}} = retnet.rms_norm %{{.*}} {eps = 0.000000e+00 : f64} : tensor<1x4x32xf32>{{$}}
// CHECK-NOT: weight
// GENERIC-LABEL: sym_name = "rms_norm_no_weight"
// GENERIC: "retnet.rms_norm"(%{{.*}}) <{eps = 0.000000e+00 : f64}> : (tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
func.func @rms_norm_no_weight(%x: tensor<1x4x32xf32>) -> tensor<1x4x32xf32> {
  %y = retnet.rms_norm %x {eps = 0.0 : f64} : tensor<1x4x32xf32>
  return %y : tensor<1x4x32xf32>
}

// -----

// CHECK-LABEL: func @linear
// CHECK: %{{.*}} = retnet.linear %{{.*}}, %{{.*}} : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
// GENERIC-LABEL: sym_name = "linear"
// GENERIC: "retnet.linear"(%{{.*}}, %{{.*}}) : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<64x256xf32>) -> tensor<?x?x256xf32> {
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}

// -----

// CHECK-LABEL: func @residual
// CHECK: %{{.*}} = retnet.residual %{{.*}}, %{{.*}} {alpha = 1.4142135623730951 : f64} : tensor<?x?x64xf32>
// GENERIC-LABEL: sym_name = "residual"
// GENERIC: "retnet.residual"(%{{.*}}, %{{.*}}) <{alpha = 1.4142135623730951 : f64}> : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
func.func @residual(%h: tensor<?x?x64xf32>, %f: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.residual %h, %f {alpha = 1.4142135623730951 : f64} : tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func @msr_plain
// CHECK: %{{.*}} = retnet.msr %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {eps = 9.9999999999999995E-7 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>{{$}}
// GENERIC-LABEL: sym_name = "msr_plain"
// GENERIC: "retnet.msr"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{eps = 9.9999999999999995E-7 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>}> : (tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>) -> tensor<?x?x64xf32>
func.func @msr_plain(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) -> tensor<?x?x64xf32> {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func @msr_state_offset_final
// CHECK: %{{.*}}, %{{.*}} = retnet.msr %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} offset %{{.*}} {eps = 9.9999999999999995E-7 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
// GENERIC-LABEL: sym_name = "msr_state_offset_final"
// GENERIC: "retnet.msr"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{{.*}}operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0>}> : (tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32>, index) -> (tensor<?x?x64xf32>, tensor<?x2x32x64xf32>)
func.func @msr_state_offset_final(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %s0: tensor<?x2x32x64xf32>, %pos: index) -> (tensor<?x?x64xf32>, tensor<?x2x32x64xf32>) {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 offset %pos {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
  return %y, %s : tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
}

// -----

// CHECK-LABEL: func @msr_state_only
// CHECK: %{{.*}} = retnet.msr %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} {eps = 0.000000e+00 : f64} : tensor<2x5x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>, tensor<2x1x8x8xf32> -> tensor<2x5x8xf32>{{$}}
// GENERIC-LABEL: sym_name = "msr_state_only"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0>
func.func @msr_state_only(%x: tensor<2x5x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %s0: tensor<2x1x8x8xf32>) -> tensor<2x5x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y = retnet.msr %x, %win, %wout, %gamma state %s0 {eps = 0.0 : f64} : tensor<2x5x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>, tensor<2x1x8x8xf32> -> tensor<2x5x8xf32>
  return %y : tensor<2x5x8xf32>
}

// -----

// CHECK-LABEL: func @msr_offset_only
// CHECK: %{{.*}} = retnet.msr %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} offset %{{.*}} {eps = 0.000000e+00 : f64} : tensor<1x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<1x1x8xf32>{{$}}
// GENERIC-LABEL: sym_name = "msr_offset_only"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1, 0>
func.func @msr_offset_only(%x: tensor<1x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %pos: index) -> tensor<1x1x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y = retnet.msr %x, %win, %wout, %gamma offset %pos {eps = 0.0 : f64} : tensor<1x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<1x1x8xf32>
  return %y : tensor<1x1x8xf32>
}

// -----

// CHECK-LABEL: func @msr_row_offsets
// CHECK: %{{.*}}, %{{.*}} = retnet.msr %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} row_offsets %{{.*}} : tensor<?xi64> {eps = 0.000000e+00 : f64} : tensor<?x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>, tensor<?x1x8x8xf32> -> tensor<?x1x8xf32>, tensor<?x1x8x8xf32>
// GENERIC-LABEL: sym_name = "msr_row_offsets"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1>
func.func @msr_row_offsets(%x: tensor<?x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %s0: tensor<?x1x8x8xf32>, %rows: tensor<?xi64>) -> (tensor<?x1x8xf32>, tensor<?x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 row_offsets %rows : tensor<?xi64> {eps = 0.0 : f64} : tensor<?x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>, tensor<?x1x8x8xf32> -> tensor<?x1x8xf32>, tensor<?x1x8x8xf32>
  return %y, %s : tensor<?x1x8xf32>, tensor<?x1x8x8xf32>
}

// -----

// CHECK-LABEL: func @msr_final_state_only
// CHECK: %{{.*}}, %{{.*}} = retnet.msr %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {eps = 0.000000e+00 : f64} : tensor<?x?x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<?x?x8xf32>, tensor<?x1x8x8xf32>
// GENERIC-LABEL: sym_name = "msr_final_state_only"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>}> : (tensor<?x?x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64>) -> (tensor<?x?x8xf32>, tensor<?x1x8x8xf32>)
func.func @msr_final_state_only(%x: tensor<?x?x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x1x8x8xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %y, %s = retnet.msr %x, %win, %wout, %gamma {eps = 0.0 : f64} : tensor<?x?x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<?x?x8xf32>, tensor<?x1x8x8xf32>
  return %y, %s : tensor<?x?x8xf32>, tensor<?x1x8x8xf32>
}

// -----

// CHECK-LABEL: func @glu_gelu
// CHECK: %{{.*}} = retnet.glu %{{.*}}, %{{.*}}, %{{.*}} {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
// GENERIC-LABEL: sym_name = "glu_gelu"
// GENERIC: "retnet.glu"(%{{.*}}, %{{.*}}, %{{.*}}) <{activation = #retnet.activation<gelu>}> : (tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32>) -> tensor<?x?x64xf32>
func.func @glu_gelu(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func @glu_swish
// CHECK: %{{.*}} = retnet.glu %{{.*}}, %{{.*}}, %{{.*}} {activation = #retnet.activation<swish>} : tensor<3x2x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<3x2x64xf32>
// GENERIC-LABEL: sym_name = "glu_swish"
// GENERIC: "retnet.glu"(%{{.*}}, %{{.*}}, %{{.*}}) <{activation = #retnet.activation<swish>}>
func.func @glu_swish(%x: tensor<3x2x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) -> tensor<3x2x64xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<swish>} : tensor<3x2x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<3x2x64xf32>
  return %y : tensor<3x2x64xf32>
}

// -----

// CHECK-LABEL: func @ffn_relu
// CHECK: %{{.*}} = retnet.ffn %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {activation = #retnet.activation<relu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
// GENERIC-LABEL: sym_name = "ffn_relu"
// GENERIC: "retnet.ffn"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{activation = #retnet.activation<relu>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0>}>
func.func @ffn_relu(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<relu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func @ffn_norm
// CHECK: %{{.*}} = retnet.ffn %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} norm %{{.*}}, %{{.*}} {activation = #retnet.activation<gelu>, eps = 1.000000e-05 : f64} : tensor<3x2x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<3x2x64xf32>
// GENERIC-LABEL: sym_name = "ffn_norm"
// GENERIC: "retnet.ffn"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{activation = #retnet.activation<gelu>, eps = 1.000000e-05 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1>}>
func.func @ffn_norm(%x: tensor<3x2x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<96xf32>, %lb: tensor<96xf32>) -> tensor<3x2x64xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<gelu>, eps = 1.0e-5 : f64} : tensor<3x2x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<3x2x64xf32>
  return %y : tensor<3x2x64xf32>
}

// -----

// A whole block as the import writes it: every op in one function.
// CHECK-LABEL: func @block
// CHECK: retnet.embedding
// CHECK: retnet.rms_norm
// CHECK: retnet.msr
// CHECK: retnet.residual
// CHECK: retnet.rms_norm
// CHECK: retnet.glu
// CHECK: retnet.residual
// CHECK: retnet.linear
func.func @block(%tokens: tensor<?x?xi32>, %table: tensor<100x64xf32>, %n1: tensor<64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %n2: tensor<64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>, %head: tensor<64x100xf32>) -> tensor<?x?x100xf32> {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  %a = retnet.rms_norm %h weight %n1 {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %r = retnet.msr %a, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  %h1 = retnet.residual %h, %r {alpha = 1.0 : f64} : tensor<?x?x64xf32>
  %b = retnet.rms_norm %h1 weight %n2 {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  %f = retnet.glu %b, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  %h2 = retnet.residual %h1, %f {alpha = 1.0 : f64} : tensor<?x?x64xf32>
  %logits = retnet.linear %h2, %head : tensor<?x?x64xf32>, tensor<64x100xf32> -> tensor<?x?x100xf32>
  return %logits : tensor<?x?x100xf32>
}

// -----

// CHECK-LABEL: func @dequantize
// CHECK: %{{.*}} = retnet.dequantize %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
// CHECK: retnet.linear %{{.*}}, %{{.*}} : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
// GENERIC-LABEL: sym_name = "dequantize"
// GENERIC: "retnet.dequantize"(%{{.*}}, %{{.*}}) <{axis = 1 : i64, group = 0 : i64}> : (tensor<64x256xi8>, tensor<256xf32>) -> tensor<64x256xf32>
func.func @dequantize(%x: tensor<?x?x64xf32>, %q: tensor<64x256xi8>, %s: tensor<256xf32>) -> tensor<?x?x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}

// -----

// Scales per group of 32 rows (a product's reduction) of each column, and
// per group of 16 columns of each row (an embedding table's).
// CHECK-LABEL: func @dequantize_groups
// CHECK: retnet.dequantize %{{.*}}, %{{.*}} {axis = 1 : i64, group = 32 : i64} : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
// CHECK: retnet.dequantize %{{.*}}, %{{.*}} {axis = 0 : i64, group = 16 : i64} : tensor<100x64xi8>, tensor<100x4xf32> -> tensor<100x64xf32>
// GENERIC-LABEL: sym_name = "dequantize_groups"
// GENERIC: "retnet.dequantize"(%{{.*}}, %{{.*}}) <{axis = 1 : i64, group = 32 : i64}>
func.func @dequantize_groups(%q: tensor<64x256xi8>, %s: tensor<2x256xf32>, %e: tensor<100x64xi8>, %t: tensor<100x4xf32>) -> (tensor<64x256xf32>, tensor<100x64xf32>) {
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 32 : i64} : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
  %table = retnet.dequantize %e, %t {axis = 0 : i64, group = 16 : i64} : tensor<100x64xi8>, tensor<100x4xf32> -> tensor<100x64xf32>
  return %w, %table : tensor<64x256xf32>, tensor<100x64xf32>
}
