//===- LinalgBuilders.h - Small builders of linalg ops ----------*- C++ -*-===//

#ifndef RETNET_UTILS_LINALGBUILDERS_H
#define RETNET_UTILS_LINALGBUILDERS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

namespace mlir::retnet {
/// Body of an elementwise generic: receives the block arguments (or the loop
/// indices for `buildGenerate`) and returns the value to yield.
using ElementBodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// The affine map (d0, ..., d{numDims-1}) -> (d{dims[0]}, d{dims[1]}, ...).
AffineMap projectionMap(MLIRContext *context, unsigned numDims,
                        ArrayRef<unsigned> dims);

/// The indexing maps of a product with a panel-packed right operand,
/// `C[m, n1, n0] += A[m, k] B[n1, k, n0]` over the loops (m, n1, n0, k): A's,
/// B's and C's.
SmallVector<AffineMap> panelProductMaps(MLIRContext *context);

/// An empty tensor of `shape` and `elementType`.
Value buildEmpty(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> shape,
                 Type elementType);

/// A tensor of `shape` filled with zeros.
Value buildZeros(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> shape,
                 Type elementType);

/// `init += lhs * rhs` over the loops (i, j, r) with r the reduction; the
/// result is indexed (i, j), the operands by `lhsMap` and `rhsMap`. Operands
/// of a narrower float type are widened to `init`'s, integer operands
/// (int8 weights) converted to it.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       Value init, AffineMap lhsMap, AffineMap rhsMap);

/// `init` updated elementwise: `body(inputs..., init)` at every point of
/// `init`, each input indexed by its map over the loops of `init`.
Value buildElementwise(OpBuilder &b, Location loc, Value init,
                       ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                       ElementBodyFn body);

/// A tensor of `shape` whose element at indices `ivs` is `body(ivs)`.
Value buildGenerate(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> shape,
                    Type elementType, ElementBodyFn body);

/// `index` (an index value) as a floating-point value of `type`.
Value buildIndexToFloat(OpBuilder &b, Location loc, Value index, Type type);
} // namespace mlir::retnet

#endif // RETNET_UTILS_LINALGBUILDERS_H
