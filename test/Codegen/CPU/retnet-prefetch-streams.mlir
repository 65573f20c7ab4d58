// RUN: retnet-opt %s -retnet-prefetch-streams -canonicalize -split-input-file | FileCheck %s
// RUN: retnet-opt %s -retnet-prefetch-streams="distance=64" -canonicalize -split-input-file | FileCheck %s --check-prefix=NEAR
// RUN: retnet-opt %s -retnet-prefetch-streams="distance=0" -split-input-file | FileCheck %s --check-prefix=NONE
// RUN: not retnet-opt %s -retnet-prefetch-streams="distance=-1" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: retnet-prefetch-streams: distance must be a number of bytes, or 0
// NONE-NOT: memref.prefetch

// A one-row tile's reduction over four int8 panels [4, K, 64]: each step
// reads a 64-byte row of each panel, 4 lines. 8192 bytes in flight (the
// default) is 32 steps ahead; one prefetch per panel's line, at the
// panel's own offset.
// CHECK-LABEL: func @int8_panels
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: scf.for %[[K:[a-z0-9_]+]] =
// CHECK:   %[[AHEAD:.*]] = arith.addi %[[K]], %[[C32]] : index
// CHECK:   memref.prefetch %[[W:.*]][%[[P:.*]], %[[AHEAD]], %{{.*}}], read, locality<3>, data
// CHECK:   %[[P1:.*]] = arith.addi %[[P]], %[[C1]] : index
// CHECK:   memref.prefetch %[[W]][%[[P1]], %[[AHEAD]], %{{.*}}]
// CHECK:   %[[P2:.*]] = arith.addi %[[P]], %[[C2]] : index
// CHECK:   memref.prefetch %[[W]][%[[P2]], %[[AHEAD]], %{{.*}}]
// CHECK:   %[[P3:.*]] = arith.addi %[[P]], %[[C3]] : index
// CHECK:   memref.prefetch %[[W]][%[[P3]], %[[AHEAD]], %{{.*}}]
// CHECK-NOT: memref.prefetch
// CHECK:   vector.transfer_read
// The activation (one element a step) is not a stream worth a line.
// CHECK:   vector.transfer_read
// CHECK:   vector.contract
// NEAR-LABEL: func @int8_panels
// NEAR: arith.constant 1 : index
// NEAR: scf.for %[[K:[a-z0-9_]+]] =
// NEAR:   arith.addi %[[K]], %c1 : index
// NEAR-NEXT: memref.prefetch
func.func @int8_panels(%w: memref<8x256x64xi8>, %x: memref<1x256xf32>, %p: index, %acc: vector<1x4x64xf32>) -> vector<1x4x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %i0 = arith.constant 0 : i8
  %f0 = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%a = %acc) -> (vector<1x4x64xf32>) {
    %row = memref.subview %w[%p, %k, 0] [4, 1, 64] [1, 1, 1] : memref<8x256x64xi8> to memref<4x1x64xi8, strided<[16384, 64, 1], offset: ?>>
    %xk = memref.subview %x[0, %k] [1, 1] [1, 1] : memref<1x256xf32> to memref<1x1xf32, strided<[256, 1], offset: ?>>
    %wv = vector.transfer_read %row[%c0, %c0, %c0], %i0 {in_bounds = [true, true, true]} : memref<4x1x64xi8, strided<[16384, 64, 1], offset: ?>>, vector<4x1x64xi8>
    %xv = vector.transfer_read %xk[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<1x1xf32, strided<[256, 1], offset: ?>>, vector<1x1xf32>
    %wf = arith.sitofp %wv : vector<4x1x64xi8> to vector<4x1x64xf32>
    %s = vector.contract {indexing_maps = [affine_map<(m, p, n, k) -> (m, k)>, affine_map<(m, p, n, k) -> (p, k, n)>, affine_map<(m, p, n, k) -> (m, p, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %xv, %wf, %a : vector<1x1xf32>, vector<4x1x64xf32> into vector<1x4x64xf32>
    scf.yield %s : vector<1x4x64xf32>
  }
  return %r : vector<1x4x64xf32>
}

// -----

// An f32 row of 128 bytes is two lines; with a step of 2 rows, an
// iteration reads 4 lines, and 8192 bytes in flight are 32 iterations,
// 64 rows.
// CHECK-LABEL: func @f32_rows_step2
// CHECK: scf.for %[[K:[a-z0-9_]+]] =
// CHECK:   %[[AHEAD:.*]] = arith.addi %[[K]], %c64 : index
// CHECK:   memref.prefetch %[[W:.*]][%[[AHEAD]], %[[C0:[a-z0-9_]+]]], read
// CHECK:   memref.prefetch %[[W]][%[[AHEAD]], %[[C16:[a-z0-9_]+]]], read
// CHECK:   %[[NEXT:.*]] = arith.addi %[[K]], %c65 : index
// CHECK-NOT: arith.addi
// CHECK:   memref.prefetch %[[W]][%[[NEXT]], %[[C0]]], read
// CHECK:   memref.prefetch %[[W]][%[[NEXT]], %[[C16]]], read
// CHECK-NOT: memref.prefetch
// CHECK:   vector.transfer_read
func.func @f32_rows_step2(%w: memref<512x32xf32>, %acc: vector<2x32xf32>) -> vector<2x32xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c512 = arith.constant 512 : index
  %f0 = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c512 step %c2 iter_args(%a = %acc) -> (vector<2x32xf32>) {
    %row = memref.subview %w[%k, 0] [2, 32] [1, 1] : memref<512x32xf32> to memref<2x32xf32, strided<[32, 1], offset: ?>>
    %v = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<2x32xf32, strided<[32, 1], offset: ?>>, vector<2x32xf32>
    %s = arith.addf %a, %v : vector<2x32xf32>
    scf.yield %s : vector<2x32xf32>
  }
  return %r : vector<2x32xf32>
}

// -----

// Not streams: a read in a loop that carries no vector and holds another
// loop, and a read whose offset does not follow the loop.
// CHECK-LABEL: func @not_streams
// CHECK-NOT: memref.prefetch
func.func @not_streams(%w: memref<512x32xf32>, %out: memref<512x32xf32>, %acc: vector<32xf32>) -> vector<32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c512 = arith.constant 512 : index
  %f0 = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c512 step %c1 {
    %row = memref.subview %w[%k, 0] [1, 32] [1, 1] : memref<512x32xf32> to memref<1x32xf32, strided<[32, 1], offset: ?>>
    %v = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
    scf.for %j = %c0 to %c4 step %c1 {
      vector.transfer_write %v, %out[%k, %c0] {in_bounds = [true]} : vector<32xf32>, memref<512x32xf32>
    }
  }
  %r = scf.for %k = %c0 to %c512 step %c1 iter_args(%a = %acc) -> (vector<32xf32>) {
    %row = memref.subview %w[%c0, 0] [1, 32] [1, 1] : memref<512x32xf32> to memref<1x32xf32, strided<[32, 1], offset: ?>>
    %v = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
    %s = arith.addf %a, %v : vector<32xf32>
    scf.yield %s : vector<32xf32>
  }
  return %r : vector<32xf32>
}

// -----

// An innermost loop streams too, vector or not: a thread block's conversion
// of int8 weights to f32, a 64-byte row a step, 128 steps ahead.
// CHECK-LABEL: func @conversion
// CHECK: scf.for %[[K:[a-z0-9_]+]] =
// CHECK:   %[[AHEAD:.*]] = arith.addi %[[K]], %c128 : index
// CHECK:   memref.prefetch %{{.*}}[%[[AHEAD]], %c0], read
// CHECK-NOT: memref.prefetch
func.func @conversion(%w: memref<256x64xi8>, %out: memref<256x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %i0 = arith.constant 0 : i8
  scf.for %k = %c0 to %c256 step %c1 {
    %row = memref.subview %w[%k, 0] [1, 64] [1, 1] : memref<256x64xi8> to memref<1x64xi8, strided<[64, 1], offset: ?>>
    %v = vector.transfer_read %row[%c0, %c0], %i0 {in_bounds = [true]} : memref<1x64xi8, strided<[64, 1], offset: ?>>, vector<64xi8>
    %f = arith.sitofp %v : vector<64xi8> to vector<64xf32>
    vector.transfer_write %f, %out[%k, %c0] {in_bounds = [true]} : vector<64xf32>, memref<256x64xf32>
  }
  return
}

// -----

// A buffer the function allocated (weights converted to f32 for a thread
// block's register tiles) was just written and is in cache: its reads get
// no prefetches, through views and loop-carried buffers alike.
// CHECK-LABEL: func @local_buffer
// CHECK-NOT: memref.prefetch
func.func @local_buffer(%acc: vector<32xf32>) -> vector<32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %f0 = arith.constant 0.0 : f32
  %panel = memref.alloc() : memref<256x32xf32>
  %r:2 = scf.for %k = %c0 to %c256 step %c1 iter_args(%a = %acc, %buffer = %panel) -> (vector<32xf32>, memref<256x32xf32>) {
    %row = memref.subview %buffer[%k, 0] [1, 32] [1, 1] : memref<256x32xf32> to memref<1x32xf32, strided<[32, 1], offset: ?>>
    %v = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
    %s = arith.addf %a, %v : vector<32xf32>
    scf.yield %s, %buffer : vector<32xf32>, memref<256x32xf32>
  }
  memref.dealloc %panel : memref<256x32xf32>
  return %r#0 : vector<32xf32>
}

// -----

// Two streams in one loop share the bytes in flight: each reads a line a
// step, so 8192 bytes are 64 steps ahead for both (one stream alone would
// look 128 steps ahead, as in @conversion).
// CHECK-LABEL: func @shared_budget
// CHECK: scf.for %[[K:[a-z0-9_]+]] =
// CHECK:   %[[AHEAD:.*]] = arith.addi %[[K]], %c64 : index
// CHECK:   memref.prefetch %[[A:.*]][%[[AHEAD]], %c0], read
// CHECK:   vector.transfer_read
// CHECK:   %[[AHEAD2:.*]] = arith.addi %[[K]], %c64 : index
// CHECK:   memref.prefetch %[[B:.*]][%[[AHEAD2]], %c0], read
// CHECK-NOT: memref.prefetch
func.func @shared_budget(%a: memref<512x16xf32>, %b: memref<512x16xf32>, %acc: vector<16xf32>) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %f0 = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c512 step %c1 iter_args(%s = %acc) -> (vector<16xf32>) {
    %ra = memref.subview %a[%k, 0] [1, 16] [1, 1] : memref<512x16xf32> to memref<1x16xf32, strided<[16, 1], offset: ?>>
    %va = vector.transfer_read %ra[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x16xf32, strided<[16, 1], offset: ?>>, vector<16xf32>
    %rb = memref.subview %b[%k, 0] [1, 16] [1, 1] : memref<512x16xf32> to memref<1x16xf32, strided<[16, 1], offset: ?>>
    %vb = vector.transfer_read %rb[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x16xf32, strided<[16, 1], offset: ?>>, vector<16xf32>
    %p = arith.mulf %va, %vb : vector<16xf32>
    %n = arith.addf %s, %p : vector<16xf32>
    scf.yield %n : vector<16xf32>
  }
  return %r : vector<16xf32>
}
