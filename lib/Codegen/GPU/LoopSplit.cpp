//===- LoopSplit.cpp - One loop of a linalg op split into two -------------===//

#include "LoopSplit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

std::optional<unsigned> retnet::resultOfDim(AffineMap map, unsigned dim) {
  for (auto [position, result] : llvm::enumerate(map.getResults()))
    if (result == getAffineDimExpr(dim, map.getContext()))
      return position;
  return std::nullopt;
}

std::pair<Value, AffineMap> retnet::splitOperand(RewriterBase &rewriter,
                                                 linalg::LinalgOp op,
                                                 OpOperand *operand,
                                                 const LoopSplit &split) {
  AffineMap map = op.getMatchingIndexingMap(operand);
  MLIRContext *context = map.getContext();
  SmallVector<AffineExpr> replacements;
  for (unsigned position : split.positions)
    replacements.push_back(getAffineDimExpr(position, context));
  std::optional<unsigned> splitResult = resultOfDim(map, split.loop);
  if (!splitResult)
    return {operand->get(),
            map.replaceDimsAndSymbols(replacements, {}, split.numLoops, 0)};
  Location loc = op.getLoc();
  int64_t extent = op.getStaticLoopRanges()[split.loop];
  auto type = cast<MemRefType>(operand->get().getType());
  SmallVector<AffineExpr> results;
  SmallVector<ReassociationIndices> reassociation;
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> outputShape;
  SmallVector<OpFoldResult> sizes =
      memref::getMixedSizes(rewriter, loc, operand->get());
  for (auto [position, result] : llvm::enumerate(map.getResults())) {
    int64_t next = shape.size();
    if (position != *splitResult) {
      results.push_back(result.replaceDims(replacements));
      reassociation.push_back({next});
      shape.push_back(type.getDimSize(position));
      outputShape.push_back(sizes[position]);
      continue;
    }
    results.push_back(replacements[split.loop]);
    results.push_back(getAffineDimExpr(split.innerPosition, context));
    reassociation.push_back({next, next + 1});
    shape.append({extent / split.innerSize, split.innerSize});
    outputShape.append({rewriter.getIndexAttr(extent / split.innerSize),
                        rewriter.getIndexAttr(split.innerSize)});
  }
  FailureOr<MemRefType> expandedType =
      memref::ExpandShapeOp::computeExpandedType(type, shape, reassociation);
  assert(succeeded(expandedType) && "a strided dimension always expands");
  Value expanded = memref::ExpandShapeOp::create(
      rewriter, loc, *expandedType, operand->get(), reassociation, outputShape);
  return {expanded, AffineMap::get(split.numLoops, 0, results, context)};
}

SmallVector<Value> retnet::clonePayloadForSplit(OpBuilder &b, Location loc,
                                                linalg::LinalgOp op,
                                                ValueRange arguments,
                                                const LoopSplit &split) {
  IRMapping mapping;
  Block *body = op.getBlock();
  mapping.map(body->getArguments(), arguments);
  for (Operation &payloadOp : body->without_terminator()) {
    auto index = dyn_cast<linalg::IndexOp>(payloadOp);
    if (!index) {
      b.clone(payloadOp, mapping);
      continue;
    }
    unsigned dim = index.getDim();
    Value value = linalg::IndexOp::create(b, loc, split.positions[dim]);
    if (dim == split.loop) {
      Value size = arith::ConstantIndexOp::create(b, loc, split.innerSize);
      Value inner = linalg::IndexOp::create(b, loc, split.innerPosition);
      value = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, value, size), inner);
    }
    mapping.map(index.getResult(), value);
  }
  return llvm::map_to_vector(
      body->getTerminator()->getOperands(),
      [&](Value value) { return mapping.lookupOrDefault(value); });
}

FailureOr<linalg::LinalgOp> retnet::splitLoop(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              unsigned loop,
                                              int64_t innerSize) {
  int64_t extent = op.getStaticLoopRanges()[loop];
  if (ShapedType::isDynamic(extent) || extent % innerSize != 0)
    return failure();
  LoopSplit split;
  split.loop = loop;
  split.innerSize = innerSize;
  for (unsigned dim = 0, e = op.getNumLoops(); dim < e; ++dim)
    split.positions.push_back(dim > loop ? dim + 1 : dim);
  split.innerPosition = loop + 1;
  split.numLoops = op.getNumLoops() + 1;
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inputs, outputs;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    auto [value, map] = splitOperand(rewriter, op, &operand, split);
    (op.isDpsInput(&operand) ? inputs : outputs).push_back(value);
    maps.push_back(map);
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.insert(iterators.begin() + split.innerPosition,
                   utils::IteratorType::parallel);
  auto result = linalg::GenericOp::create(
      rewriter, op.getLoc(), TypeRange{}, inputs, outputs, maps, iterators,
      [&](OpBuilder &b, Location loc, ValueRange arguments) {
        linalg::YieldOp::create(
            b, loc, clonePayloadForSplit(b, loc, op, arguments, split));
      });
  rewriter.eraseOp(op);
  return cast<linalg::LinalgOp>(result.getOperation());
}

bool retnet::isContiguousAlong(linalg::LinalgOp op, OpOperand &operand,
                               unsigned loop) {
  auto type = dyn_cast<MemRefType>(operand.get().getType());
  AffineMap map = op.getMatchingIndexingMap(&operand);
  if (!type || map.getNumResults() == 0 ||
      map.getResults().back() != getAffineDimExpr(loop, op.getContext()) ||
      llvm::any_of(map.getResults().drop_back(), [&](AffineExpr result) {
        return result.isFunctionOfDim(loop);
      }))
    return false;
  int64_t offset;
  SmallVector<int64_t> strides;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

int64_t retnet::vectorWidth(linalg::LinalgOp op, unsigned loop, int64_t limit) {
  constexpr int64_t kVectorBits = 128;
  int64_t width = limit;
  bool found = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!isContiguousAlong(op, *input, loop))
      continue;
    found = true;
    auto type = cast<MemRefType>(input->get().getType());
    width = std::min<int64_t>(
        width,
        std::max<int64_t>(kVectorBits / type.getElementTypeBitWidth(), 1));
  }
  return found ? width : 1;
}

std::optional<unsigned> retnet::vectorLoopOf(linalg::LinalgOp block,
                                             ArrayRef<int64_t> pointTile) {
  SmallVector<utils::IteratorType> iterators = block.getIteratorTypesArray();
  for (unsigned dim = block.getNumLoops(); dim-- > 0;) {
    if (iterators[dim] != utils::IteratorType::parallel || pointTile[dim] <= 1)
      continue;
    if (vectorWidth(block, dim, pointTile[dim]) > 1)
      return dim;
    return std::nullopt;
  }
  return std::nullopt;
}
