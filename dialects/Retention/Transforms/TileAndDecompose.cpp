//===- TileAndDecompose.cpp - Retention ops to linalg on tiles -----------===//
//
// The lowering of retention ops (and chunkwise pieces) that the targets
// share: upstream tile-and-fuse through the ops' TilingInterface, then the
// decomposition of each tile through linalg::AggregatedOpInterface.
//
//===----------------------------------------------------------------------===//

#include "Retention/Transforms/TileAndDecompose.h"

#include "Retention/IR/RetentionOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::retention;

/// The linalg ops that produce q, k or v of `op` and have no other users:
/// the per-head split, rotation and scaling of the projections, which are
/// computed per tile in the tile loop instead of as [B, H, T, d] tensors.
static llvm::SmallPtrSet<Operation *, 4> fusableProducers(Operation *op) {
  llvm::SmallPtrSet<Operation *, 4> producers;
  auto retention = dyn_cast<RetentionOpInterface>(op);
  if (!retention)
    return producers;
  for (Value operand :
       {retention.getQueries(), retention.getKeys(), retention.getValues()}) {
    auto producer = operand.getDefiningOp<linalg::LinalgOp>();
    if (producer && llvm::all_of(producer->getUsers(),
                                 [&](Operation *user) { return user == op; }))
      producers.insert(producer);
  }
  return producers;
}

/// Whether `tensor` is (a slice or cast of) a buffer that must not be
/// written: a `bufferization.to_tensor` without `writable` (a kernel's
/// input) or a constant.
static bool isReadOnly(Value tensor) {
  while (true) {
    if (auto slice = tensor.getDefiningOp<tensor::ExtractSliceOp>())
      tensor = slice.getSource();
    else if (auto cast = tensor.getDefiningOp<tensor::CastOp>())
      tensor = cast.getSource();
    else
      break;
  }
  if (auto toTensor = tensor.getDefiningOp<bufferization::ToTensorOp>())
    return !toTensor.getWritable();
  return matchPattern(tensor, m_Constant());
}

/// Makes the final state of the retention op `op`, tiled into `loop`, one
/// buffer that every tile updates in place. The retention ops are not
/// destination-style: tiling gives the final state an empty destination,
/// and each tile reads its initial state from a slice of the operand, which
/// bufferizes to state-sized copies (a full copy of the state per layer and
/// call, and one per head). Each tile reads and writes only its own slice,
/// so:
/// - a writable initial state (the model's state buffer) becomes the loop's
///   shared output, and each tile reads its slice of that;
/// - a read-only one (a kernel whose initial and final states are separate
///   buffers) keeps the empty destination, which empty-tensor elimination
///   makes the final state's buffer, and each tile first copies its slice of
///   the initial state there: one copy per head, in the tile's thread.
static void updateStateInPlace(RewriterBase &rewriter, RetentionOpInterface op,
                               scf::ForallOp loop, RetentionOpInterface tile) {
  Value initialState = op.getInitialStateValue();
  Value finalState = op.getFinalStateValue();
  if (!initialState || !finalState ||
      initialState.getType() != finalState.getType())
    return;
  unsigned index = cast<OpResult>(finalState).getResultNumber();
  auto slice =
      tile.getInitialStateValue()
          ? tile.getInitialStateValue().getDefiningOp<tensor::ExtractSliceOp>()
          : tensor::ExtractSliceOp();
  if (!slice || slice.getSource() != initialState)
    return;
  BlockArgument shared = loop.getRegionIterArgs()[index];
  if (!isReadOnly(initialState)) {
    rewriter.modifyOpInPlace(
        loop, [&] { loop.getOutputsMutable()[index].assign(initialState); });
    rewriter.modifyOpInPlace(slice,
                             [&] { slice.getSourceMutable().assign(shared); });
    return;
  }
  rewriter.setInsertionPoint(tile);
  Value destination = tensor::ExtractSliceOp::create(
      rewriter, slice.getLoc(), shared, slice.getMixedOffsets(),
      slice.getMixedSizes(), slice.getMixedStrides());
  Value copied = linalg::CopyOp::create(rewriter, slice.getLoc(),
                                        slice.getResult(), destination)
                     .getResult(0);
  rewriter.replaceUsesWithIf(slice.getResult(), copied, [&](OpOperand &use) {
    return use.getOwner() == tile.getOperation();
  });
}

LogicalResult
mlir::retention::tileAndDecompose(RewriterBase &rewriter, Operation *op,
                                  const TileAndDecomposeOptions &options) {
  int64_t valueTile = options.valueTile;
  auto tileable = cast<TilingInterface>(op);
  // Every parallel dimension of the domain is tiled to 1, except the value
  // columns of the retention ops and the state elements of chunk_scan (dk,
  // dv), which stay whole in a tile unless the options split them: a tile
  // is one head of one batch row.
  SmallVector<OpFoldResult> tileSizes(tileable.getLoopIteratorTypes().size(),
                                      rewriter.getIndexAttr(1));
  if (auto retention = dyn_cast<RetentionOpInterface>(op)) {
    int64_t columns = retention.getValueDim();
    bool split =
        valueTile > 0 && valueTile < columns && columns % valueTile == 0;
    tileSizes[2] = rewriter.getIndexAttr(split ? valueTile : 0);
  }
  if (auto scan = dyn_cast<ChunkScanOp>(op)) {
    RankedTensorType deltas = scan.getDeltas().getType();
    auto stateTile = [&](int64_t tile, int64_t size) {
      return rewriter.getIndexAttr(
          tile > 0 && tile < size && size % tile == 0 ? tile : 0);
    };
    tileSizes[2] = stateTile(options.stateRowTile, deltas.getDimSize(3));
    tileSizes[3] = stateTile(options.stateColumnTile, deltas.getDimSize(4));
  }
  scf::SCFTileAndFuseOptions tiling;
  tiling.tilingOptions.setTileSizes(tileSizes);
  tiling.tilingOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  if (!options.mapping.empty())
    tiling.tilingOptions.setMapping(options.mapping);
  llvm::SmallPtrSet<Operation *, 4> producers;
  if (options.fuseProducers)
    producers = fusableProducers(op);
  tiling.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (isDestination || !producers.contains(producer.getOwner()))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> tiled =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, tileable, tiling);
  if (failed(tiled))
    return op->emitOpError("could not be tiled over batch and heads");
  if (auto retention = dyn_cast<RetentionOpInterface>(op))
    updateStateInPlace(
        rewriter, retention,
        cast<scf::ForallOp>(tiled->loops.front().getOperation()),
        cast<RetentionOpInterface>(tiled->tiledAndFusedOps.front()));
  for (OpResult result : op->getResults())
    rewriter.replaceAllUsesWith(result, tiled->replacements.lookup(result));
  for (Operation *producer : tiled->fusedProducers)
    if (producer->use_empty())
      rewriter.eraseOp(producer);
  rewriter.eraseOp(op);

  Operation *tile = tiled->tiledAndFusedOps.front();
  rewriter.setInsertionPoint(tile);
  FailureOr<SmallVector<Value>> decomposed =
      cast<linalg::AggregatedOpInterface>(tile).decomposeOperation(rewriter);
  if (failed(decomposed))
    return tile->emitOpError("could not be decomposed into linalg");
  rewriter.replaceOp(tile, *decomposed);
  return success();
}
