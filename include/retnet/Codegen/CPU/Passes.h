//===- Passes.h - CPU codegen passes ----------------------------*- C++ -*-===//

#ifndef RETNET_CODEGEN_CPU_PASSES_H
#define RETNET_CODEGEN_CPU_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retnet {
/// The longest block of the block formula the CPU code handles: its [L, L]
/// decay mask and score tiles are static tensors.
constexpr int64_t kMaxBlockLength = 4096;
/// The bytes of its weight streams that a streaming loop prefetches ahead,
/// by default (retnet-prefetch-streams).
constexpr int64_t kDefaultPrefetchBytes = 8192;

#define GEN_PASS_DECL
#include "retnet/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "retnet/Codegen/CPU/Passes.h.inc"
} // namespace mlir::retnet

#endif // RETNET_CODEGEN_CPU_PASSES_H
