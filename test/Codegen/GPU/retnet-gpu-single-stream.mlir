// RUN: retnet-opt %s -retnet-gpu-single-stream -split-input-file -verify-diagnostics | FileCheck %s

// Every GPU operation of a host function, in loops and branches too, is
// enqueued on the stream created at entry; the stream is waited for before
// each return. Kernels' own functions are left alone.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @kernel(%buffer: memref<?xf32>) kernel {
      gpu.return
    }
  }

  // CHECK-LABEL: func @host
  // CHECK: %[[STREAM:.*]] = gpu.wait async
  // CHECK: %[[BUFFER:.*]], %{{.*}} = gpu.alloc async [%[[STREAM]]] (%{{.*}}) : memref<?xf32>
  // CHECK: scf.for
  // CHECK:   gpu.launch_func async [%[[STREAM]]] @kernels::@kernel
  // CHECK:   scf.if
  // CHECK:     gpu.memcpy async [%[[STREAM]]] %{{.*}}, %[[BUFFER]]
  // CHECK: gpu.dealloc async [%[[STREAM]]] %[[BUFFER]]
  // CHECK: gpu.wait [%[[STREAM]]]
  // CHECK-NEXT: return
  func.func @host(%n: index, %out: memref<?xf32>, %flag: i1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %buffer = gpu.alloc (%n) : memref<?xf32>
    scf.for %i = %c0 to %n step %c1 {
      gpu.launch_func @kernels::@kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<?xf32>)
      scf.if %flag {
        gpu.memcpy %out, %buffer : memref<?xf32>, memref<?xf32>
      }
    }
    gpu.dealloc %buffer : memref<?xf32>
    return
  }

  // A function without GPU work gets no stream.
  // CHECK-LABEL: func @host_only
  // CHECK-NOT: gpu.wait
  func.func @host_only(%x: index) -> index {
    return %x : index
  }
}

// -----

// Each function has its own stream: a function with GPU work may not call
// another one.

module attributes {gpu.container_module} {
  func.func @inner(%n: index) {
    %buffer = gpu.alloc (%n) : memref<?xf32>
    gpu.dealloc %buffer : memref<?xf32>
    return
  }
  func.func @outer(%n: index) {
    %buffer = gpu.alloc (%n) : memref<?xf32>
    // expected-error @+1 {{retnet-gpu-single-stream: a function with GPU work calls another one; their streams would not be ordered}}
    func.call @inner(%n) : (index) -> ()
    gpu.dealloc %buffer : memref<?xf32>
    return
  }
}
