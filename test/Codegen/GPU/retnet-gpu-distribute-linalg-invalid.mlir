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

// -----

// Nor can buffers beyond the workgroup memory that a block may use.

func.func @too_large_block_buffers(%out: memref<2xf32>) {
  %cst = arith.constant 1.0 : f32
  // expected-error @below {{allocates 65536 bytes per GPU block, more than the 40960 bytes of workgroup memory that it may use}}
  scf.forall (%b) in (2) {
    %tile = memref.alloc() : memref<128x128xf32>
    linalg.fill ins(%cst : f32) outs(%tile : memref<128x128xf32>)
    memref.dealloc %tile : memref<128x128xf32>
  } {mapping = [#gpu.block<x>]}
  return
}
