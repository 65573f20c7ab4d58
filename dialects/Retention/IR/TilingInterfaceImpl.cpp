//===- TilingInterfaceImpl.cpp - Tiling retention ops over B, H, dv -------===//
//
// TilingInterface for the three retention ops. The iteration domain is
// (batch, heads, value columns), all parallel: the heads are independent
// and so are the batch rows, and every form is linear in v, so a column of
// the output and of the state depends on that column of v (and of the
// initial state) alone, with all of q and k; the tokens of a head are not
// independent (the recurrent and chunkwise forms carry a state along
// them). A tile is the same op on slices of q, k (their batch rows and
// heads), v, the initial state (and their value columns) and gamma (its
// heads); its results are the matching slices of the output and the final
// state.
//
//===----------------------------------------------------------------------===//

#include "Retention/IR/RetentionOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::retention;

namespace {
/// The offsets and sizes of a tile of the domain (batch, heads, value
/// columns) within a 4-d operand or result of shape `shape`: its batch rows
/// and heads, its third dimension whole, and its last one whole (q and k)
/// or the tile's value columns (v, the states and the output).
struct OperandTile {
  SmallVector<OpFoldResult> offsets, sizes;
};

OperandTile operandTile(OpBuilder &b, ArrayRef<OpFoldResult> shape,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes, bool valueColumns) {
  return OperandTile{
      {offsets[0], offsets[1], b.getIndexAttr(0),
       valueColumns ? offsets[2] : b.getIndexAttr(0)},
      {sizes[0], sizes[1], shape[2], valueColumns ? sizes[2] : shape[3]}};
}

/// The shape of result `resultNumber` of `op`: [B, H, T, dv] or
/// [B, H, dk, dv].
SmallVector<OpFoldResult> resultShape(OpBuilder &b, RetentionOpInterface op,
                                      unsigned resultNumber) {
  Location loc = op.getLoc();
  Value queries = op.getQueries();
  OpFoldResult rows = resultNumber == 0
                          ? tensor::getMixedSize(b, loc, queries, 2)
                          : OpFoldResult(b.getIndexAttr(op.getKeyDim()));
  return {tensor::getMixedSize(b, loc, queries, 0),
          b.getIndexAttr(op.getNumHeads()), rows,
          b.getIndexAttr(op.getValueDim())};
}

/// Whether the [offsets, sizes] slice of a 4-d value of shape `shape`
/// covers its third dimension whole, and its last one too unless
/// `valueColumns` (a slice of v, a state or the output may take some of
/// the value columns).
bool coversInnerDims(ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes, ArrayRef<OpFoldResult> shape,
                     bool valueColumns) {
  return offsets.size() == 4 && isZeroInteger(offsets[2]) &&
         isEqualConstantIntOrValue(sizes[2], shape[2]) &&
         (valueColumns || (isZeroInteger(offsets[3]) &&
                           isEqualConstantIntOrValue(sizes[3], shape[3])));
}

/// Whether `value`, an operand of `op`, is indexed by the value columns.
bool hasValueColumns(RetentionOpInterface op, Value value) {
  return value != op.getQueries() && value != op.getKeys();
}

/// The op of `op`'s form on the [offsets, sizes] tile of (batch, heads,
/// value columns).
FailureOr<TilingResult> tileRetention(OpBuilder &b, RetentionOpInterface op,
                                      ArrayRef<OpFoldResult> offsets,
                                      ArrayRef<OpFoldResult> sizes) {
  // The numbers of heads and of value columns are static in every
  // retention op.
  if (!getConstantIntValue(sizes[1]))
    return op->emitOpError("cannot tile the heads with a size that does not "
                           "divide their number (a tile's head count must "
                           "be static)");
  if (!getConstantIntValue(sizes[2]))
    return op->emitOpError("cannot tile the value columns with a size that "
                           "does not divide their number (a tile's value "
                           "width must be static)");
  Location loc = op.getLoc();
  SmallVector<Operation *> slices;
  auto slice = [&](Value tensor, ArrayRef<OpFoldResult> tileOffsets,
                   ArrayRef<OpFoldResult> tileSizes) -> Value {
    SmallVector<OpFoldResult> strides(tileOffsets.size(), b.getIndexAttr(1));
    auto sliceOp = tensor::ExtractSliceOp::create(b, loc, tensor, tileOffsets,
                                                  tileSizes, strides);
    slices.push_back(sliceOp);
    return sliceOp;
  };
  auto operandSlice = [&](Value tensor) {
    OperandTile tile = operandTile(b, tensor::getMixedSizes(b, loc, tensor),
                                   offsets, sizes, hasValueColumns(op, tensor));
    return slice(tensor, tile.offsets, tile.sizes);
  };

  SmallVector<Value> operands;
  for (OpOperand &operand : op->getOpOperands()) {
    Value value = operand.get();
    if (value == op.getGammaValue())
      operands.push_back(slice(value, offsets[1], sizes[1]));
    else if (isa<RankedTensorType>(value.getType()))
      operands.push_back(operandSlice(value));
    else
      operands.push_back(value); // the offset
  }
  SmallVector<Type> resultTypes;
  for (OpResult result : op->getResults()) {
    auto type = cast<RankedTensorType>(result.getType());
    SmallVector<int64_t> shape = {
        getConstantIntValue(sizes[0]).value_or(ShapedType::kDynamic),
        *getConstantIntValue(sizes[1]), type.getDimSize(2),
        *getConstantIntValue(sizes[2])};
    resultTypes.push_back(type.clone(shape));
  }
  Operation *tiled = clone(b, op, resultTypes, operands);
  return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()), slices};
}

template <typename OpTy>
struct RetentionTilingModel
    : public TilingInterface::ExternalModel<RetentionTilingModel<OpTy>, OpTy> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *) const {
    return SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel);
  }

  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    auto retention = cast<RetentionOpInterface>(op);
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    return {
        Range{zero,
              tensor::getMixedSize(b, op->getLoc(), retention.getQueries(), 0),
              one},
        Range{zero, b.getIndexAttr(retention.getNumHeads()), one},
        Range{zero, b.getIndexAttr(retention.getValueDim()), one}};
  }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    return tileRetention(b, cast<RetentionOpInterface>(op), offsets, sizes);
  }

  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    OperandTile tile = operandTile(
        b, resultShape(b, cast<RetentionOpInterface>(op), resultNumber),
        offsets, sizes, /*valueColumns=*/true);
    resultOffsets = tile.offsets;
    resultSizes = tile.sizes;
    return success();
  }

  /// A tile of a result is a tile of the iteration domain when it takes the
  /// result's third dimension (tokens, or the state's key rows) whole.
  LogicalResult getIterationDomainTileFromResultTile(
      Operation *op, OpBuilder &b, unsigned resultNumber,
      ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
      SmallVectorImpl<OpFoldResult> &domainOffsets,
      SmallVectorImpl<OpFoldResult> &domainSizes) const {
    auto retention = cast<RetentionOpInterface>(op);
    if (!coversInnerDims(offsets, sizes,
                         resultShape(b, retention, resultNumber),
                         /*valueColumns=*/true))
      return failure();
    domainOffsets.assign({offsets[0], offsets[1], offsets[3]});
    domainSizes.assign({sizes[0], sizes[1], sizes[3]});
    return success();
  }

  FailureOr<TilingResult>
  generateResultTileValue(Operation *op, OpBuilder &b, unsigned resultNumber,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) const {
    SmallVector<OpFoldResult> domainOffsets, domainSizes;
    if (failed(getIterationDomainTileFromResultTile(
            op, b, resultNumber, offsets, sizes, domainOffsets, domainSizes)))
      return failure();
    return getTiledImplementation(op, b, domainOffsets, domainSizes);
  }

  /// A tile of q or k that takes their inner dimensions whole, of v or the
  /// state that takes their third dimension whole, or of gamma, is a tile
  /// of the iteration domain (consumer fusion).
  LogicalResult getIterationDomainTileFromOperandTiles(
      Operation *op, OpBuilder &b, ArrayRef<unsigned> operandNumbers,
      ArrayRef<SmallVector<OpFoldResult>> allOffsets,
      ArrayRef<SmallVector<OpFoldResult>> allSizes,
      SmallVectorImpl<OpFoldResult> &domainOffsets,
      SmallVectorImpl<OpFoldResult> &domainSizes) const {
    auto retention = cast<RetentionOpInterface>(op);
    if (operandNumbers.size() != 1)
      return failure();
    Value operand = op->getOperand(operandNumbers[0]);
    ArrayRef<OpFoldResult> offsets = allOffsets[0], sizes = allSizes[0];
    OpFoldResult allColumns = b.getIndexAttr(retention.getValueDim());
    if (operand == retention.getGammaValue()) {
      domainOffsets.assign({b.getIndexAttr(0), offsets[0], b.getIndexAttr(0)});
      domainSizes.assign(
          {tensor::getMixedSize(b, op->getLoc(), retention.getQueries(), 0),
           sizes[0], allColumns});
      return success();
    }
    if (!isa<RankedTensorType>(operand.getType()))
      return failure();
    SmallVector<OpFoldResult> shape =
        tensor::getMixedSizes(b, op->getLoc(), operand);
    bool valueColumns = hasValueColumns(retention, operand);
    if (!coversInnerDims(offsets, sizes, shape, valueColumns))
      return failure();
    domainOffsets.assign({offsets[0], offsets[1],
                          valueColumns ? offsets[3] : b.getIndexAttr(0)});
    domainSizes.assign(
        {sizes[0], sizes[1], valueColumns ? sizes[3] : allColumns});
    return success();
  }

  FailureOr<TilingResult> getTiledImplementationFromOperandTiles(
      Operation *op, OpBuilder &b, ArrayRef<unsigned> operandNumbers,
      ArrayRef<SmallVector<OpFoldResult>> allOffsets,
      ArrayRef<SmallVector<OpFoldResult>> allSizes) const {
    SmallVector<OpFoldResult> domainOffsets, domainSizes;
    if (failed(getIterationDomainTileFromOperandTiles(
            op, b, operandNumbers, allOffsets, allSizes, domainOffsets,
            domainSizes)))
      return failure();
    return getTiledImplementation(op, b, domainOffsets, domainSizes);
  }
};
} // namespace

LogicalResult mlir::retention::reifyRetentionResultShapes(
    OpBuilder &builder, Operation *op, ReifiedRankedShapedTypeDims &shapes) {
  auto retention = cast<RetentionOpInterface>(op);
  for (unsigned result = 0; result < op->getNumResults(); ++result)
    shapes.push_back(resultShape(builder, retention, result));
  return success();
}

void mlir::retention::attachTilingInterface(MLIRContext &context) {
  ParallelOp::attachInterface<RetentionTilingModel<ParallelOp>>(context);
  RecurrentOp::attachInterface<RetentionTilingModel<RecurrentOp>>(context);
  ChunkwiseOp::attachInterface<RetentionTilingModel<ChunkwiseOp>>(context);
}
