// RUN: retnet-opt %s -retnet-forall-to-gpu-launch -cse -split-input-file -verify-diagnostics | FileCheck %s

// A block loop becomes a gpu.launch with one block per iteration; its
// threads are those of the widest thread loop (128); the narrower one (64)
// runs under thread_id < 64; every thread loop ends with a barrier; the
// workgroup tile becomes a workgroup attribution. A dynamic grid of zero
// blocks launches nothing. The thread loops are mapped by upstream's
// mapNestedForallToThreadsImpl.

// CHECK-LABEL: func @phases
// CHECK-SAME: (%[[OUT:.*]]: memref<?x64xf32>, %[[N:.*]]: index)
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi ne, %{{.*}}, %c0
// CHECK: scf.if %[[NONEMPTY]] {
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[N]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[TILE:.*]] : memref<64xf32, #gpu.address_space<workgroup>>) {
// CHECK:   %[[TX:.*]] = gpu.thread_id x
// CHECK:   %[[ACTIVE:.*]] = arith.cmpi ult, %[[TX]], %c64
// CHECK:   scf.if %[[ACTIVE]] {
// CHECK:     memref.store %{{.*}}, %[[TILE]][%[[TX]]]
// CHECK:   }
// CHECK:   gpu.barrier
// The loop as wide as the block is not predicated: the only guard left is
// the loop body's own (thread < 64, the same value after CSE).
// CHECK:   scf.for
// CHECK-NEXT: scf.if %[[ACTIVE]] {
// CHECK-NEXT: memref.load %[[TILE]][%[[TX]]]
// CHECK:     memref.store %{{.*}}, %[[OUT]][%[[BX]], %[[TX]]]
// CHECK:     gpu.barrier
// CHECK:   }
// CHECK:   gpu.terminator
// CHECK-NOT: scf.forall
func.func @phases(%out: memref<?x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (%n) {
    %tile = memref.alloca() : memref<64xf32, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<x>]}
    scf.for %i = %c0 to %n step %c1 {
      scf.forall (%t) in (128) {
        %c64 = arith.constant 64 : index
        %in = arith.cmpi ult, %t, %c64 : index
        scf.if %in {
          %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
          memref.store %v, %out[%b, %t] : memref<?x64xf32>
        }
      } {mapping = [#gpu.thread<x>]}
    }
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Block indices follow the mapping: (i, j) mapped to (y, x). A static grid
// needs no guard.

// CHECK-LABEL: func @two_dimensional
// CHECK-NOT: scf.if
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in (%{{.*}} = %c8, %{{.*}} = %c4, %{{.*}} = %c1{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c32
// CHECK: %[[TX:.*]] = gpu.thread_id x
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[BY]], %[[BX]], %[[TX]]]
func.func @two_dimensional(%out: memref<4x8x32xf32>) {
  %cst = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (4, 8) {
    scf.forall (%t) in (32) {
      memref.store %cst, %out[%i, %j, %t] : memref<4x8x32xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// Linear block ids (what upstream tiling with #gpu.block<linear_dim_N>
// makes): one grid dimension, the product of the trip counts, delinearized
// with linear_dim_0 fastest; a loop from 0 in steps of 128 has
// ceil(n / 128) iterations, its index 128 times the block's. A
// two-dimensional linear thread loop (8 x 4) is a block of 32 threads.

// CHECK-LABEL: func @linear
// CHECK-SAME: (%[[OUT:.*]]: memref<?x?xf32>, %[[M:.*]]: index, %[[N:.*]]: index)
// CHECK: %[[TILES:.*]] = affine.apply #{{.*}}()[%[[N]]]
// CHECK: %[[GRID:.*]] = arith.muli %[[M]], %[[TILES]]
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c32
// CHECK: %[[IDS:.*]]:2 = affine.delinearize_index %[[BX]] into (%[[M]], %[[TILES]])
// CHECK: %[[J:.*]] = affine.apply #{{.*}}()[%[[IDS]]#1]
// CHECK: %[[TX:.*]] = gpu.thread_id x
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[IDS]]#0, %[[J]]]
// CHECK: gpu.barrier
func.func @linear(%out: memref<?x?xf32>, %m: index, %n: index) {
  %cst = arith.constant 0.0 : f32
  scf.forall (%i, %j) = (0, 0) to (%m, %n) step (1, 128) {
    scf.forall (%a, %b) in (8, 4) {
      memref.store %cst, %out[%i, %j] : memref<?x?xf32>
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>]}
  return
}

// -----

// Thread loops must have a static extent.

func.func @dynamic_threads(%out: memref<?xf32>, %n: index) {
  %cst = arith.constant 0.0 : f32
  // expected-error @+1 {{cannot map this forall to a gpu.launch}}
  scf.forall (%b) in (4) {
    scf.forall (%t) in (%n) {
      memref.store %cst, %out[%t] : memref<?xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// A loop over warps (the warp tiles of a product) counts 32 threads per
// warp: 8 warps make a block of 256 threads, each warp's threads running
// the body with its warp id, thread_id.x floordiv 32, unpredicated; the
// thread loop beside it runs under thread_id < 64.

// CHECK-DAG: #[[WARP_ID:.*]] = affine_map<()[s0, s1, s2] -> (s1 * 8 + s2 * 8 + s0 floordiv 32)>
// CHECK-LABEL: func @warp_loop
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in ({{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c256, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) {
// CHECK:   %[[TX:.*]] = gpu.thread_id x
// CHECK-NOT: arith.cmpi
// CHECK:   %[[WARP:.*]] = affine.apply #[[WARP_ID]]()[%[[TX]], %{{.*}}, %{{.*}}]
// CHECK:   memref.store %{{.*}}, %{{.*}}[%[[BX]], %[[WARP]]]
// CHECK:   gpu.barrier
// CHECK:   arith.cmpi ult, %{{.*}}, %c64
func.func @warp_loop(%out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %out, %c0 : memref<?x8xf32>
  %one = arith.constant 1.0 : f32
  scf.forall (%b) in (%n) {
    scf.forall (%w) in (8) {
      memref.store %one, %out[%b, %w] : memref<?x8xf32>
    } {mapping = [#gpu.warp<linear_dim_0>]}
    scf.forall (%t) in (64) {
      %i = arith.remui %t, %c0 : index
      memref.store %one, %out[%b, %i] : memref<?x8xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}
