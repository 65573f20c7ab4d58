// RUN: retnet-opt %s -retnet-fold-weight-panels -split-input-file | FileCheck %s

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// A product whose right operand is unpacked from panels [N/32, K, 32] reads
// the panels: loops (m, n1, n0, k) on the result expanded to [M, N/32, 32],
// collapsed back to [M, N]. No unpack is left.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d2)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @folded
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xf32>, %[[PANELS:.+]]: tensor<4x64x32xf32>
// CHECK-NOT: linalg.unpack
// CHECK: %[[INIT:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2]] output_shape [%{{.+}}, 4, 32] : tensor<?x128xf32> into tensor<?x4x32xf32>
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[X]], %[[PANELS]] : tensor<?x64xf32>, tensor<4x64x32xf32>) outs(%[[INIT]] : tensor<?x4x32xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.collapse_shape %[[P]] {{\[}}[0], [1, 2]] : tensor<?x4x32xf32> into tensor<?x128xf32>
func.func @folded(%a: tensor<?x64xf32>, %bp: tensor<4x64x32xf32>, %c: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %b = linalg.unpack %bp outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [32] into %e : tensor<4x64x32xf32> -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x64xf32>, tensor<64x128xf32>) outs(%c : tensor<?x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// An unpack that also feeds something other than a product: the product
// reads the panels, the other user a copy made by upstream's decomposition
// (transpose, reshape); no unpack is left.
// CHECK-LABEL: func @shared
// CHECK-NOT: linalg.unpack
// CHECK: linalg.transpose
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @shared(%a: tensor<?x64xf32>, %bp: tensor<4x64x32xf32>, %c: tensor<?x128xf32>) -> (tensor<?x128xf32>, tensor<64x128xf32>) {
  %e = tensor.empty() : tensor<64x128xf32>
  %b = linalg.unpack %bp outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [32] into %e : tensor<4x64x32xf32> -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x64xf32>, tensor<64x128xf32>) outs(%c : tensor<?x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  return %r, %b : tensor<?x128xf32>, tensor<64x128xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (j, r)>
#out = affine_map<(i, j, r) -> (i, j)>

// A product that reads the matrix transposed (B[n, k]) is not A * B: the
// unpack is lowered to a copy and the product is left as it is.
// CHECK-LABEL: func @transposed_use
// CHECK-NOT: linalg.unpack
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
func.func @transposed_use(%a: tensor<?x128xf32>, %bp: tensor<4x64x32xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %b = linalg.unpack %bp outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [32] into %e : tensor<4x64x32xf32> -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x128xf32>, tensor<64x128xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// Another packing (panels of rows, inner_dims_pos = [0]) is not the weight
// layout: lowered to a copy, the product left as it is.
// CHECK-LABEL: func @other_packing
// CHECK-NOT: linalg.unpack
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
func.func @other_packing(%a: tensor<?x64xf32>, %bp: tensor<2x128x32xf32>, %c: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %b = linalg.unpack %bp inner_dims_pos = [0] inner_tiles = [32] into %e : tensor<2x128x32xf32> -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x64xf32>, tensor<64x128xf32>) outs(%c : tensor<?x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#scales = affine_map<(i, j, r) -> (r floordiv 32, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// int8 weights with a scale per group of 32 rows: the scales [K/32, N] are
// unpacked from panels of the weights' width, [N/32, K/32, 32], and the
// panel product reads both panels, the scales at (n1, k floordiv 32, n0).
// CHECK-DAG: #[[S:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3 floordiv 32, d2)>
// CHECK-LABEL: func @group_scales
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xf32>, %[[PANELS:.+]]: tensor<4x64x32xi8>, %[[SCALES:.+]]: tensor<4x2x32xf32>
// CHECK-NOT: linalg.unpack
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[S]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[X]], %[[PANELS]], %[[SCALES]] : tensor<?x64xf32>, tensor<4x64x32xi8>, tensor<4x2x32xf32>)
// CHECK: arith.sitofp
// CHECK: tensor.collapse_shape
func.func @group_scales(%a: tensor<?x64xf32>, %bp: tensor<4x64x32xi8>, %sp: tensor<4x2x32xf32>, %c: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %e = tensor.empty() : tensor<64x128xi8>
  %b = linalg.unpack %bp outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [32] into %e : tensor<4x64x32xi8> -> tensor<64x128xi8>
  %es = tensor.empty() : tensor<2x128xf32>
  %s = linalg.unpack %sp outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [32] into %es : tensor<4x2x32xf32> -> tensor<2x128xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #scales, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b, %s : tensor<?x64xf32>, tensor<64x128xi8>, tensor<2x128xf32>) outs(%c : tensor<?x128xf32>) {
  ^bb0(%x: f32, %q: i8, %f: f32, %acc: f32):
    %w = arith.sitofp %q : i8 to f32
    %ws = arith.mulf %w, %f : f32
    %p = arith.mulf %x, %ws : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  } -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}
