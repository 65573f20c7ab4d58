//===- RetentionOps.h - Retention ops and interface -------------*- C++ -*-===//

#ifndef RETENTION_RETENTIONOPS_H
#define RETENTION_RETENTIONOPS_H

#include "Retention/IR/RetentionDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

#include "Retention/IR/RetentionEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Retention/IR/RetentionAttrs.h.inc"

namespace mlir::retention {
/// Verifies the operands, attributes and results shared by every form.
LogicalResult verifyRetentionOp(Operation *op);

/// Renders a shape as `[1, 4, ?, 64]` for diagnostics.
std::string formatShape(ArrayRef<int64_t> shape);

/// The element type of the state for inputs of element type `elementType`:
/// f64 for f64 inputs, f32 otherwise.
Type getStateElementType(Type elementType);

/// The values of `gamma` when it is a constant.
std::optional<SmallVector<double>> getConstantGammas(Value gamma);

/// The shapes of the results of a retention op (`op` implements
/// RetentionOpInterface): [B, H, T, dv] and [B, H, dk, dv].
LogicalResult reifyRetentionResultShapes(OpBuilder &builder, Operation *op,
                                         ReifiedRankedShapedTypeDims &shapes);

/// Attaches TilingInterface (TilingInterfaceImpl.cpp) and
/// linalg::AggregatedOpInterface (AggregatedOpInterfaceImpl.cpp) to the
/// retention ops; called when the dialect is loaded.
void attachTilingInterface(MLIRContext &context);
void attachDecompositionInterface(MLIRContext &context);
} // namespace mlir::retention

#include "Retention/IR/RetentionInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Retention/IR/RetentionOps.h.inc"

#endif // RETENTION_RETENTIONOPS_H
