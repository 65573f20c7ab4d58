//===- GraphBuilder.h - Builders of the graph decomposition -----*- C++ -*-===//
//
// Private to dialects/RetNet/Transforms: the shorthands and element
// functions that the decomposition patterns of the retnet ops
// (RetNetDecompose.cpp, DecomposeRetention.cpp) build linalg with.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TRANSFORMS_GRAPHBUILDER_H
#define RETNET_TRANSFORMS_GRAPHBUILDER_H

#include "RetNet/IR/RetNetOps.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {
/// Element types and shorthands of the shared builders at one location.
struct GraphBuilder {
  GraphBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Type f32() { return b.getF32Type(); }
  OpFoldResult size(Value tensor, unsigned dim) {
    return tensor::getMixedSize(b, loc, tensor, dim);
  }
  OpFoldResult constant(int64_t value) { return b.getIndexAttr(value); }
  Value empty(ArrayRef<OpFoldResult> shape) {
    return buildEmpty(b, loc, shape, f32());
  }
  AffineExpr dim(unsigned position) { return b.getAffineDimExpr(position); }
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(numDims, 0, exprs, b.getContext());
  }
  AffineMap projection(unsigned numDims, ArrayRef<unsigned> dims) {
    return projectionMap(b.getContext(), numDims, dims);
  }
  Value elementwise(Value init, ValueRange inputs, ArrayRef<AffineMap> maps,
                    ElementBodyFn body) {
    return buildElementwise(b, loc, init, inputs, maps, body);
  }

  /// Sum over the last loop of `input`'s elements mapped by `body`, into a
  /// tensor without that dimension.
  Value reduceLast(Value input, ElementBodyFn body);
  /// x W for x [B, T, in] and W [in, out].
  Value linear(Value input, Value weight);
  /// 1 / sqrt(mean(x^2) + eps) over the last dimension (of size `width`)
  /// of `input`, into a tensor without that dimension. With `scales` (of
  /// that shape), s / sqrt(mean((s x)^2) + eps) instead: the factor that
  /// normalizes s x, from x, so that s x is never formed.
  Value inverseRmsOfLast(Value input, int64_t width, double eps,
                         Value scales = Value());

  OpBuilder &b;
  Location loc;
};

/// x sigmoid(x) = x / (1 + exp(-x)).
Value silu(OpBuilder &b, Location loc, Value x);
/// The feed-forward activation `kind` of `x`.
Value activate(OpBuilder &b, Location loc, Activation kind, Value x);

/// Adds the pattern that lowers multi_scale_retention (DecomposeRetention.cpp)
/// to `patterns`.
void populateDecomposeRetentionPattern(RewritePatternSet &patterns);
} // namespace mlir::retnet

#endif // RETNET_TRANSFORMS_GRAPHBUILDER_H
