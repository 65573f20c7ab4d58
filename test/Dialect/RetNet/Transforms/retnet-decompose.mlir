// RUN: retnet-opt %s -split-input-file -retnet-decompose -mlir-print-local-scope | FileCheck %s
// RUN: retnet-opt %s -split-input-file -retnet-decompose | FileCheck %s --check-prefix=GONE
// RUN: retnet-opt %s -split-input-file -retnet-decompose | retnet-opt -split-input-file -verify-each | FileCheck %s --check-prefix=GONE

// retnet-decompose rewrites each model-graph op into retention + linalg,
// tensor, arith and math on tensors. No retnet op is left behind, and the
// result parses and verifies again.
// GONE-NOT: retnet.
// GONE: func.func @linear
// GONE-NOT: retnet.

//===----------------------------------------------------------------------===//
// linear: collapse [B, T, in] to [B*T, in], contract with W [in, out], expand.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[W:[a-z0-9_]+]]: tensor<64x256xf32>)
// CHECK: %[[B:[a-z0-9_]+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x64xf32>
// CHECK: %[[T:[a-z0-9_]+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x64xf32>
// CHECK: %[[FLAT:[a-z0-9_]+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: %[[ROWS:[a-z0-9_]+]] = tensor.dim %[[FLAT]], %{{.+}} : tensor<?x64xf32>
// CHECK: %[[ZERO:[a-z0-9_]+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[EMPTY:[a-z0-9_]+]] = tensor.empty(%[[ROWS]]) : tensor<?x256xf32>
// CHECK: %[[INIT:[a-z0-9_]+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x256xf32>)
// CHECK: %[[PRODUCT:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[FLAT]], %[[W]] : tensor<?x64xf32>, tensor<64x256xf32>) outs(%[[INIT]] : tensor<?x256xf32>)
// CHECK-NEXT: ^bb0(%[[L:[a-z0-9_]+]]: f32, %[[R:[a-z0-9_]+]]: f32, %[[ACC:[a-z0-9_]+]]: f32):
// CHECK-NEXT: %[[MUL:[a-z0-9_]+]] = arith.mulf %[[L]], %[[R]] : f32
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = arith.addf %[[ACC]], %[[MUL]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[Y:[a-z0-9_]+]] = tensor.expand_shape %[[PRODUCT]] {{\[\[}}0, 1], [2]] output_shape [%[[B]], %[[T]], 256] : tensor<?x256xf32> into tensor<?x?x256xf32>
// CHECK: %[[CAST:[a-z0-9_]+]] = tensor.cast %[[Y]] : tensor<?x?x256xf32> to tensor<?x?x256xf32>
// CHECK-NEXT: return %[[CAST]]
// CHECK-NOT: retnet.
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<64x256xf32>) -> tensor<?x?x256xf32> {
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}

// -----

// A static result keeps its static type after the cast.
// CHECK-LABEL: func.func @linear_static(
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : tensor<2x3x64xf32> into tensor<6x64xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<6x64xf32>, tensor<64x32xf32>) outs(%{{.+}} : tensor<6x32xf32>)
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [2, 3, 32] : tensor<6x32xf32> into tensor<2x3x32xf32>
// CHECK-NOT: retnet.
func.func @linear_static(%x: tensor<2x3x64xf32>, %w: tensor<64x32xf32>) -> tensor<2x3x32xf32> {
  %y = retnet.linear %x, %w : tensor<2x3x64xf32>, tensor<64x32xf32> -> tensor<2x3x32xf32>
  return %y : tensor<2x3x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// embedding: a generic over [B, T, d] reading the token and gathering the
// table row with tensor.extract, times the scale when it is not 1.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @embedding(
// CHECK-SAME: %[[TOKENS:[a-z0-9_]+]]: tensor<?x?xi32>, %[[TABLE:[a-z0-9_]+]]: tensor<100x64xf32>)
// CHECK: %[[EMPTY:[a-z0-9_]+]] = tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x?x64xf32>
// CHECK: %[[H:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[TOKENS]] : tensor<?x?xi32>) outs(%[[EMPTY]] : tensor<?x?x64xf32>)
// CHECK-NEXT: ^bb0(%[[TOKEN:[a-z0-9_]+]]: i32, %{{.+}}: f32):
// CHECK-NEXT: %[[ROW:[a-z0-9_]+]] = arith.index_cast %[[TOKEN]] : i32 to index
// CHECK-NEXT: %[[COLUMN:[a-z0-9_]+]] = linalg.index 2 : index
// CHECK-NEXT: %[[E:[a-z0-9_]+]] = tensor.extract %[[TABLE]][%[[ROW]], %[[COLUMN]]] : tensor<100x64xf32>
// CHECK-NEXT: %[[SCALE:[a-z0-9_]+]] = arith.constant 8.000000e+00 : f32
// CHECK-NEXT: %[[SCALED:[a-z0-9_]+]] = arith.mulf %[[E]], %[[SCALE]] : f32
// CHECK-NEXT: linalg.yield %[[SCALED]] : f32
// CHECK: tensor.cast %[[H]] : tensor<?x?x64xf32> to tensor<?x?x64xf32>
// CHECK-NOT: retnet.
func.func @embedding(%tokens: tensor<?x?xi32>, %table: tensor<100x64xf32>) -> tensor<?x?x64xf32> {
  %h = retnet.embedding %tokens, %table {scale = 8.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  return %h : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @embedding_unscaled(
// CHECK: %[[E:[a-z0-9_]+]] = tensor.extract
// CHECK-NEXT: linalg.yield %[[E]] : f32
// CHECK-NOT: retnet.
func.func @embedding_unscaled(%tokens: tensor<1x4xi32>, %table: tensor<100x64xf32>) -> tensor<1x4x64xf32> {
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<1x4xi32>, tensor<100x64xf32> -> tensor<1x4x64xf32>
  return %h : tensor<1x4x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// rms_norm: sum of squares (reduction), 1 / sqrt(sum / d + eps), then the
// normalisation, times the weight when there is one.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm_weight(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[W:[a-z0-9_]+]]: tensor<64xf32>)
// CHECK: %[[ZEROS:[a-z0-9_]+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK: %[[SUMS:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<?x?x64xf32>) outs(%[[ZEROS]] : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[a-z0-9_]+]]: f32, %[[ACC:[a-z0-9_]+]]: f32):
// CHECK-NEXT: %[[SQ:[a-z0-9_]+]] = arith.mulf %[[XI]], %[[XI]] : f32
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]]
// CHECK: %[[INV:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%[[SUMS]] : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[SUM:[a-z0-9_]+]]: f32):
// CHECK-NEXT: %[[INVD:[a-z0-9_]+]] = arith.constant 1.562500e-02 : f32
// CHECK-NEXT: %[[MEAN:[a-z0-9_]+]] = arith.mulf %[[SUM]], %[[INVD]] : f32
// CHECK-NEXT: %[[EPS:[a-z0-9_]+]] = arith.constant 9.99999997E-7 : f32
// CHECK-NEXT: %[[SHIFTED:[a-z0-9_]+]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK-NEXT: %[[ONE:[a-z0-9_]+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[ROOT:[a-z0-9_]+]] = math.sqrt %[[SHIFTED]] : f32
// CHECK-NEXT: %[[RECIP:[a-z0-9_]+]] = arith.divf %[[ONE]], %[[ROOT]] : f32
// CHECK-NEXT: linalg.yield %[[RECIP]]
// CHECK: %[[Y:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[INV]], %[[W]] : tensor<?x?x64xf32>, tensor<?x?xf32>, tensor<64xf32>) outs(%{{.+}} : tensor<?x?x64xf32>)
// CHECK-NEXT: ^bb0(%[[A:[a-z0-9_]+]]: f32, %[[S:[a-z0-9_]+]]: f32, %[[G:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK-NEXT: %[[NW:[a-z0-9_]+]] = arith.mulf %[[N]], %[[G]] : f32
// CHECK-NEXT: linalg.yield %[[NW]]
// CHECK: tensor.cast %[[Y]]
// CHECK-NOT: retnet.
func.func @rms_norm_weight(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.rms_norm %x weight %w {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_no_weight(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<2x5x32xf32>)
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.constant 3.125000e-02 : f32
// CHECK: math.sqrt
// CHECK: %[[Y:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %{{.+}} : tensor<2x5x32xf32>, tensor<2x5xf32>) outs(%{{.+}} : tensor<2x5x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:[a-z0-9_]+]]: f32, %[[S:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[N]]
// CHECK-NOT: retnet.
func.func @rms_norm_no_weight(%x: tensor<2x5x32xf32>) -> tensor<2x5x32xf32> {
  %y = retnet.rms_norm %x {eps = 0.0 : f64} : tensor<2x5x32xf32>
  return %y : tensor<2x5x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// residual: alpha * x + update, elementwise.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @residual_scaled(
// CHECK-SAME: %[[H:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[F:[a-z0-9_]+]]: tensor<?x?x64xf32>)
// CHECK: %[[Y:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[H]], %[[F]] : tensor<?x?x64xf32>, tensor<?x?x64xf32>)
// CHECK-NEXT: ^bb0(%[[A:[a-z0-9_]+]]: f32, %[[U:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[ALPHA:[a-z0-9_]+]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[SCALED:[a-z0-9_]+]] = arith.mulf %[[A]], %[[ALPHA]] : f32
// CHECK-NEXT: %[[SUM:[a-z0-9_]+]] = arith.addf %[[SCALED]], %[[U]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]]
// CHECK: tensor.cast %[[Y]]
// CHECK-NOT: retnet.
func.func @residual_scaled(%h: tensor<?x?x64xf32>, %f: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.residual %h, %f {alpha = 2.0 : f64} : tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @residual_plain(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: f32, %[[U:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[SUM:[a-z0-9_]+]] = arith.addf %[[A]], %[[U]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]]
// CHECK-NOT: retnet.
func.func @residual_plain(%h: tensor<1x2x8xf32>, %f: tensor<1x2x8xf32>) -> tensor<1x2x8xf32> {
  %y = retnet.residual %h, %f {alpha = 1.0 : f64} : tensor<1x2x8xf32>
  return %y : tensor<1x2x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// msr: in-projection, cos/sin tables of (offset + t) theta in f64, rotated
// q and scaled rotated k, v heads, one retention.parallel with
// decay_sqrt_sum carrying state and offset, per-head norm fused with the
// silu gate, out-projection.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @msr_state_offset_final(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[WIN:[a-z0-9_]+]]: tensor<64x384xf32>, %[[WOUT:[a-z0-9_]+]]: tensor<128x64xf32>, %[[GAMMA:[a-z0-9_]+]]: tensor<2xf64>, %[[S0:[a-z0-9_]+]]: tensor<?x2x32x64xf32>, %[[POS:[a-z0-9_]+]]: index)

// [q | k | v | g] = x W_in
// CHECK: %[[FLAT:[a-z0-9_]+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: %[[QKVG:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[FLAT]], %[[WIN]] : tensor<?x64xf32>, tensor<64x384xf32>) outs(%{{.+}} : tensor<?x384xf32>)
// CHECK: %[[P:[a-z0-9_]+]] = tensor.expand_shape %[[QKVG]] {{.+}} : tensor<?x384xf32> into tensor<?x?x384xf32>

// theta_i = 10000^(-floor(i/2) / 15) for dk = 32, each repeated twice.
// CHECK: %[[THETA:[a-z0-9_]+]] = arith.constant dense<[1.000000e+00, 1.000000e+00, 0.54116952654646366, 0.54116952654646366, 0.29286445646252368, {{.+}}, 1.000000e-04, 1.000000e-04]> : tensor<32xf64>

// CHECK: %[[COS:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[THETA]] : tensor<32xf64>) outs(%{{.+}} : tensor<?x32xf32>)
// CHECK-NEXT: ^bb0(%[[TH:[a-z0-9_]+]]: f64, %{{.+}}: f32):
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT: %[[ABS:[a-z0-9_]+]] = arith.addi %[[POS]], %[[T]] : index
// CHECK-NEXT: %[[ABS64:[a-z0-9_]+]] = arith.index_cast %[[ABS]] : index to i64
// CHECK-NEXT: %[[ABSF:[a-z0-9_]+]] = arith.sitofp %[[ABS64]] : i64 to f64
// CHECK-NEXT: %[[ANGLE:[a-z0-9_]+]] = arith.mulf %[[ABSF]], %[[TH]] : f64
// CHECK-NEXT: %[[C:[a-z0-9_]+]] = math.cos %[[ANGLE]] : f64
// CHECK-NEXT: %[[C32:[a-z0-9_]+]] = arith.truncf %[[C]] : f64 to f32
// CHECK-NEXT: linalg.yield %[[C32]] : f32

// CHECK: %[[SIN:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[THETA]] : tensor<32xf64>) outs(%{{.+}} : tensor<?x32xf32>)
// CHECK: arith.addi %[[POS]], %{{.+}} : index
// CHECK: %[[S:[a-z0-9_]+]] = math.sin %{{.+}} : f64
// CHECK-NEXT: arith.truncf %[[S]] : f64 to f32

// q: columns h * dk + i of the projection, each paired with i + 1 - 2 (i mod 2).
// CHECK: %[[Q:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 32 + d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 32 + d3 - (d3 mod 2) * 2 + 1)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[P]], %[[P]], %[[COS]], %[[SIN]] : tensor<?x?x384xf32>, tensor<?x?x384xf32>, tensor<?x32xf32>, tensor<?x32xf32>) outs(%{{.+}} : tensor<?x2x?x32xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[a-z0-9_]+]]: f32, %[[XP:[a-z0-9_]+]]: f32, %[[CI:[a-z0-9_]+]]: f32, %[[SI:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[I:[a-z0-9_]+]] = linalg.index 3 : index
// CHECK: %[[PARITY:[a-z0-9_]+]] = arith.remui %[[I]], %{{.+}} : index
// CHECK-NEXT: %[[EVEN:[a-z0-9_]+]] = arith.cmpi eq, %[[PARITY]], %{{.+}} : index
// CHECK-NEXT: %[[PS:[a-z0-9_]+]] = arith.mulf %[[XP]], %[[SI]] : f32
// CHECK-NEXT: %[[NPS:[a-z0-9_]+]] = arith.negf %[[PS]] : f32
// CHECK-NEXT: %[[SIGNED:[a-z0-9_]+]] = arith.select %[[EVEN]], %[[NPS]], %[[PS]] : f32
// CHECK-NEXT: %[[XC:[a-z0-9_]+]] = arith.mulf %[[XI]], %[[CI]] : f32
// CHECK-NEXT: %[[ROT:[a-z0-9_]+]] = arith.addf %[[XC]], %[[SIGNED]] : f32
// CHECK-NEXT: linalg.yield %[[ROT]] : f32

// k: the same at columns d + h * dk + i, times dk^-0.5 = 32^-0.5.
// CHECK: %[[K:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 32 + d3 + 64)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 32 + d3 - (d3 mod 2) * 2 + 65)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], {{.+}} ins(%[[P]], %[[P]], %[[COS]], %[[SIN]] : {{.+}}) outs(%{{.+}} : tensor<?x2x?x32xf32>)
// CHECK: %[[KROT:[a-z0-9_]+]] = arith.addf
// CHECK-NEXT: %[[KSCALE:[a-z0-9_]+]] = arith.constant 0.176776692 : f32
// CHECK-NEXT: %[[KS:[a-z0-9_]+]] = arith.mulf %[[KROT]], %[[KSCALE]] : f32
// CHECK-NEXT: linalg.yield %[[KS]] : f32

// v: columns 2 d + h * dv + j.
// CHECK: %[[V:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 64 + d3 + 128)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], {{.+}} ins(%[[P]] : tensor<?x?x384xf32>) outs(%{{.+}} : tensor<?x2x?x64xf32>)

// CHECK: %[[O:[a-z0-9_]+]], %[[FINAL:[a-z0-9_]+]] = retention.parallel %[[Q]], %[[K]], %[[V]] gamma %[[GAMMA]] state %[[S0]] offset %[[POS]] {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x2x?x64xf32>, tensor<?x2x32x64xf32>
// CHECK-NOT: retention.

// Per-head RMS norm of o over dv = 64.
// CHECK: %[[SUMS:[a-z0-9_]+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[O]] : tensor<?x2x?x64xf32>) outs(%{{.+}} : tensor<?x2x?xf32>)
// CHECK: %[[INV:[a-z0-9_]+]] = linalg.generic {{.+}} outs(%[[SUMS]] : tensor<?x2x?xf32>)
// CHECK: arith.constant 1.562500e-02 : f32
// CHECK: math.sqrt

// silu(g) * norm(o), g at columns 2 d + value_dim + c.
// CHECK: %[[GATED:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2 + 256)>, affine_map<(d0, d1, d2) -> (d0, d2 floordiv 64, d1, d2 mod 64)>, affine_map<(d0, d1, d2) -> (d0, d2 floordiv 64, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[P]], %[[O]], %[[INV]] : tensor<?x?x384xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?xf32>) outs(%{{.+}} : tensor<?x?x128xf32>)
// CHECK-NEXT: ^bb0(%[[G:[a-z0-9_]+]]: f32, %[[OV:[a-z0-9_]+]]: f32, %[[SC:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[NORMED:[a-z0-9_]+]] = arith.mulf %[[OV]], %[[SC]] : f32
// CHECK-NEXT: %[[ONE:[a-z0-9_]+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[NG:[a-z0-9_]+]] = arith.negf %[[G]] : f32
// CHECK-NEXT: %[[EXP:[a-z0-9_]+]] = math.exp %[[NG]] : f32
// CHECK-NEXT: %[[DEN:[a-z0-9_]+]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT: %[[SILU:[a-z0-9_]+]] = arith.divf %[[G]], %[[DEN]] : f32
// CHECK-NEXT: %[[OUT:[a-z0-9_]+]] = arith.mulf %[[SILU]], %[[NORMED]] : f32
// CHECK-NEXT: linalg.yield %[[OUT]] : f32

// y = gated W_out
// CHECK: %[[FLAT2:[a-z0-9_]+]] = tensor.collapse_shape %[[GATED]] {{\[\[}}0, 1], [2]] : tensor<?x?x128xf32> into tensor<?x128xf32>
// CHECK: %[[PROD:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[FLAT2]], %[[WOUT]] : tensor<?x128xf32>, tensor<128x64xf32>) outs(%{{.+}} : tensor<?x64xf32>)
// CHECK: %[[Y:[a-z0-9_]+]] = tensor.expand_shape %[[PROD]] {{.+}} : tensor<?x64xf32> into tensor<?x?x64xf32>
// CHECK: %[[CAST:[a-z0-9_]+]] = tensor.cast %[[Y]] : tensor<?x?x64xf32> to tensor<?x?x64xf32>
// CHECK-NEXT: return %[[CAST]], %[[FINAL]] : tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
// CHECK-NOT: retnet.
func.func @msr_state_offset_final(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %gamma: tensor<2xf64>, %s0: tensor<?x2x32x64xf32>, %pos: index) -> (tensor<?x?x64xf32>, tensor<?x2x32x64xf32>) {
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 offset %pos {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
  return %y, %s : tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
}

// -----

// Without state and offset: the rotation and retention start at position 0,
// and retention has no state operand and a single result.
// CHECK-LABEL: func.func @msr_plain(
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[9.687500e-01, 9.843750e-01]> : tensor<2xf64>
// CHECK: arith.addi %[[ZERO:c0(_[0-9]+)?]], %{{.+}} : index
// CHECK: math.cos
// CHECK: arith.addi %[[ZERO]], %{{.+}} : index
// CHECK: math.sin
// CHECK: %[[O:[a-z0-9_]+]] = retention.parallel %{{.+}}, %{{.+}}, %{{.+}} gamma %[[GAMMA]] offset %[[ZERO]] {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x64xf32>, tensor<2xf64> -> tensor<?x2x?x64xf32>{{$}}
// CHECK: math.exp
// CHECK: return
// CHECK-NOT: retnet.
func.func @msr_plain(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) -> tensor<?x?x64xf32> {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// A state without a final state: the state goes in, one result comes out.
// Four heads of dk = 2 (one rotation pair: theta = 1) and dv = 4.
// CHECK-LABEL: func.func @msr_state_only(
// CHECK-SAME: %[[S0:[a-z0-9_]+]]: tensor<1x4x2x4xf32>
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 7.500000e-01, 8.750000e-01, 9.375000e-01]> : tensor<4xf64>
// CHECK: arith.constant dense<1.000000e+00> : tensor<2xf64>
// CHECK: arith.constant 0.707106769 : f32
// CHECK: retention.parallel %{{.+}}, %{{.+}}, %{{.+}} gamma %[[GAMMA]] state %[[S0]] offset %{{.+}} {scaling = #retention.scaling<decay_sqrt_sum>} : tensor<1x4x3x2xf32>, tensor<1x4x3x2xf32>, tensor<1x4x3x4xf32>, tensor<4xf64>, tensor<1x4x2x4xf32> -> tensor<1x4x3x4xf32>{{$}}
// CHECK-NOT: retnet.
func.func @msr_state_only(%x: tensor<1x3x8xf32>, %win: tensor<8x48xf32>, %wout: tensor<16x8xf32>, %s0: tensor<1x4x2x4xf32>) -> tensor<1x3x8xf32> {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  %y = retnet.msr %x, %win, %wout, %gamma state %s0 {eps = 0.0 : f64} : tensor<1x3x8xf32>, tensor<8x48xf32>, tensor<16x8xf32>, tensor<4xf64>, tensor<1x4x2x4xf32> -> tensor<1x3x8xf32>
  return %y : tensor<1x3x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// glu: x W_up, its two halves as slices, act(half 0) * half 1, then W_down.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @glu_gelu(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[UP:[a-z0-9_]+]]: tensor<64x256xf32>, %[[DOWN:[a-z0-9_]+]]: tensor<128x64xf32>)
// CHECK: %[[FLAT:[a-z0-9_]+]] = tensor.collapse_shape %[[X]]
// CHECK: %[[PROD:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[FLAT]], %[[UP]] : tensor<?x64xf32>, tensor<64x256xf32>)
// CHECK: %[[H:[a-z0-9_]+]] = tensor.expand_shape %[[PROD]] {{.+}} into tensor<?x?x256xf32>
// CHECK: %[[B:[a-z0-9_]+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x64xf32>
// CHECK: %[[T:[a-z0-9_]+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x64xf32>
// CHECK: %[[A:[a-z0-9_]+]] = tensor.extract_slice %[[H]][0, 0, 0] [%[[B]], %[[T]], 128] [1, 1, 1] : tensor<?x?x256xf32> to tensor<?x?x128xf32>
// CHECK: %[[GATE:[a-z0-9_]+]] = tensor.extract_slice %[[H]][0, 0, 128] [%[[B]], %[[T]], 128] [1, 1, 1] : tensor<?x?x256xf32> to tensor<?x?x128xf32>
// CHECK: %[[ACT:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[A]], %[[GATE]] : tensor<?x?x128xf32>, tensor<?x?x128xf32>) outs(%{{.+}} : tensor<?x?x128xf32>)
// CHECK-NEXT: ^bb0(%[[AI:[a-z0-9_]+]]: f32, %[[GI:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[HALF:[a-z0-9_]+]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[ONE:[a-z0-9_]+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[RSQRT2:[a-z0-9_]+]] = arith.constant 0.707106769 : f32
// CHECK-NEXT: %[[XS:[a-z0-9_]+]] = arith.mulf %[[AI]], %[[RSQRT2]] : f32
// CHECK-NEXT: %[[ERF:[a-z0-9_]+]] = math.erf %[[XS]] : f32
// CHECK-NEXT: %[[ONEP:[a-z0-9_]+]] = arith.addf %[[ONE]], %[[ERF]] : f32
// CHECK-NEXT: %[[FACTOR:[a-z0-9_]+]] = arith.mulf %[[HALF]], %[[ONEP]] : f32
// CHECK-NEXT: %[[GELU:[a-z0-9_]+]] = arith.mulf %[[AI]], %[[FACTOR]] : f32
// CHECK-NEXT: %[[PRODUCT:[a-z0-9_]+]] = arith.mulf %[[GELU]], %[[GI]] : f32
// CHECK-NEXT: linalg.yield %[[PRODUCT]] : f32
// CHECK-NOT: math.exp
// CHECK: %[[FLAT2:[a-z0-9_]+]] = tensor.collapse_shape %[[ACT]] {{\[\[}}0, 1], [2]] : tensor<?x?x128xf32> into tensor<?x128xf32>
// CHECK: linalg.generic {{.+}} ins(%[[FLAT2]], %[[DOWN]] : tensor<?x128xf32>, tensor<128x64xf32>)
// CHECK: tensor.expand_shape {{.+}} into tensor<?x?x64xf32>
// CHECK-NOT: retnet.
func.func @glu_gelu(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) -> tensor<?x?x64xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @glu_swish(
// CHECK: %[[H:[a-z0-9_]+]] = tensor.expand_shape %{{.+}} into tensor<2x3x32xf32>
// CHECK: %[[A:[a-z0-9_]+]] = tensor.extract_slice %[[H]][0, 0, 0] [2, 3, 16] [1, 1, 1] : tensor<2x3x32xf32> to tensor<2x3x16xf32>
// CHECK: %[[GATE:[a-z0-9_]+]] = tensor.extract_slice %[[H]][0, 0, 16] [2, 3, 16] [1, 1, 1] : tensor<2x3x32xf32> to tensor<2x3x16xf32>
// CHECK: linalg.generic {{.+}} ins(%[[A]], %[[GATE]] : tensor<2x3x16xf32>, tensor<2x3x16xf32>)
// CHECK-NEXT: ^bb0(%[[AI:[a-z0-9_]+]]: f32, %[[GI:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[ONE:[a-z0-9_]+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[NEG:[a-z0-9_]+]] = arith.negf %[[AI]] : f32
// CHECK-NEXT: %[[EXP:[a-z0-9_]+]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:[a-z0-9_]+]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT: %[[SILU:[a-z0-9_]+]] = arith.divf %[[AI]], %[[DEN]] : f32
// CHECK-NEXT: %[[PRODUCT:[a-z0-9_]+]] = arith.mulf %[[SILU]], %[[GI]] : f32
// CHECK-NEXT: linalg.yield %[[PRODUCT]] : f32
// CHECK-NOT: math.erf
// CHECK: tensor.expand_shape {{.+}} into tensor<2x3x8xf32>
// CHECK-NOT: retnet.
func.func @glu_swish(%x: tensor<2x3x8xf32>, %up: tensor<8x32xf32>, %down: tensor<16x8xf32>) -> tensor<2x3x8xf32> {
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<swish>} : tensor<2x3x8xf32>, tensor<8x32xf32>, tensor<16x8xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ffn: relu(x W1 + b1) in one elementwise op, the LayerNorm over ffn (mean,
// centred, biased variance, scale, weight and bias), then W2 and + b2.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @ffn_norm(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x8xf32>, %[[W1:[a-z0-9_]+]]: tensor<8x12xf32>, %[[B1:[a-z0-9_]+]]: tensor<12xf32>, %[[W2:[a-z0-9_]+]]: tensor<12x8xf32>, %[[B2:[a-z0-9_]+]]: tensor<8xf32>, %[[LW:[a-z0-9_]+]]: tensor<12xf32>, %[[LB:[a-z0-9_]+]]: tensor<12xf32>)
// CHECK: %[[UP:[a-z0-9_]+]] = tensor.expand_shape %{{.+}} into tensor<?x?x12xf32>
// CHECK: %[[H:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[UP]], %[[B1]] : tensor<?x?x12xf32>, tensor<12xf32>)
// CHECK-NEXT: ^bb0(%[[HI:[a-z0-9_]+]]: f32, %[[BI:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[SUM:[a-z0-9_]+]] = arith.addf %[[HI]], %[[BI]] : f32
// CHECK-NEXT: %[[ZERO:[a-z0-9_]+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[RELU:[a-z0-9_]+]] = arith.maximumf %[[SUM]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[RELU]] : f32
// CHECK: %[[SUMS:[a-z0-9_]+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[H]] : tensor<?x?x12xf32>)
// CHECK: %[[MEAN:[a-z0-9_]+]] = linalg.generic {{.+}} outs(%[[SUMS]] : tensor<?x?xf32>)
// CHECK: arith.constant 0.0833333358 : f32
// CHECK: %[[CENTRED:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[H]], %[[MEAN]] : tensor<?x?x12xf32>, tensor<?x?xf32>)
// CHECK: arith.subf
// CHECK: %[[SQUARES:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[CENTRED]] : tensor<?x?x12xf32>)
// CHECK: %[[INV:[a-z0-9_]+]] = linalg.generic {{.+}} outs(%[[SQUARES]] : tensor<?x?xf32>)
// CHECK: arith.constant 9.99999974E-6 : f32
// CHECK: math.sqrt
// CHECK: %[[NORMED:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[CENTRED]], %[[INV]], %[[LW]], %[[LB]] : tensor<?x?x12xf32>, tensor<?x?xf32>, tensor<12xf32>, tensor<12xf32>)
// CHECK: tensor.collapse_shape %[[NORMED]]
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[W2]] : tensor<?x12xf32>, tensor<12x8xf32>)
// CHECK: %[[DOWN:[a-z0-9_]+]] = tensor.expand_shape %{{.+}} into tensor<?x?x8xf32>
// CHECK: linalg.generic {{.+}} ins(%[[DOWN]], %[[B2]] : tensor<?x?x8xf32>, tensor<8xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
// CHECK-NOT: retnet.
func.func @ffn_norm(%x: tensor<?x?x8xf32>, %w1: tensor<8x12xf32>, %b1: tensor<12xf32>, %w2: tensor<12x8xf32>, %b2: tensor<8xf32>, %lw: tensor<12xf32>, %lb: tensor<12xf32>) -> tensor<?x?x8xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<relu>, eps = 1.0e-5 : f64} : tensor<?x?x8xf32>, tensor<8x12xf32>, tensor<12xf32>, tensor<12x8xf32>, tensor<8xf32>, tensor<12xf32>, tensor<12xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Without a norm: the activation of x W1 + b1 goes straight into W2.
// CHECK-LABEL: func.func @ffn_gelu(
// CHECK: %[[H:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<2x3x12xf32>, tensor<12xf32>)
// CHECK: math.erf
// CHECK-NOT: math.sqrt
// CHECK: tensor.collapse_shape %[[H]]
// CHECK-NOT: retnet.
func.func @ffn_gelu(%x: tensor<2x3x8xf32>, %w1: tensor<8x12xf32>, %b1: tensor<12xf32>, %w2: tensor<12x8xf32>, %b2: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<gelu>} : tensor<2x3x8xf32>, tensor<8x12xf32>, tensor<12xf32>, tensor<12x8xf32>, tensor<8xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// Rows at their own positions (row_offsets): the angle tables are [B, T, dk]
// of (row_offsets[b] + t) theta, retention runs without offset and without
// scaling, and the decay_sqrt_sum scale s of each row's positions, [B, H, T]
// from row_offsets and ln gamma, goes into the per-head norm's factor,
// s / sqrt(s^2 sum(o^2) / dv + eps), so that the gate's s o / rms(s o) is
// o times that factor: s o itself is never formed.
// CHECK-LABEL: func.func @msr_row_offsets(
// CHECK-SAME: %[[GAMMA:[a-z0-9_]+]]: tensor<2xf64>, %[[S0:[a-z0-9_]+]]: tensor<?x2x32x64xf32>, %[[ROWS:[a-z0-9_]+]]: tensor<?xi64>)
// CHECK: %[[COS:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], {{.+}} ins(%{{.+}}, %[[ROWS]] : tensor<32xf64>, tensor<?xi64>) outs(%{{.+}} : tensor<?x?x32xf32>)
// CHECK-NEXT: ^bb0(%{{.+}}: f64, %[[FIRST:[a-z0-9_]+]]: i64, %{{.+}}: f32):
// CHECK-NEXT: %[[FIRSTI:[a-z0-9_]+]] = arith.index_cast %[[FIRST]] : i64 to index
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = linalg.index 1 : index
// CHECK-NEXT: arith.addi %[[FIRSTI]], %[[T]] : index
// CHECK: math.cos
// CHECK: math.sin
// CHECK: linalg.generic {indexing_maps = [{{.+}}, {{.+}}, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, {{.+}}]
// CHECK: %[[O:[a-z0-9_]+]], %[[S:[a-z0-9_]+]] = retention.parallel %{{.+}}, %{{.+}}, %{{.+}} gamma %[[GAMMA]] state %[[S0]] : tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x2x?x64xf32>, tensor<?x2x32x64xf32>
// CHECK: %[[SCALES:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], {{.+}} ins(%[[ROWS]], %[[GAMMA]] : tensor<?xi64>, tensor<2xf64>) outs(%{{.+}} : tensor<?x2x?xf32>)
// CHECK: math.log
// CHECK: math.expm1
// CHECK: math.sqrt
// CHECK: %[[SUMS:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[O]] : tensor<?x2x?x64xf32>) outs(%{{.+}} : tensor<?x2x?xf32>)
// CHECK: %[[FACTORS:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[SCALES]] : tensor<?x2x?xf32>) outs(%[[SUMS]] : tensor<?x2x?xf32>)
// CHECK-NEXT: ^bb0(%[[SV:[a-z0-9_]+]]: f32, %[[SUM:[a-z0-9_]+]]: f32):
// CHECK-NEXT: %[[S2:[a-z0-9_]+]] = arith.mulf %[[SV]], %[[SV]] : f32
// CHECK-NEXT: %[[S2SUM:[a-z0-9_]+]] = arith.mulf %[[S2]], %[[SUM]] : f32
// CHECK: math.sqrt
// CHECK: %[[INV:[a-z0-9_]+]] = arith.divf
// CHECK-NEXT: %[[FACTOR:[a-z0-9_]+]] = arith.mulf %[[SV]], %[[INV]] : f32
// CHECK-NEXT: linalg.yield %[[FACTOR]] : f32
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[O]], %[[FACTORS]] : tensor<?x?x384xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?xf32>) outs(%{{.+}} : tensor<?x?x128xf32>)
// CHECK: return %{{.+}}, %[[S]]
func.func @msr_row_offsets(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %gamma: tensor<2xf64>, %s0: tensor<?x2x32x64xf32>, %rows: tensor<?xi64>) -> (tensor<?x?x64xf32>, tensor<?x2x32x64xf32>) {
  %y, %s = retnet.msr %x, %win, %wout, %gamma state %s0 row_offsets %rows : tensor<?xi64> {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x32x64xf32> -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
  return %y, %s : tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// dequantize: int8 weights with a scale per output channel. A product
// multiplies by the int8 matrix (converted exactly in its body) and scales
// its result's columns once; no f32 copy of the matrix is made.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear_int8(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[Q:[a-z0-9_]+]]: tensor<64x256xi8>, %[[S:[a-z0-9_]+]]: tensor<256xf32>)
// CHECK: %[[PRODUCT:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[Q]] : tensor<?x64xf32>, tensor<64x256xi8>)
// CHECK-NEXT: ^bb0(%[[L:[a-z0-9_]+]]: f32, %[[R:[a-z0-9_]+]]: i8, %[[ACC:[a-z0-9_]+]]: f32):
// CHECK-NEXT: %[[WIDE:[a-z0-9_]+]] = arith.sitofp %[[R]] : i8 to f32
// CHECK-NEXT: %[[MUL:[a-z0-9_]+]] = arith.mulf %[[L]], %[[WIDE]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[MUL]] : f32
// CHECK: %[[SCALED:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[S]] : tensor<256xf32>) outs(%[[PRODUCT]] : tensor<?x256xf32>)
// CHECK-NEXT: ^bb0(%[[SCALE:[a-z0-9_]+]]: f32, %[[SUM:[a-z0-9_]+]]: f32):
// CHECK-NEXT: arith.mulf %[[SUM]], %[[SCALE]] : f32
// CHECK: tensor.expand_shape %[[SCALED]]
// CHECK-NOT: 64x256xf32
func.func @linear_int8(%x: tensor<?x?x64xf32>, %q: tensor<64x256xi8>, %s: tensor<256xf32>) -> tensor<?x?x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}

// -----

// The embedding gathers int8 rows and scales each by its token's scale.
// CHECK-LABEL: func.func @embedding_int8(
// CHECK-SAME: %[[TOKENS:[a-z0-9_]+]]: tensor<?x?xi32>, %[[Q:[a-z0-9_]+]]: tensor<100x64xi8>, %[[S:[a-z0-9_]+]]: tensor<100xf32>)
// CHECK: linalg.generic
// CHECK: %[[ROW:[a-z0-9_]+]] = arith.index_cast %{{.+}} : i32 to index
// CHECK: %[[COLUMN:[a-z0-9_]+]] = linalg.index 2 : index
// CHECK: %[[ELEMENT:[a-z0-9_]+]] = tensor.extract %[[Q]][%[[ROW]], %[[COLUMN]]] : tensor<100x64xi8>
// CHECK: %[[WIDE:[a-z0-9_]+]] = arith.sitofp %[[ELEMENT]] : i8 to f32
// CHECK: %[[SCALE:[a-z0-9_]+]] = tensor.extract %[[S]][%[[ROW]]] : tensor<100xf32>
// CHECK: arith.mulf %[[WIDE]], %[[SCALE]] : f32
// CHECK-NOT: 100x64xf32
func.func @embedding_int8(%tokens: tensor<?x?xi32>, %q: tensor<100x64xi8>, %s: tensor<100xf32>) -> tensor<?x?x64xf32> {
  %table = retnet.dequantize %q, %s {axis = 0 : i64} : tensor<100x64xi8>, tensor<100xf32> -> tensor<100x64xf32>
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  return %h : tensor<?x?x64xf32>
}

// -----

// Any other use reads the matrix dequantized elementwise.
// CHECK-LABEL: func.func @dequantize_returned(
// CHECK-SAME: %[[Q:[a-z0-9_]+]]: tensor<64x256xi8>, %[[S:[a-z0-9_]+]]: tensor<64xf32>)
// CHECK: %[[W:[a-z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[Q]], %[[S]] : tensor<64x256xi8>, tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[E:[a-z0-9_]+]]: i8, %[[SCALE:[a-z0-9_]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[WIDE:[a-z0-9_]+]] = arith.sitofp %[[E]] : i8 to f32
// CHECK-NEXT: arith.mulf %[[WIDE]], %[[SCALE]] : f32
// CHECK: return %[[W]]
func.func @dequantize_returned(%q: tensor<64x256xi8>, %s: tensor<64xf32>) -> tensor<64x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 0 : i64} : tensor<64x256xi8>, tensor<64xf32> -> tensor<64x256xf32>
  return %w : tensor<64x256xf32>
}

// -----

//===----------------------------------------------------------------------===//
// dequantize with a scale per group of 32 rows (k) of each column: the
// product converts each int8 weight and multiplies it by its group's scale
// in its body, the scales read at (k floordiv 32, n).
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear_int8_groups(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<?x?x64xf32>, %[[Q:[a-z0-9_]+]]: tensor<64x256xi8>, %[[S:[a-z0-9_]+]]: tensor<2x256xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[Q]], %[[S]] : tensor<?x64xf32>, tensor<64x256xi8>, tensor<2x256xf32>)
// CHECK-NEXT: ^bb0(%[[L:[a-z0-9_]+]]: f32, %[[R:[a-z0-9_]+]]: i8, %[[SCALE:[a-z0-9_]+]]: f32, %[[ACC:[a-z0-9_]+]]: f32):
// CHECK-NEXT: %[[WIDE:[a-z0-9_]+]] = arith.sitofp %[[R]] : i8 to f32
// CHECK-NEXT: %[[WEIGHT:[a-z0-9_]+]] = arith.mulf %[[WIDE]], %[[SCALE]] : f32
// CHECK-NEXT: %[[MUL:[a-z0-9_]+]] = arith.mulf %[[L]], %[[WEIGHT]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[MUL]] : f32
// CHECK-NOT: 64x256xf32
func.func @linear_int8_groups(%x: tensor<?x?x64xf32>, %q: tensor<64x256xi8>, %s: tensor<2x256xf32>) -> tensor<?x?x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 32 : i64} : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32> -> tensor<?x?x256xf32>
  return %y : tensor<?x?x256xf32>
}

// -----

// The embedding scales each gathered element by the scale of its row's
// group of 16 columns.
// CHECK-LABEL: func.func @embedding_int8_groups(
// CHECK-SAME: %[[TOKENS:[a-z0-9_]+]]: tensor<?x?xi32>, %[[Q:[a-z0-9_]+]]: tensor<100x64xi8>, %[[S:[a-z0-9_]+]]: tensor<100x4xf32>)
// CHECK: %[[ROW:[a-z0-9_]+]] = arith.index_cast %{{.+}} : i32 to index
// CHECK: %[[COLUMN:[a-z0-9_]+]] = linalg.index 2 : index
// CHECK: %[[ELEMENT:[a-z0-9_]+]] = tensor.extract %[[Q]][%[[ROW]], %[[COLUMN]]] : tensor<100x64xi8>
// CHECK: %[[GROUP:[a-z0-9_]+]] = arith.divui %[[COLUMN]], %{{.+}} : index
// CHECK: %[[WIDE:[a-z0-9_]+]] = arith.sitofp %[[ELEMENT]] : i8 to f32
// CHECK: %[[SCALE:[a-z0-9_]+]] = tensor.extract %[[S]][%[[ROW]], %[[GROUP]]] : tensor<100x4xf32>
// CHECK: arith.mulf %[[WIDE]], %[[SCALE]] : f32
// CHECK-NOT: 100x64xf32
func.func @embedding_int8_groups(%tokens: tensor<?x?xi32>, %q: tensor<100x64xi8>, %s: tensor<100x4xf32>) -> tensor<?x?x64xf32> {
  %table = retnet.dequantize %q, %s {axis = 0 : i64, group = 16 : i64} : tensor<100x64xi8>, tensor<100x4xf32> -> tensor<100x64xf32>
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
  return %h : tensor<?x?x64xf32>
}

// -----

// Any other use of grouped scales reads them at (row, column floordiv 16).
// CHECK-LABEL: func.func @dequantize_groups_returned(
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1 floordiv 16)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
func.func @dequantize_groups_returned(%q: tensor<64x256xi8>, %s: tensor<64x16xf32>) -> tensor<64x256xf32> {
  %w = retnet.dequantize %q, %s {axis = 0 : i64, group = 16 : i64} : tensor<64x256xi8>, tensor<64x16xf32> -> tensor<64x256xf32>
  return %w : tensor<64x256xf32>
}
