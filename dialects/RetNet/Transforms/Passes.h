//===- Passes.h - Decomposition of the model graph --------------*- C++ -*-===//

#ifndef RETNET_TRANSFORMS_PASSES_H
#define RETNET_TRANSFORMS_PASSES_H

#include "RetNet/IR/RetNetDialect.h"
#include "Retention/IR/RetentionDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retnet {
#define GEN_PASS_DECL
#include "RetNet/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "RetNet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

#endif // RETNET_TRANSFORMS_PASSES_H
