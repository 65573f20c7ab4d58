//===- Passes.h - Retention form rewrites and selection ---------*- C++ -*-===//

#ifndef RETNET_TRANSFORMS_PASSES_H
#define RETNET_TRANSFORMS_PASSES_H

#include "RetNet/RetNetDialect.h"
#include "Retention/RetentionDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retnet {
#define GEN_PASS_DECL
#include "retnet/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

#endif // RETNET_TRANSFORMS_PASSES_H
