//===- LinalgBuilders.cpp - Small builders of linalg ops on tensors -------===//

#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

AffineMap mlir::retnet::projectionMap(MLIRContext *context, unsigned numDims,
                                      ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned dim : dims)
    exprs.push_back(getAffineDimExpr(dim, context));
  return AffineMap::get(numDims, 0, exprs, context);
}

SmallVector<AffineMap> mlir::retnet::panelProductMaps(MLIRContext *context) {
  return {projectionMap(context, 4, {0, 3}),
          projectionMap(context, 4, {1, 3, 2}),
          projectionMap(context, 4, {0, 1, 2})};
}

Value mlir::retnet::buildEmpty(OpBuilder &b, Location loc,
                               ArrayRef<OpFoldResult> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value mlir::retnet::buildZeros(OpBuilder &b, Location loc,
                               ArrayRef<OpFoldResult> shape, Type elementType) {
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  return linalg::FillOp::create(b, loc, zero,
                                buildEmpty(b, loc, shape, elementType))
      .getResult(0);
}

Value mlir::retnet::buildContraction(OpBuilder &b, Location loc, Value lhs,
                                     Value rhs, Value init, AffineMap lhsMap,
                                     AffineMap rhsMap) {
  SmallVector<AffineMap> maps = {lhsMap, rhsMap,
                                 projectionMap(b.getContext(), 3, {0, 1})};
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{lhs, rhs}, ValueRange{init},
             maps, iterators,
             [](OpBuilder &builder, Location nested, ValueRange args) {
               // Narrower operands (bf16/f16 weights) widen to the
               // accumulator's type; int8 weights convert to it exactly.
               Type accumulator = args[2].getType();
               auto widen = [&](Value operand) -> Value {
                 if (operand.getType() == accumulator)
                   return operand;
                 if (operand.getType().isInteger())
                   return arith::SIToFPOp::create(builder, nested, accumulator,
                                                  operand);
                 return arith::ExtFOp::create(builder, nested, accumulator,
                                              operand);
               };
               Value product = arith::MulFOp::create(
                   builder, nested, widen(args[0]), widen(args[1]));
               Value sum =
                   arith::AddFOp::create(builder, nested, args[2], product);
               linalg::YieldOp::create(builder, nested, sum);
             })
      .getResult(0);
}

Value mlir::retnet::buildElementwise(OpBuilder &b, Location loc, Value init,
                                     ValueRange inputs,
                                     ArrayRef<AffineMap> inputMaps,
                                     ElementBodyFn body) {
  unsigned rank = cast<RankedTensorType>(init.getType()).getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
             [&](OpBuilder &builder, Location nested, ValueRange args) {
               linalg::YieldOp::create(builder, nested,
                                       body(builder, nested, args));
             })
      .getResult(0);
}

Value mlir::retnet::buildGenerate(OpBuilder &b, Location loc,
                                  ArrayRef<OpFoldResult> shape,
                                  Type elementType, ElementBodyFn body) {
  unsigned rank = shape.size();
  return buildElementwise(
      b, loc, buildEmpty(b, loc, shape, elementType), ValueRange{}, {},
      [&](OpBuilder &builder, Location nested, ValueRange) {
        SmallVector<Value> ivs;
        for (unsigned dim = 0; dim < rank; ++dim)
          ivs.push_back(linalg::IndexOp::create(builder, nested, dim));
        return body(builder, nested, ivs);
      });
}

Value mlir::retnet::buildIndexToFloat(OpBuilder &b, Location loc, Value index,
                                      Type type) {
  Value asInteger = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, type, asInteger);
}
