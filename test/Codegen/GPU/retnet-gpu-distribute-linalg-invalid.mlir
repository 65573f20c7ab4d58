// RUN: retnet-opt %s -retnet-gpu-distribute-linalg -split-input-file -verify-diagnostics

// A block's own buffer must become workgroup memory: a dynamic shape cannot
// without a constant upper bound.

func.func @dynamic_block_buffer(%n: index, %out: memref<2x?xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (2) {
    // expected-error @below {{in a GPU block needs a shape of numbers with constant upper bounds, to become a workgroup buffer}}
    %tile = memref.alloc(%n) : memref<?xf32>
    linalg.fill ins(%cst : f32) outs(%tile : memref<?xf32>)
    memref.dealloc %tile : memref<?xf32>
  } {mapping = [#gpu.block<x>]}
  return
}

