// RUN: retnet-opt %s -retnet-tile-elementwise -canonicalize -cse -split-input-file | FileCheck %s
// RUN: retnet-opt %s -retnet-tile-elementwise="rows=4" -split-input-file | FileCheck %s --check-prefix=ROWS4
// RUN: not retnet-opt %s -retnet-tile-elementwise="rows=0" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: retnet-tile-elementwise: rows must be positive

#x = affine_map<(b, t, d) -> (b, t, d)>
#row = affine_map<(b, t, d) -> (b, t)>
#w = affine_map<(b, t, d) -> (d)>
#rowOnly = affine_map<(b, t) -> (b, t)>

// A residual add, then an RMS norm (sum of squares over the row, its
// inverse root, the scaling): one chain, ending at the scaling, tiled into
// one scf.forall over batch rows (1) and tokens (16), the row whole, with
// the add, the sum, the root and the fill they start from computed per tile.
// CHECK-LABEL: func @norm_chain
// CHECK-NOT: linalg.generic
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, %{{.*}}) step (1, 16) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?x?x64xf32>)
// CHECK:   %[[SUM:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x?x64xf32>)
// CHECK:     arith.addf
// CHECK:   %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<1x?xf32>
// CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[SUM]] : tensor<1x?x64xf32>) outs(%[[ZERO]] : tensor<1x?xf32>)
// CHECK:   math.rsqrt
// CHECK:   linalg.generic {{.*}} ins(%[[SUM]], %{{.*}}, %{{.*}} : tensor<1x?x64xf32>, tensor<1x?xf32>, tensor<64xf32>) outs(%{{.*}} : tensor<1x?x64xf32>)
// CHECK:   scf.forall.in_parallel
// CHECK-NOT: linalg.generic
// CHECK: return
// ROWS4-LABEL: func @norm_chain
// ROWS4: scf.forall {{.*}} step (1, 4)
func.func @norm_chain(%h: tensor<?x?x64xf32>, %f: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %h, %c0 : tensor<?x?x64xf32>
  %t = tensor.dim %h, %c1 : tensor<?x?x64xf32>
  %e = tensor.empty(%b, %t) : tensor<?x?x64xf32>
  %sum = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel", "parallel"]} ins(%h, %f : tensor<?x?x64xf32>, tensor<?x?x64xf32>) outs(%e : tensor<?x?x64xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<?x?x64xf32>
  %re = tensor.empty(%b, %t) : tensor<?x?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%re : tensor<?x?xf32>) -> tensor<?x?xf32>
  %squares = linalg.generic {indexing_maps = [#x, #row], iterator_types = ["parallel", "parallel", "reduction"]} ins(%sum : tensor<?x?x64xf32>) outs(%init : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %inverse = linalg.generic {indexing_maps = [#rowOnly], iterator_types = ["parallel", "parallel"]} outs(%squares : tensor<?x?xf32>) {
  ^bb0(%o: f32):
    %r = math.rsqrt %o : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %scaled = linalg.generic {indexing_maps = [#x, #row, #w, #x], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sum, %inverse, %w : tensor<?x?x64xf32>, tensor<?x?xf32>, tensor<64xf32>) outs(%e : tensor<?x?x64xf32>) {
  ^bb0(%a: f32, %s: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %s : f32
    %r = arith.mulf %m, %g : f32
    linalg.yield %r : f32
  } -> tensor<?x?x64xf32>
  return %scaled : tensor<?x?x64xf32>
}

// -----

#x = affine_map<(b, t, d) -> (b, t, d)>
#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// A residual add that is a result of its own and feeds another chain (to a
// product's operand, through a reshape) is a chain of its own and is
// computed again in the other's tiles; the matrix product and the work
// already inside an scf.forall are left alone. One batch row: the loop over
// it is gone.
// CHECK-LABEL: func @shared_producer
// CHECK-NOT: linalg.generic
// CHECK: %[[SUM:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   arith.addf
// CHECK-NOT: arith.mulf
// CHECK: scf.forall.in_parallel
// CHECK: %[[TWICE:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   arith.addf
// CHECK:   arith.mulf
// CHECK: tensor.collapse_shape %[[TWICE]]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK:   linalg.generic
// CHECK:   scf.forall.in_parallel
// CHECK-NOT: scf.forall
// CHECK: return %[[SUM]]
func.func @shared_producer(%h: tensor<1x?x64xf32>, %f: tensor<1x?x64xf32>, %m: tensor<64x32xf32>, %acc: tensor<?x32xf32>, %z: tensor<4x8xf32>) -> (tensor<1x?x64xf32>, tensor<?x32xf32>, tensor<4x8xf32>) {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %h, %c1 : tensor<1x?x64xf32>
  %e = tensor.empty(%t) : tensor<1x?x64xf32>
  %sum = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel", "parallel"]} ins(%h, %f : tensor<1x?x64xf32>, tensor<1x?x64xf32>) outs(%e : tensor<1x?x64xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x?x64xf32>
  %twice = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sum : tensor<1x?x64xf32>) outs(%e : tensor<1x?x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %r = arith.mulf %a, %two : f32
    linalg.yield %r : f32
  } -> tensor<1x?x64xf32>
  %rows = tensor.collapse_shape %twice [[0, 1], [2]] : tensor<1x?x64xf32> into tensor<?x64xf32>
  %p = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%rows, %m : tensor<?x64xf32>, tensor<64x32xf32>) outs(%acc : tensor<?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %x = arith.mulf %a, %b : f32
    %r = arith.addf %o, %x : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  %threads = scf.forall (%i) in (4) shared_outs(%out = %z) -> (tensor<4x8xf32>) {
    %row = tensor.extract_slice %out[%i, 0] [1, 8] [1, 1] : tensor<4x8xf32> to tensor<1x8xf32>
    %neg = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]} outs(%row : tensor<1x8xf32>) {
    ^bb0(%o: f32):
      %r = arith.negf %o : f32
      linalg.yield %r : f32
    } -> tensor<1x8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %neg into %out[%i, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<4x8xf32>
    }
  }
  return %sum, %p, %threads : tensor<1x?x64xf32>, tensor<?x32xf32>, tensor<4x8xf32>
}
