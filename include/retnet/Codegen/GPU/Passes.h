//===- Passes.h - CUDA codegen passes ---------------------------*- C++ -*-===//

#ifndef RETNET_CODEGEN_GPU_PASSES_H
#define RETNET_CODEGEN_GPU_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retnet {
#define GEN_PASS_DECL
#include "retnet/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_PASSES_H
