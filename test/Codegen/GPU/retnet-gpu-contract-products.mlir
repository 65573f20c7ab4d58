// RUN: retnet-opt %s --pass-pipeline='builtin.module(gpu.module(retnet-gpu-contract-products))' | FileCheck %s

// Every float multiply, add and subtract of a kernel may contract into an
// FMA; flags already present are kept, other ops and host code are not
// touched.

// CHECK-LABEL: gpu.module @kernels
gpu.module @kernels {
  // CHECK-LABEL: gpu.func @dot
  gpu.func @dot(%a: f32, %b: f32, %c: f32, %v: vector<4xf32>) kernel {
    // CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : f32
    %0 = arith.mulf %a, %b : f32
    // CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : f32
    %1 = arith.addf %0, %c : f32
    // CHECK: arith.subf %{{.*}}, %{{.*}} fastmath<nnan,contract> : f32
    %2 = arith.subf %1, %c fastmath<nnan> : f32
    // CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : vector<4xf32>
    %3 = arith.mulf %v, %v : vector<4xf32>
    // CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<fast> : f32
    %4 = arith.mulf %2, %a fastmath<fast> : f32
    // CHECK: arith.divf %{{.*}}, %{{.*}} : f32
    %5 = arith.divf %4, %b : f32
    gpu.return
  }
}

// CHECK-LABEL: func.func @host
func.func @host(%a: f32, %b: f32) -> f32 {
  // CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
  %0 = arith.mulf %a, %b : f32
  return %0 : f32
}
