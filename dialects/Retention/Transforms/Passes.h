//===- Passes.h - Retention form rewrites and selection ---------*- C++ -*-===//

#ifndef RETENTION_TRANSFORMS_PASSES_H
#define RETENTION_TRANSFORMS_PASSES_H

#include "Retention/IR/RetentionDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retention {
#define GEN_PASS_DECL
#include "Retention/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Retention/Transforms/Passes.h.inc"
} // namespace mlir::retention

#endif // RETENTION_TRANSFORMS_PASSES_H
