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

Value mlir::retnet::buildZeroFill(OpBuilder &b, Location loc,
                                  Value destination) {
  Type elementType = getElementTypeOrSelf(destination.getType());
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  return linalg::FillOp::create(b, loc, zero, destination).getResult(0);
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
                                     AffineMap rhsMap, Value rhsScales,
                                     int64_t group) {
  SmallVector<AffineMap> maps = {lhsMap, rhsMap};
  SmallVector<Value> inputs = {lhs, rhs};
  if (rhsScales) {
    maps.push_back(groupScaleMap(rhsMap, group));
    inputs.push_back(rhsScales);
  }
  maps.push_back(projectionMap(b.getContext(), 3, {0, 1}));
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
             [](OpBuilder &builder, Location nested, ValueRange args) {
               // Narrower operands (bf16/f16 weights) widen to the
               // accumulator's type; int8 weights convert to it exactly.
               Value accumulator = args.back();
               Type wide = accumulator.getType();
               auto widen = [&](Value operand) {
                 return buildWidened(builder, nested, operand, wide);
               };
               Value right = widen(args[1]);
               if (args.size() == 4)
                 right = arith::MulFOp::create(builder, nested, right, args[2]);
               Value product = arith::MulFOp::create(builder, nested,
                                                     widen(args[0]), right);
               Value sum =
                   arith::AddFOp::create(builder, nested, accumulator, product);
               linalg::YieldOp::create(builder, nested, sum);
             })
      .getResult(0);
}

AffineMap mlir::retnet::groupScaleMap(AffineMap rhsMap, int64_t group) {
  AffineExpr reduction =
      getAffineDimExpr(rhsMap.getNumDims() - 1, rhsMap.getContext());
  return rhsMap.replace(reduction, reduction.floorDiv(group),
                        rhsMap.getNumDims(), rhsMap.getNumSymbols());
}

/// The value `value` widened by `arith.sitofp` from a block argument, or
/// null.
static Value convertedArgument(Value value) {
  auto convert = value.getDefiningOp<arith::SIToFPOp>();
  return convert && isa<BlockArgument>(convert.getIn()) ? convert.getIn()
                                                        : Value();
}

int64_t mlir::retnet::groupOfScaledContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 3 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 ||
      op.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return 0;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto scaleDivisor = [&]() -> int64_t {
    AffineExpr reduction =
        getAffineDimExpr(op.getNumLoops() - 1, op.getContext());
    for (AffineExpr expr : maps[2].getResults())
      if (auto div = dyn_cast<AffineBinaryOpExpr>(expr);
          div && div.getKind() == AffineExprKind::FloorDiv &&
          div.getLHS() == reduction)
        if (auto size = dyn_cast<AffineConstantExpr>(div.getRHS()))
          return size.getValue();
    return 0;
  };
  int64_t group = scaleDivisor();
  if (group <= 0 || maps[2] != groupScaleMap(maps[1], group))
    return 0;
  // The body: yield(acc + a * (sitofp(q) * s)).
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto sum = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!sum || sum.getLhs() != body->getArgument(3))
    return 0;
  auto product = sum.getRhs().getDefiningOp<arith::MulFOp>();
  if (!product || product.getLhs() != body->getArgument(0))
    return 0;
  auto scaled = product.getRhs().getDefiningOp<arith::MulFOp>();
  if (!scaled || convertedArgument(scaled.getLhs()) != body->getArgument(1) ||
      scaled.getRhs() != body->getArgument(2) ||
      body->getOperations().size() != 5)
    return 0;
  return group;
}

bool mlir::retnet::isContractionLike(linalg::LinalgOp op) {
  return linalg::isaContractionOpInterface(op) ||
         groupOfScaledContraction(op) != 0;
}

SmallVector<AffineMap> mlir::retnet::contractionMaps(linalg::LinalgOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (groupOfScaledContraction(op))
    maps.erase(maps.begin() + 2);
  return maps;
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

Value mlir::retnet::buildWidened(OpBuilder &b, Location loc, Value value,
                                 Type type) {
  if (value.getType() == type)
    return value;
  if (value.getType().isInteger())
    return arith::SIToFPOp::create(b, loc, type, value);
  return arith::ExtFOp::create(b, loc, type, value);
}
