//===- LinalgBuilders.h - Small builders of linalg ops ----------*- C++ -*-===//

#ifndef RETNET_UTILS_LINALGBUILDERS_H
#define RETNET_UTILS_LINALGBUILDERS_H

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
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

/// `destination` filled with zeros of its element type.
Value buildZeroFill(OpBuilder &b, Location loc, Value destination);

/// A tensor of `shape` filled with zeros.
Value buildZeros(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> shape,
                 Type elementType);

/// `init += lhs * rhs` over the loops (i, j, r) with r the reduction; the
/// result is indexed (i, j), the operands by `lhsMap` and `rhsMap`. Operands
/// of a narrower float type are widened to `init`'s, integer operands
/// (int8 weights) converted to it. With `rhsScales` (int8 weights quantized
/// in groups of `group` along r), `init += lhs * (rhs * scales)`, the scales
/// indexed by groupScaleMap(rhsMap, group).
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       Value init, AffineMap lhsMap, AffineMap rhsMap,
                       Value rhsScales = nullptr, int64_t group = 0);

/// The map of the scales of a product's right operand quantized in groups
/// of `group` along the reduction (the map's last loop): `rhsMap` with that
/// loop `r` replaced by `r floordiv group`.
AffineMap groupScaleMap(AffineMap rhsMap, int64_t group);

/// The group size of a product built by buildContraction with scales, `C +=
/// A * (widen(B) * S)` with S indexed by groupScaleMap of B's map; else 0.
int64_t groupOfScaledContraction(linalg::LinalgOp op);

/// Whether `op` is a contraction: upstream's contraction interface, or a
/// product with group scales.
bool isContractionLike(linalg::LinalgOp op);

/// The indexing maps of `op` without those of its group scales: (A, B, C).
SmallVector<AffineMap> contractionMaps(linalg::LinalgOp op);

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

/// `value` widened to the float type `type`: a narrower float extended, an
/// integer (an int8 weight) converted exactly; `value` itself if of `type`.
Value buildWidened(OpBuilder &b, Location loc, Value value, Type type);
} // namespace mlir::retnet

#endif // RETNET_UTILS_LINALGBUILDERS_H
