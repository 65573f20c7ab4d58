//===- GraphBuilder.cpp - Builders of the model-graph decomposition -------===//

#include "GraphBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::retnet;

Value GraphBuilder::reduceLast(Value input, ElementBodyFn body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> shape;
  SmallVector<unsigned> outerDims;
  for (unsigned d = 0; d + 1 < rank; ++d) {
    shape.push_back(size(input, d));
    outerDims.push_back(d);
  }
  SmallVector<utils::IteratorType> iterators(rank - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 projection(rank, outerDims)};
  Value init = buildZeros(b, loc, shape, f32());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{input}, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &builder, Location nested, ValueRange args) {
               Value term = body(builder, nested, args[0]);
               Value sum =
                   arith::AddFOp::create(builder, nested, args[1], term);
               linalg::YieldOp::create(builder, nested, sum);
             })
      .getResult(0);
}

Value GraphBuilder::linear(Value input, Value weight) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t outWidth = weightType.getDimSize(1);
  OpFoldResult batch = size(input, 0), length = size(input, 1);
  SmallVector<ReassociationIndices> rows = {{0, 1}, {2}};
  Value flat = tensor::CollapseShapeOp::create(b, loc, input, rows);
  OpFoldResult flatRows = size(flat, 0);
  // Int8 weights with a scale per column: x (Q diag(s)) = (x Q) diag(s), so
  // the product reads Q and its result's columns are scaled once. With a
  // scale per group of rows (k), the product converts and scales each
  // weight it reads.
  auto dequantize = weight.getDefiningOp<DequantizeOp>();
  bool columnScales =
      dequantize && dequantize.getAxis() == 1 && dequantize.getGroup() == 0;
  bool groupScales =
      dequantize && dequantize.getAxis() == 1 && dequantize.getGroup() > 0;
  Value product = buildContraction(
      b, loc, flat,
      columnScales || groupScales ? dequantize.getQuantized() : weight,
      buildZeros(b, loc, {flatRows, constant(outWidth)}, f32()),
      projection(3, {0, 2}), projection(3, {2, 1}),
      groupScales ? dequantize.getScales() : Value(),
      groupScales ? dequantize.getGroup() : 0);
  if (columnScales)
    product = elementwise(
        product, dequantize.getScales(), projection(2, {1}),
        [](OpBuilder &builder, Location nested, ValueRange args) {
          return arith::MulFOp::create(builder, nested, args[1], args[0])
              .getResult();
        });
  auto inputType = cast<RankedTensorType>(input.getType());
  auto resultType = RankedTensorType::get(
      {inputType.getDimSize(0), inputType.getDimSize(1), outWidth}, f32());
  return tensor::ExpandShapeOp::create(b, loc, resultType, product, rows,
                                       {batch, length, constant(outWidth)});
}

/// 1 / sqrt(meanSquare + eps), for a mean of squares in f32.
static Value inverseRms(OpBuilder &b, Location loc, Value sumOfSquares,
                        int64_t count, double eps) {
  Type f32 = b.getF32Type();
  Value mean = arith::MulFOp::create(
      b, loc, sumOfSquares,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 1.0 / count)));
  Value shifted = arith::AddFOp::create(
      b, loc, mean,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, eps)));
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 1.0));
  return arith::DivFOp::create(b, loc, one,
                               math::SqrtOp::create(b, loc, shifted));
}

static Value square(OpBuilder &b, Location loc, Value x) {
  return arith::MulFOp::create(b, loc, x, x);
}

Value GraphBuilder::inverseRmsOfLast(Value input, int64_t width, double eps,
                                     Value scales) {
  Value sums =
      reduceLast(input, [](OpBuilder &builder, Location nested, ValueRange x) {
        return square(builder, nested, x[0]);
      });
  if (!scales)
    return elementwise(
        sums, ValueRange{}, {},
        [&](OpBuilder &builder, Location nested, ValueRange args) {
          return inverseRms(builder, nested, args[0], width, eps);
        });
  unsigned rank = cast<RankedTensorType>(sums.getType()).getRank();
  return elementwise(
      sums, ValueRange{scales}, {b.getMultiDimIdentityMap(rank)},
      [&](OpBuilder &builder, Location nested, ValueRange args) {
        Value scale = args[0];
        Value scaledSum = arith::MulFOp::create(
            builder, nested,
            arith::MulFOp::create(builder, nested, scale, scale), args[1]);
        return arith::MulFOp::create(
                   builder, nested, scale,
                   inverseRms(builder, nested, scaledSum, width, eps))
            .getResult();
      });
}

/// x sigmoid(x) = x / (1 + exp(-x)).
Value mlir::retnet::silu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 1.0));
  Value negated = arith::NegFOp::create(b, loc, x);
  Value denominator =
      arith::AddFOp::create(b, loc, one, math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, x, denominator);
}

/// The exact gelu, x (1 + erf(x / sqrt 2)) / 2.
static Value gelu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value half = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.5));
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 1.0));
  Value invSqrt2 =
      arith::ConstantOp::create(b, loc, b.getFloatAttr(type, M_SQRT1_2));
  Value erf =
      math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, x, invSqrt2));
  Value factor = arith::MulFOp::create(b, loc, half,
                                       arith::AddFOp::create(b, loc, one, erf));
  return arith::MulFOp::create(b, loc, x, factor);
}

/// max(x, 0).
static Value relu(OpBuilder &b, Location loc, Value x) {
  Value zero =
      arith::ConstantOp::create(b, loc, b.getFloatAttr(x.getType(), 0));
  return arith::MaximumFOp::create(b, loc, x, zero);
}

/// The feed-forward activation `kind` of `x`.
Value mlir::retnet::activate(OpBuilder &b, Location loc, Activation kind,
                             Value x) {
  switch (kind) {
  case Activation::gelu:
    return gelu(b, loc, x);
  case Activation::swish:
    return silu(b, loc, x);
  case Activation::relu:
    return relu(b, loc, x);
  }
  llvm_unreachable("unknown activation");
}
