// RUN: retnet-opt %s -retnet-gpu-elide-copy-back -split-input-file | FileCheck %s

// A layer's state, updated by a kernel in a copy (filled from the block's
// own slice of the state, then updated) that is copied back whole after
// other work: the kernel updates the state itself; the copy in, the copy
// back and the buffer go.

// CHECK-LABEL: func @state_update
// CHECK-SAME: (%[[STATES:[^:]*]]: memref<3x?x4x8x16xf32>
// CHECK: %[[STATE:.*]] = memref.subview %[[STATES]]
// CHECK-NOT: memref.alloc(%{{.*}}) : memref<?x4x8x16xf32>
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in
// CHECK:   scf.forall
// CHECK-NOT: memref.load
// CHECK:   } {mapping = [#gpu.thread<x>]}
// CHECK:   scf.forall
// CHECK:     %[[OLD:.*]] = memref.load %[[STATE]][%[[B]], %[[H]], %{{.*}}, %{{.*}}]
// CHECK:     %[[NEW:.*]] = arith.mulf %[[OLD]], %[[OLD]]
// CHECK:     memref.store %[[NEW]], %[[STATE]][%[[B]], %[[H]], %{{.*}}, %{{.*}}]
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK: linalg.fill
// CHECK-NOT: linalg.copy
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @state_update(%states: memref<3x?x4x8x16xf32>, %layer: index,
                        %other: memref<?x16xf32>) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %b = memref.dim %states, %c1 : memref<3x?x4x8x16xf32>
  %state = memref.subview %states[%layer, 0, 0, 0, 0] [1, %b, 4, 8, 16]
      [1, 1, 1, 1, 1] : memref<3x?x4x8x16xf32>
      to memref<?x4x8x16xf32, strided<[512, 128, 16, 1], offset: ?>>
  %copy = memref.alloc(%b) : memref<?x4x8x16xf32>
  scf.forall (%i, %h) in (%b, 4) {
    scf.forall (%t) in (128) {
      %r = arith.divui %t, %c16 : index
      %c = arith.remui %t, %c16 : index
      %v = memref.load %state[%i, %h, %r, %c]
          : memref<?x4x8x16xf32, strided<[512, 128, 16, 1], offset: ?>>
      memref.store %v, %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
    } {mapping = [#gpu.thread<x>]}
    scf.forall (%t) in (128) {
      %r = arith.divui %t, %c16 : index
      %c = arith.remui %t, %c16 : index
      %v = memref.load %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  linalg.fill ins(%zero : f32) outs(%other : memref<?x16xf32>)
  linalg.copy ins(%copy : memref<?x4x8x16xf32>)
      outs(%state : memref<?x4x8x16xf32, strided<[512, 128, 16, 1], offset: ?>>)
  memref.dealloc %copy : memref<?x4x8x16xf32>
  return
}

// -----

// Kept: the state is read between the kernel and the copy back (it must
// still hold the old values), the kernel reads the state other than to
// copy it in, or a block touches other blocks' slices.

// CHECK-LABEL: func @copies_kept
// CHECK-COUNT-4: memref.copy
// CHECK-NOT: memref.copy
func.func @copies_kept(%state: memref<?x8xf32>, %old: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %state, %c0 : memref<?x8xf32>
  %copy = memref.alloc(%b) : memref<?x8xf32>
  scf.forall (%i) in (%b) {
    scf.forall (%t) in (8) {
      %v = memref.load %state[%i, %t] : memref<?x8xf32>
      memref.store %v, %copy[%i, %t] : memref<?x8xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  memref.copy %state, %old : memref<?x8xf32> to memref<?x8xf32>
  memref.copy %copy, %state : memref<?x8xf32> to memref<?x8xf32>

  %copy2 = memref.alloc(%b) : memref<?x8xf32>
  scf.forall (%i) in (%b) {
    scf.forall (%t) in (8) {
      %v = memref.load %state[%i, %t] : memref<?x8xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %copy2[%i, %t] : memref<?x8xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  memref.copy %copy2, %state : memref<?x8xf32> to memref<?x8xf32>

  %copy3 = memref.alloc(%b) : memref<?x8xf32>
  scf.forall (%i) in (%b) {
    scf.forall (%t) in (8) {
      %v = memref.load %state[%i, %t] : memref<?x8xf32>
      memref.store %v, %copy3[%i, %t] : memref<?x8xf32>
      %one = arith.constant 1.0 : f32
      memref.store %one, %copy3[%c0, %t] : memref<?x8xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  memref.copy %copy3, %state : memref<?x8xf32> to memref<?x8xf32>
  return
}

// -----

// Blocks over (batch, head, group of 8 state columns): each block's column
// index is group * 8 + t mod 8, its own part of the columns, so the blocks
// still touch disjoint elements and the update is made in place.

// CHECK-LABEL: func @column_groups
// CHECK-SAME: (%[[STATE:[^:]*]]: memref<?x4x8x16xf32>
// CHECK-NOT: memref.alloc
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[G:.*]]) in
// CHECK:     memref.load %[[STATE]]
// CHECK:     memref.store %{{.*}}, %[[STATE]]
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @column_groups(%state: memref<?x4x8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %b = memref.dim %state, %c0 : memref<?x4x8x16xf32>
  %copy = memref.alloc(%b) : memref<?x4x8x16xf32>
  scf.forall (%i, %h, %g) in (%b, 4, 2) {
    %first = arith.muli %g, %c8 : index
    scf.forall (%t) in (64) {
      %r = arith.divui %t, %c8 : index
      %local = arith.remui %t, %c8 : index
      %c = arith.addi %first, %local : index
      %v = memref.load %state[%i, %h, %r, %c] : memref<?x4x8x16xf32>
      memref.store %v, %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
    } {mapping = [#gpu.thread<x>]}
    scf.forall (%t) in (64) {
      %r = arith.divui %t, %c8 : index
      %local = arith.remui %t, %c8 : index
      %c = arith.addi %first, %local : index
      %v = memref.load %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
  linalg.copy ins(%copy : memref<?x4x8x16xf32>)
      outs(%state : memref<?x4x8x16xf32>)
  memref.dealloc %copy : memref<?x4x8x16xf32>
  return
}

// -----

// Kept: the part that a group selects is wider than the groups' stride
// (group * 8 + t mod 16), so neighbouring groups overlap.

// CHECK-LABEL: func @overlapping_groups
// CHECK: memref.alloc
// CHECK: linalg.copy
func.func @overlapping_groups(%state: memref<?x4x8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %b = memref.dim %state, %c0 : memref<?x4x8x16xf32>
  %copy = memref.alloc(%b) : memref<?x4x8x16xf32>
  scf.forall (%i, %h, %g) in (%b, 4, 2) {
    %first = arith.muli %g, %c8 : index
    scf.forall (%t) in (64) {
      %r = arith.divui %t, %c16 : index
      %local = arith.remui %t, %c16 : index
      %c = arith.addi %first, %local : index
      %v = memref.load %state[%i, %h, %r, %c] : memref<?x4x8x16xf32>
      memref.store %v, %copy[%i, %h, %r, %c] : memref<?x4x8x16xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
  linalg.copy ins(%copy : memref<?x4x8x16xf32>)
      outs(%state : memref<?x4x8x16xf32>)
  memref.dealloc %copy : memref<?x4x8x16xf32>
  return
}
