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

/// The sizes of a retention computation, joined from its operands (a
/// dynamic B or T where no operand has it static).
struct RetentionDims {
  int64_t batch, heads, length, keyDim, valueDim;

  /// [B, H, T, width].
  SmallVector<int64_t> tokens(int64_t width) const {
    return {batch, heads, length, width};
  }
  /// [B, H, dk, dv].
  SmallVector<int64_t> state() const {
    return {batch, heads, keyDim, valueDim};
  }
  /// [B, H, N, dk, dv] for chunks of `chunkSize` tokens.
  SmallVector<int64_t> chunkStates(int64_t chunkSize) const {
    int64_t chunks = ShapedType::isDynamic(length)
                         ? ShapedType::kDynamic
                         : llvm::divideCeil(length, chunkSize);
    return {batch, heads, chunks, keyDim, valueDim};
  }
};

/// Checks that `type` is `expectedShape` (dynamic dimensions match anything)
/// with element type `expectedElement`; the error names `what` and `layout`.
LogicalResult verifyTensor(Operation *op, StringRef what, StringRef layout,
                           RankedTensorType type,
                           ArrayRef<int64_t> expectedShape,
                           Type expectedElement);

/// Checks queries (may be null), keys and values against each other: static,
/// positive H, dk and dv, agreeing shapes and one element type.
FailureOr<RetentionDims> verifyInputs(Operation *op, RankedTensorType queries,
                                      RankedTensorType keys,
                                      RankedTensorType values);

/// Checks that `gamma` is tensor<heads x f64> and, when it is a constant,
/// that every decay is in (0, 1).
LogicalResult verifyGamma(Operation *op, Value gamma, int64_t heads);

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
/// Attaches TilingInterface to the chunkwise pieces
/// (ChunkTilingInterfaceImpl.cpp).
void attachChunkTilingInterface(MLIRContext &context);
void attachDecompositionInterface(MLIRContext &context);
} // namespace mlir::retention

#include "Retention/IR/RetentionInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Retention/IR/RetentionOps.h.inc"

#endif // RETENTION_RETENTIONOPS_H
