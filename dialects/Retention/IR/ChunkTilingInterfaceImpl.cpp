//===- ChunkTilingInterfaceImpl.cpp - Tiling the chunkwise pieces ---------===//
//
// TilingInterface for chunk_states and chunk_outputs over (batch, heads,
// chunks) and for chunk_scan over (batch, heads, dk, dv), all parallel. A
// tile is the same op on slices: a tile of chunks [c0, c0 + n) reads the
// tokens [c0 C, min((c0 + n) C, T)), and chunk_outputs' tile starts at the
// absolute position offset + c0 C.
//
//===----------------------------------------------------------------------===//

#include "Retention/IR/RetentionOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::retention;

namespace {
using Sizes = SmallVector<OpFoldResult>;

/// Builds the slices of one tile and collects them for the TilingResult.
struct TileBuilder {
  OpBuilder &b;
  Location loc;
  SmallVector<Operation *> slices;

  Value slice(Value tensor, ArrayRef<OpFoldResult> offsets,
              ArrayRef<OpFoldResult> sizes) {
    auto op = tensor::ExtractSliceOp::create(
        b, loc, tensor, offsets, sizes,
        Sizes(offsets.size(), b.getIndexAttr(1)));
    slices.push_back(op);
    return op;
  }
  OpFoldResult zero() { return b.getIndexAttr(0); }
  OpFoldResult dim(Value tensor, int64_t index) {
    return tensor::getMixedSize(b, loc, tensor, index);
  }
  /// The shape of a tiled result: `type` with the sizes that are constants.
  RankedTensorType tiledType(RankedTensorType type,
                             ArrayRef<OpFoldResult> sizes) {
    SmallVector<int64_t> shape;
    for (OpFoldResult size : sizes)
      shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
    return type.clone(shape);
  }
  /// The tokens [c0 C, c0 C + min(n C, T - c0 C)) of chunks [c0, c0 + n).
  std::pair<OpFoldResult, OpFoldResult> tokensOfChunks(OpFoldResult firstChunk,
                                                       OpFoldResult chunks,
                                                       OpFoldResult length,
                                                       int64_t chunkSize) {
    AffineExpr c0, n, t;
    bindSymbols(b.getContext(), c0, n, t);
    OpFoldResult start = affine::makeComposedFoldedAffineApply(
        b, loc, c0 * chunkSize, {firstChunk});
    OpFoldResult count = affine::makeComposedFoldedAffineMin(
        b, loc,
        AffineMap::get(0, 3, {n * chunkSize, t - c0 * chunkSize},
                       b.getContext()),
        {firstChunk, chunks, length});
    return {start, count};
  }
  TilingResult result(Operation *tiled) {
    return TilingResult{
        {tiled}, SmallVector<Value>(tiled->getResults()), slices};
  }
};

/// ceil(T / C) for the tokens of `tensor` (dimension 2).
OpFoldResult chunkCount(OpBuilder &b, Location loc, Value tensor,
                        int64_t chunkSize) {
  AffineExpr t;
  bindSymbols(b.getContext(), t);
  return affine::makeComposedFoldedAffineApply(
      b, loc, t.ceilDiv(chunkSize), {tensor::getMixedSize(b, loc, tensor, 2)});
}

SmallVector<Range> domainOf(OpBuilder &b, ArrayRef<OpFoldResult> sizes) {
  SmallVector<Range> ranges;
  for (OpFoldResult size : sizes)
    ranges.push_back(Range{b.getIndexAttr(0), size, b.getIndexAttr(1)});
  return ranges;
}

/// Tiles of batch and heads of 1 or more, and a static head count.
LogicalResult checkHeadTile(Operation *op, ArrayRef<OpFoldResult> sizes) {
  if (!getConstantIntValue(sizes[1]))
    return op->emitOpError("cannot tile the heads with a size that does not "
                           "divide their number (a tile's head count must "
                           "be static)");
  return success();
}

/// The domain tile of a result tile that takes the trailing dimensions
/// `whole` (from position `firstWhole` on) whole.
LogicalResult domainFromResultTile(ArrayRef<OpFoldResult> offsets,
                                   ArrayRef<OpFoldResult> sizes,
                                   ArrayRef<OpFoldResult> shape,
                                   ArrayRef<unsigned> domainDims,
                                   SmallVectorImpl<OpFoldResult> &domainOffsets,
                                   SmallVectorImpl<OpFoldResult> &domainSizes) {
  for (unsigned dim = 0; dim < offsets.size(); ++dim) {
    if (llvm::is_contained(domainDims, dim))
      continue;
    if (!isZeroInteger(offsets[dim]) ||
        !isEqualConstantIntOrValue(sizes[dim], shape[dim]))
      return failure();
  }
  for (unsigned dim : domainDims) {
    domainOffsets.push_back(offsets[dim]);
    domainSizes.push_back(sizes[dim]);
  }
  return success();
}

/// What the models share: an iteration domain of `Rank` parallel
/// dimensions; for the pieces over chunks, (batch, heads, chunks) of the
/// tokens of `getTokens()`.
template <typename Model, typename OpTy, unsigned Rank>
struct ParallelTiling : public TilingInterface::ExternalModel<Model, OpTy> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *) const {
    return SmallVector<utils::IteratorType>(Rank,
                                            utils::IteratorType::parallel);
  }
};

template <typename Model, typename OpTy>
struct ChunkTiling : public ParallelTiling<Model, OpTy, 3> {
  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    auto piece = cast<OpTy>(op);
    Value tokens = Model::getTokens(piece);
    TileBuilder t{b, op->getLoc(), {}};
    return domainOf(
        b, {t.dim(tokens, 0), t.dim(tokens, 1),
            chunkCount(b, op->getLoc(), tokens, piece.getChunkSize())});
  }
};

struct ChunkStatesTiling
    : public ChunkTiling<ChunkStatesTiling, ChunkStatesOp> {
  static Value getTokens(ChunkStatesOp op) { return op.getK(); }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto states = cast<ChunkStatesOp>(op);
    if (failed(checkHeadTile(op, sizes)))
      return failure();
    TileBuilder t{b, op->getLoc(), {}};
    OpFoldResult start, count;
    std::tie(start, count) = t.tokensOfChunks(
        offsets[2], sizes[2], t.dim(states.getK(), 2), states.getChunkSize());
    auto tokens = [&](Value tensor) {
      return t.slice(tensor, {offsets[0], offsets[1], start, t.zero()},
                     {sizes[0], sizes[1], count, t.dim(tensor, 3)});
    };
    RankedTensorType deltasType = states.getDeltas().getType();
    auto tiled = ChunkStatesOp::create(
        b, op->getLoc(),
        t.tiledType(deltasType, {sizes[0], sizes[1], sizes[2],
                                 b.getIndexAttr(deltasType.getDimSize(3)),
                                 b.getIndexAttr(deltasType.getDimSize(4))}),
        tokens(states.getK()), tokens(states.getV()),
        t.slice(states.getGamma(), offsets[1], sizes[1]),
        states.getChunkSizeAttr());
    return t.result(tiled);
  }
  LogicalResult getResultTilePosition(
      Operation *op, OpBuilder &b, unsigned, ArrayRef<OpFoldResult> offsets,
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
      SmallVector<OpFoldResult> &resultSizes) const {
    RankedTensorType type = cast<ChunkStatesOp>(op).getDeltas().getType();
    resultOffsets = {offsets[0], offsets[1], offsets[2], b.getIndexAttr(0),
                     b.getIndexAttr(0)};
    resultSizes = {sizes[0], sizes[1], sizes[2],
                   b.getIndexAttr(type.getDimSize(3)),
                   b.getIndexAttr(type.getDimSize(4))};
    return success();
  }
  FailureOr<TilingResult>
  generateResultTileValue(Operation *op, OpBuilder &b, unsigned,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) const {
    SmallVector<OpFoldResult> domainOffsets, domainSizes;
    Value deltas = cast<ChunkStatesOp>(op).getDeltas();
    if (failed(domainFromResultTile(
            offsets, sizes, tensor::getMixedSizes(b, op->getLoc(), deltas),
            {0, 1, 2}, domainOffsets, domainSizes)))
      return failure();
    return getTiledImplementation(op, b, domainOffsets, domainSizes);
  }
};

struct ChunkOutputsTiling
    : public ChunkTiling<ChunkOutputsTiling, ChunkOutputsOp> {
  static Value getTokens(ChunkOutputsOp op) { return op.getQ(); }
  /// The output tile of a domain tile: [b0, h0, start, 0] [bs, hs, count,
  /// dv].
  void outputTile(ChunkOutputsOp op, OpBuilder &b,
                  ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
                  Sizes &tileOffsets, Sizes &tileSizes) const {
    TileBuilder t{b, op.getLoc(), {}};
    OpFoldResult start, count;
    std::tie(start, count) = t.tokensOfChunks(
        offsets[2], sizes[2], t.dim(op.getQ(), 2), op.getChunkSize());
    tileOffsets = {offsets[0], offsets[1], start, t.zero()};
    tileSizes = {sizes[0], sizes[1], count,
                 b.getIndexAttr(op.getV().getType().getDimSize(3))};
  }
  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto outputs = cast<ChunkOutputsOp>(op);
    if (failed(checkHeadTile(op, sizes)))
      return failure();
    TileBuilder t{b, op->getLoc(), {}};
    Sizes tileOffsets, tileSizes;
    outputTile(outputs, b, offsets, sizes, tileOffsets, tileSizes);
    auto tokens = [&](Value tensor) {
      Sizes tokenSizes = tileSizes;
      tokenSizes[3] = t.dim(tensor, 3);
      return t.slice(tensor, tileOffsets, tokenSizes);
    };
    RankedTensorType startsType = outputs.getStarts().getType();
    Value starts = t.slice(
        outputs.getStarts(),
        {offsets[0], offsets[1], offsets[2], t.zero(), t.zero()},
        {sizes[0], sizes[1], sizes[2], b.getIndexAttr(startsType.getDimSize(3)),
         b.getIndexAttr(startsType.getDimSize(4))});
    // The tile's first token is at absolute position offset + c0 C.
    Value offset =
        getValueOrCreateConstantIndexOp(b, op->getLoc(), tileOffsets[2]);
    if (Value base = outputs.getOffset())
      offset = arith::AddIOp::create(b, op->getLoc(), base, offset);
    auto tiled = ChunkOutputsOp::create(
        b, op->getLoc(), t.tiledType(outputs.getOutput().getType(), tileSizes),
        tokens(outputs.getQ()), tokens(outputs.getK()), tokens(outputs.getV()),
        starts, t.slice(outputs.getGamma(), offsets[1], sizes[1]), offset,
        outputs.getScalingAttr(), outputs.getChunkSizeAttr());
    return t.result(tiled);
  }
  LogicalResult getResultTilePosition(
      Operation *op, OpBuilder &b, unsigned, ArrayRef<OpFoldResult> offsets,
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
      SmallVector<OpFoldResult> &resultSizes) const {
    outputTile(cast<ChunkOutputsOp>(op), b, offsets, sizes, resultOffsets,
               resultSizes);
    return success();
  }
};

struct ChunkScanTiling
    : public ParallelTiling<ChunkScanTiling, ChunkScanOp, 4> {
  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    Value deltas = cast<ChunkScanOp>(op).getDeltas();
    TileBuilder t{b, op->getLoc(), {}};
    return domainOf(b, {t.dim(deltas, 0), t.dim(deltas, 1), t.dim(deltas, 3),
                        t.dim(deltas, 4)});
  }
  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto scan = cast<ChunkScanOp>(op);
    if (failed(checkHeadTile(op, sizes)))
      return failure();
    if (!getConstantIntValue(sizes[2]) || !getConstantIntValue(sizes[3]))
      return op->emitOpError("cannot tile dk or dv with a size that does not "
                             "divide them");
    TileBuilder t{b, op->getLoc(), {}};
    Value deltas = scan.getDeltas();
    Sizes chunkOffsets = {offsets[0], offsets[1], t.zero(), offsets[2],
                          offsets[3]};
    Sizes chunkSizes = {sizes[0], sizes[1], t.dim(deltas, 2), sizes[2],
                        sizes[3]};
    Value state;
    if (Value initialState = scan.getInitialState())
      state = t.slice(initialState, offsets, sizes);
    auto tiled = ChunkScanOp::create(
        b, op->getLoc(), t.tiledType(scan.getStarts().getType(), chunkSizes),
        t.tiledType(scan.getFinalState().getType(), sizes),
        t.slice(deltas, chunkOffsets, chunkSizes),
        t.slice(scan.getGamma(), offsets[1], sizes[1]), state, scan.getLength(),
        scan.getChunkSizeAttr());
    return t.result(tiled);
  }
  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    resultOffsets.assign(offsets.begin(), offsets.end());
    resultSizes.assign(sizes.begin(), sizes.end());
    if (resultNumber == 0) {
      resultOffsets.insert(resultOffsets.begin() + 2, b.getIndexAttr(0));
      resultSizes.insert(resultSizes.begin() + 2,
                         tensor::getMixedSize(b, op->getLoc(),
                                              cast<ChunkScanOp>(op).getDeltas(),
                                              2));
    }
    return success();
  }
};
} // namespace

LogicalResult
ChunkStatesOp::reifyResultShapes(OpBuilder &b,
                                 ReifiedRankedShapedTypeDims &shapes) {
  TileBuilder t{b, getLoc(), {}};
  RankedTensorType type = getDeltas().getType();
  shapes.push_back({t.dim(getK(), 0), t.dim(getK(), 1),
                    chunkCount(b, getLoc(), getK(), getChunkSize()),
                    b.getIndexAttr(type.getDimSize(3)),
                    b.getIndexAttr(type.getDimSize(4))});
  return success();
}

LogicalResult
ChunkScanOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> starts =
      tensor::getMixedSizes(b, getLoc(), getDeltas());
  shapes.push_back(starts);
  shapes.push_back({starts[0], starts[1], starts[3], starts[4]});
  return success();
}

LogicalResult
ChunkOutputsOp::reifyResultShapes(OpBuilder &b,
                                  ReifiedRankedShapedTypeDims &shapes) {
  TileBuilder t{b, getLoc(), {}};
  shapes.push_back({t.dim(getQ(), 0), t.dim(getQ(), 1), t.dim(getQ(), 2),
                    b.getIndexAttr(getV().getType().getDimSize(3))});
  return success();
}

void mlir::retention::attachChunkTilingInterface(MLIRContext &context) {
  ChunkStatesOp::attachInterface<ChunkStatesTiling>(context);
  ChunkOutputsOp::attachInterface<ChunkOutputsTiling>(context);
  ChunkScanOp::attachInterface<ChunkScanTiling>(context);
}
