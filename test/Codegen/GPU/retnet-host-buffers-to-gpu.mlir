// RUN: retnet-opt %s -retnet-host-buffers-to-gpu -split-input-file -verify-diagnostics | FileCheck %s

// A buffer the kernel writes lives on the GPU (allocated, copied, freed
// there); the pointer list that only host code reads stays in host memory.

// CHECK-LABEL: func @buffers
// CHECK: %[[DEVICE:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: %[[LIST:.*]] = memref.alloc() : memref<2xindex>
// CHECK: gpu.launch
// CHECK:   memref.store %{{.*}}, %[[DEVICE]]
// CHECK: memref.store %{{.*}}, %[[LIST]]
// CHECK: gpu.memcpy %{{.*}}, %[[DEVICE]] : memref<?xf32>, memref<?xf32>
// CHECK: gpu.dealloc %[[DEVICE]] : memref<?xf32>
// CHECK: memref.dealloc %[[LIST]] : memref<2xindex>
func.func @buffers(%n: index, %out: memref<?xf32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 2.0 : f32
  %buffer = memref.alloc(%n) : memref<?xf32>
  %list = memref.alloc() : memref<2xindex>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %cst, %buffer[%bx] : memref<?xf32>
    gpu.terminator
  }
  %pointer = memref.extract_aligned_pointer_as_index %buffer : memref<?xf32> -> index
  memref.store %pointer, %list[%c0] : memref<2xindex>
  %first = memref.load %list[%c0] : memref<2xindex>
  memref.copy %buffer, %out : memref<?xf32> to memref<?xf32>
  memref.dealloc %buffer : memref<?xf32>
  memref.dealloc %list : memref<2xindex>
  return %first : index
}

// -----

// Host code reading a device buffer is a computation left unmapped.

func.func @host_read(%in: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{host code reads or writes a buffer that lives on the GPU}}
  %value = memref.load %in[%c0] : memref<?xf32>
  return %value : f32
}

// -----

// A constant table that a kernel reads is copied to the GPU at the start of
// the function and freed before each return.

memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// CHECK-LABEL: func @table_in_kernel
// CHECK: %[[HOST:.*]] = memref.get_global @table : memref<4xf32>
// CHECK: %[[DEVICE:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[DEVICE]], %[[HOST]]
// CHECK: gpu.launch
// CHECK:   memref.load %[[DEVICE]]
// CHECK: gpu.dealloc %[[DEVICE]]
// CHECK-NEXT: return
func.func @table_in_kernel(%out: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %table = memref.get_global @table : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %table[%tx] : memref<4xf32>
    memref.store %v, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A kernel may not use a host stack buffer.

func.func @stack_in_kernel(%out: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %stack = memref.alloca() : memref<4xf32>
  // expected-error @+1 {{a kernel uses a buffer in host memory (memref.alloca); it must be allocated on the GPU}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %stack[%tx] : memref<4xf32>
    memref.store %v, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A copy from the GPU into a host stack buffer is not mapped: the host
// would read it before the GPU's work is done.

func.func @copy_to_host(%n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %device = memref.alloc(%n) : memref<?xf32>
  %host = memref.alloca(%n) : memref<?xf32>
  // expected-error @+1 {{cannot copy on the host between these buffers: only between contiguous device buffers (gpu.memcpy)}}
  memref.copy %device, %host : memref<?xf32> to memref<?xf32>
  %value = memref.load %host[%c0] : memref<?xf32>
  memref.dealloc %device : memref<?xf32>
  return %value : f32
}
