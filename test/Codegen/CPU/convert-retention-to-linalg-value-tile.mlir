// RUN: retnet-opt %s -convert-retention-to-linalg=value-tile=8 -canonicalize -cse | FileCheck %s
// RUN: retnet-opt %s -convert-retention-to-linalg=value-tile=5 -canonicalize -cse | FileCheck %s --check-prefix=WHOLE
// RUN: retnet-opt %s -convert-retention-to-linalg -canonicalize -cse | FileCheck %s --check-prefix=WHOLE

// With value-tile=8, the 16 value columns of each head split in 2 tiles:
// the loop runs over batch x heads x 2, each tile reading its head's q and
// k whole and 8 columns of v and of the state, and decomposing on them.
// A tile that does not divide the columns (5), or none, keeps whole heads.

// CHECK-LABEL: func @recurrent_value_tiles
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[C:.*]]) = (0, 0, 0) to (%{{.*}}, 2, 16) step (1, 1, 8)
// CHECK:   tensor.extract_slice %{{.*}}[%[[B]], %[[H]], 0, 0] [1, 1, %{{.*}}, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> to tensor<1x1x?x4xf32>
// CHECK:   tensor.extract_slice %{{.*}}[%[[B]], %[[H]], 0, %[[C]]] [1, 1, %{{.*}}, 8] [1, 1, 1, 1] : tensor<?x2x?x16xf32> to tensor<1x1x?x8xf32>
// CHECK:   scf.for
// CHECK:     linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8xf32>)
// CHECK:   tensor.parallel_insert_slice %{{.*}}[%[[B]], %[[H]], 0, %[[C]]] [1, 1, %{{.*}}, 8] [1, 1, 1, 1]
// CHECK-NOT: retention.
// WHOLE-LABEL: func @recurrent_value_tiles
// WHOLE: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 2) shared_outs
// WHOLE:   linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16xf32>)
func.func @recurrent_value_tiles(%q: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x16xf32>, %s0: tensor<?x2x4x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x4x16xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  %o, %s = retention.recurrent %q, %q, %v gamma %gamma state %s0 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x16xf32>, tensor<2xf64>, tensor<?x2x4x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x4x16xf32>
  return %o, %s : tensor<?x2x?x16xf32>, tensor<?x2x4x16xf32>
}
