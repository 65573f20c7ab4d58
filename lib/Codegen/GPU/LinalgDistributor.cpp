//===- LinalgDistributor.cpp - Linalg ops over GPU blocks and threads -----===//

#include "LinalgDistributor.h"

#include "BufferRoots.h"
#include "ForallTiling.h"
#include "LoopSplit.h"
#include "OutputFills.h"
#include "RowTiles.h"
#include "SplitSum.h"
#include "ThreadTileLowering.h"
#include "WarpProducts.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::retnet;

namespace {
/// Points of a block in the split-reduction scheme: one warp's worth of
/// neighbouring output elements, or as few as kFewestPointsPerBlock (with
/// more slices each) where a sum has too few static outputs to fill
/// kFillBlocks blocks with 32.
constexpr int64_t kPointsPerBlock = 32;
constexpr int64_t kFewestPointsPerBlock = 8;
/// Blocks that keep a GPU's multiprocessors busy (two per SM of a Hopper).
constexpr int64_t kFillBlocks = 256;
/// The fewest threads across a block's points where each thread loads a
/// vector of them (the rest of the block's threads take slices of the sum).
constexpr int64_t kFewestColumnThreads = 4;
/// The linear mapping ids a forall can use (`linear_dim_0` to `_9`).
constexpr int64_t kLinearMappingIds = 10;
} // namespace

LogicalResult LinalgDistributor::distribute(RewriterBase &rewriter,
                                            linalg::LinalgOp op,
                                            linalg::FillOp init,
                                            ArrayRef<Epilogue> epilogues,
                                            const Prologue *prologue) const {
  if (op.getNumParallelLoops() + 1 > kLinearMappingIds)
    return op->emitOpError() << "has more than " << kLinearMappingIds - 1
                             << " parallel loops to map to GPU threads";
  for (const Epilogue &epilogue : epilogues)
    hoistBetween(rewriter, op, epilogue);
  if (op->hasAttr(kRowTilesMarker))
    return distributeRowTiles(rewriter, op, init, epilogues);
  if (int64_t points = splitPoints(op))
    return distributeSplit(rewriter, op, init, epilogues, prologue, points);
  SmallVector<int64_t> pointTile = pointTileSizes(op, threads);
  FailureOr<linalg::LinalgOp> block =
      tileToBlocks(rewriter, op, pointTile, init, epilogues, prologue);
  if (failed(block) ||
      failed(distributeOverThreads(rewriter, *block, threadCounts(pointTile),
                                   std::nullopt)))
    return op->emitOpError("could not be tiled to GPU blocks and threads");
  return success();
}

SmallVector<Epilogue>
LinalgDistributor::epilogueChain(linalg::LinalgOp op,
                                 ArrayRef<linalg::LinalgOp> prologueOps,
                                 const DenseSet<Operation *> &claimed,
                                 ArrayRef<linalg::LinalgOp> candidates) {
  SmallVector<Epilogue> epilogues;
  while (std::optional<Epilogue> epilogue =
             findEpilogue(op, epilogues, prologueOps)) {
    if (claimed.contains(epilogue->op) ||
        !llvm::is_contained(candidates, epilogue->op))
      break;
    epilogues.push_back(std::move(*epilogue));
  }
  return epilogues;
}

bool LinalgDistributor::versionForRows(
    RewriterBase &rewriter, linalg::LinalgOp op, int64_t minRows,
    DenseSet<Operation *> &claimed,
    ArrayRef<linalg::LinalgOp> candidates) const {
  std::optional<RowTileShape> shape = rowTileShape(op, threads);
  if (!shape || minRows < 0 || claimed.contains(op))
    return false;
  SmallVector<linalg::LinalgOp> group;
  SmallVector<Value> privateRoots;
  linalg::FillOp init = initializingFill(op);
  int64_t points = splitPoints(op);
  std::optional<Prologue> prologue =
      findPrologue(op, init, points ? points : threads);
  if (prologue) {
    group = prologue->ops;
    privateRoots = prologue->privateRoots;
  }
  if (init)
    group.push_back(init);
  group.push_back(op);
  for (const Epilogue &epilogue : epilogueChain(
           op, prologue ? prologue->ops : ArrayRef<linalg::LinalgOp>(), claimed,
           candidates))
    group.push_back(epilogue.op);
  if (llvm::any_of(group,
                   [&](linalg::LinalgOp member) {
                     return claimed.contains(member) ||
                            !llvm::is_contained(candidates, member);
                   }) ||
      failed(versionByRows(rewriter, op, shape->rowLoop, group, privateRoots,
                           rowTileMinRows(op, *shape, minRows))))
    return false;
  for (linalg::LinalgOp member : group)
    claimed.insert(member);
  return true;
}

int64_t LinalgDistributor::splitPoints(linalg::LinalgOp op) const {
  int64_t staticOutputs = staticIterations(op, utils::IteratorType::parallel);
  int64_t chosen = 0;
  for (int64_t points = kPointsPerBlock; points >= kFewestPointsPerBlock;
       points /= 2) {
    int64_t slices = threads / points;
    if (threads % points != 0 || slices < 2 ||
        !isSplittableSum(op, minimumSplitLength, slices))
      continue;
    chosen = points;
    if (staticOutputs < kPointsPerBlock ||
        staticOutputs / points >= kFillBlocks)
      break;
  }
  return chosen;
}

LogicalResult
LinalgDistributor::distributeInBlock(RewriterBase &rewriter,
                                     linalg::LinalgOp op,
                                     DenseSet<Operation *> *takenOver) const {
  if (tensorCores && runOnWarps(rewriter, op, takenOver))
    return success();
  SmallVector<int64_t> extents = boundedLoopRanges(op);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  // Points of a dynamic size count with its upper bound (the last chunk's
  // scores), so that a bounded sum is not split beyond its threads.
  int64_t points = 1;
  for (auto [extent, iterator] : llvm::zip(extents, iterators))
    if (iterator == utils::IteratorType::parallel &&
        !ShapedType::isDynamic(extent))
      points *= extent;
  // About the square root of the sum's length in slices: as many partial
  // sums as each thread adds terms (the merge adds the slices in turn).
  int64_t length = staticIterations(op, utils::IteratorType::reduction);
  int64_t slices = std::max<int64_t>(threads / points, 1);
  while (slices > 1 &&
         (slices * slices > length || !isSplittableSum(op, 2, slices)))
    slices /= 2;
  if (slices > 1)
    return distributeSplitTile(rewriter, op, extents, slices);
  std::optional<Value> initial;
  linalg::FillOp fill = takenOver ? initializingFill(op) : nullptr;
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (fill && llvm::none_of(reductions, [&](unsigned dim) {
        return outputMap.isFunctionOfDim(dim);
      })) {
    initial = fill.value();
    takenOver->insert(fill);
    rewriter.eraseOp(fill);
  }
  return spreadOverThreads(
      rewriter, op, extents, threads,
      [&](unsigned dim) {
        return iterators[dim] != utils::IteratorType::parallel;
      },
      initial);
}

bool LinalgDistributor::runOnWarps(RewriterBase &rewriter, linalg::LinalgOp op,
                                   DenseSet<Operation *> *takenOver) const {
  // The rest of the shape is warpTileShape's to check.
  if (op.getNumDpsInits() != 1 || op.hasDynamicShape())
    return false;
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outputMap.getNumResults() != 2 || !outputMap.isProjectedPermutation())
    return false;
  // The warps write their tiles while others still read the inputs.
  Value outputRoot = rootBuffer(op.getDpsInits()[0]);
  if (llvm::any_of(op.getDpsInputs(), [&](Value input) {
        return mayAlias(rootBuffer(input), outputRoot);
      }))
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned rowLoop = outputMap.getDimPosition(0);
  unsigned columnLoop = outputMap.getDimPosition(1);
  linalg::FillOp fill = takenOver ? initializingFill(op) : nullptr;
  std::optional<Value> initial;
  if (fill)
    initial = fill.value();
  std::optional<WarpTileShape> shape = warpTileShape(
      op, {rowLoop, columnLoop, ranges[rowLoop], ranges[columnLoop]}, threads,
      initial);
  if (!shape)
    return false;
  if (fill) {
    takenOver->insert(fill);
    rewriter.eraseOp(fill);
  }
  lowerToWarpProducts(rewriter, op, *shape, initial);
  return true;
}

LogicalResult
LinalgDistributor::distributeRowTiles(RewriterBase &rewriter,
                                      linalg::LinalgOp op, linalg::FillOp init,
                                      ArrayRef<Epilogue> epilogues) const {
  op->removeAttr(kRowTilesMarker);
  std::optional<RowTileShape> shape = rowTileShape(op, threads);
  if (!shape)
    return op->emitOpError("lost the shape of its row tiles");
  SmallVector<int64_t> blockTile(op.getNumLoops(), 0);
  blockTile[shape->rowLoop] = shape->blockRows();
  blockTile[shape->columnLoop] = shape->blockColumns();
  std::optional<Value> initial;
  if (init) {
    initial = init.getDpsInputs()[0];
    rewriter.eraseOp(init);
  }
  std::optional<WarpTileShape> warpShape;
  if (tensorCores)
    warpShape = warpTileShape(op,
                              {shape->rowLoop, shape->columnLoop,
                               shape->blockRows(), shape->blockColumns()},
                              threads, initial);
  FailureOr<linalg::LinalgOp> block =
      tileToBlocks(rewriter, op, blockTile, nullptr, epilogues, nullptr);
  if (succeeded(block) && warpShape)
    block = splitFullBlocks(rewriter, *block, *shape, *warpShape, initial);
  FailureOr<linalg::LinalgOp> interleaved = failure();
  if (succeeded(block))
    interleaved = interleaveColumns(rewriter, *block, *shape);
  if (failed(interleaved))
    return op->emitOpError("could not be tiled to GPU blocks of rows");
  // Threads over (rows, t), each with rowsPerThread rows and every j and
  // v (interleaveColumns: loops columnLoop, columnLoop + 1 and
  // columnLoop + 2 are j, t and v).
  unsigned loops = interleaved->getNumLoops();
  unsigned j = shape->columnLoop, t = j + 1, v = j + 2;
  SmallVector<int64_t> counts(loops, 0), points(loops, 0);
  counts[shape->rowLoop] = shape->threadRows;
  points[shape->rowLoop] = shape->rowsPerThread;
  counts[t] = shape->threadColumns;
  points[t] = 1;
  FailureOr<linalg::LinalgOp> thread = tileToForall(
      rewriter, *interleaved, counts, /*blocks=*/false, std::nullopt, points);
  if (failed(thread))
    return op->emitOpError("could not be tiled to register tiles");
  points[j] = shape->columnsPerThread / shape->vectorColumns;
  std::optional<unsigned> vectorLoop;
  if (shape->vectorColumns > 1) {
    points[v] = shape->vectorColumns;
    vectorLoop = v;
  }
  lowerToRegisterTile(rewriter, *thread, points, initial, vectorLoop);
  return success();
}

FailureOr<linalg::LinalgOp> LinalgDistributor::tileToBlocks(
    RewriterBase &rewriter, linalg::LinalgOp op, ArrayRef<int64_t> pointTile,
    linalg::FillOp init, ArrayRef<Epilogue> epilogues,
    const Prologue *prologue) const {
  Value output = epilogues.empty() ? Value() : op.getDpsInitOperand(0)->get();
  FailureOr<linalg::LinalgOp> block =
      tileToForall(rewriter, op, pointTile, /*blocks=*/true);
  if (failed(block) ||
      (prologue && failed(runPrologue(rewriter, *block, *prologue))) ||
      (init &&
       failed(fillOutputTile(rewriter, *block, init, threadCounts(pointTile)))))
    return failure();
  for (const Epilogue &epilogue : epilogues)
    if (failed(runEpilogue(rewriter, *block, output, epilogue, pointTile,
                           threads)))
      return failure();
  return block;
}

LogicalResult LinalgDistributor::runPrologue(RewriterBase &rewriter,
                                             linalg::LinalgOp tile,
                                             const Prologue &prologue) const {
  rewriter.setInsertionPoint(tile);
  FailureOr<SmallVector<linalg::LinalgOp>> tiles =
      tilePrologue(rewriter, prologue, tile, tileSpace, kPrologueBytes);
  if (failed(tiles)) {
    for (linalg::LinalgOp op : prologue.ops)
      if (failed(distribute(rewriter, op, nullptr, {}, nullptr)))
        return failure();
    return success();
  }
  for (linalg::LinalgOp op : *tiles)
    if (failed(distributeInBlock(rewriter, op)))
      return failure();
  erasePrologue(rewriter, prologue);
  return success();
}

LogicalResult LinalgDistributor::distributeSplit(RewriterBase &rewriter,
                                                 linalg::LinalgOp op,
                                                 linalg::FillOp init,
                                                 ArrayRef<Epilogue> epilogues,
                                                 const Prologue *prologue,
                                                 int64_t points) const {
  int64_t slices = threads / points;
  SmallVector<int64_t> pointTile = pointTileSizes(op, points);
  FailureOr<linalg::LinalgOp> block =
      tileToBlocks(rewriter, op, pointTile, init, epilogues, prologue);
  if (failed(block))
    return op->emitOpError("could not be tiled to GPU blocks");
  if (std::optional<unsigned> loop = vectorLoopOf(*block, pointTile)) {
    // Each thread's partial sums over `width` neighbouring points, which
    // it loads as one vector: the loop split into (points / width, width).
    int64_t width =
        vectorWidth(*block, *loop, pointTile[*loop] / kFewestColumnThreads);
    int64_t vectorSlices = threads * width / points;
    FailureOr<linalg::LinalgOp> split = failure();
    if (width > 1 && pointTile[*loop] % width == 0 &&
        threads % (points / width) == 0 &&
        isSplittableSum(*block, minimumSplitLength, vectorSlices))
      split = splitLoop(rewriter, *block, *loop, width);
    if (succeeded(split)) {
      SmallVector<int64_t> splitTile(pointTile);
      splitTile[*loop] /= width;
      splitTile.insert(splitTile.begin() + *loop + 1, width);
      return distributeSplitTile(rewriter, *split, splitTile, vectorSlices,
                                 *loop + 1);
    }
  }
  return distributeSplitTile(rewriter, *block, pointTile, slices);
}

LogicalResult LinalgDistributor::distributeSplitTile(
    RewriterBase &rewriter, linalg::LinalgOp block, ArrayRef<int64_t> pointTile,
    int64_t slices, std::optional<unsigned> vectorLoop) const {
  rewriter.setInsertionPoint(block);
  SplitSum split = splitSum(rewriter, block, pointTile, slices, tileSpace);
  // Loops of the pieces: the tile's parallel loops, then the slices
  // (parallel in the partial sums, reduced by the merge), then the
  // reduction loops of the partial sums.
  SmallVector<int64_t> counts;
  std::optional<unsigned> vectorPosition;
  for (auto [dim, size, iterator] :
       llvm::enumerate(pointTile, block.getIteratorTypesArray())) {
    if (iterator != utils::IteratorType::parallel)
      continue;
    if (vectorLoop == dim)
      vectorPosition = counts.size();
    counts.push_back(size > 1 ? size : 0);
  }
  unsigned sliceLoop = counts.size();
  SmallVector<int64_t> mergeCounts = counts;
  mergeCounts.push_back(0);
  // The vector loop whole in each thread of the fill and partial sums.
  if (vectorPosition)
    counts[*vectorPosition] = 0;
  SmallVector<int64_t> withSlices = counts;
  withSlices.push_back(slices);
  SmallVector<int64_t> partialCounts = withSlices;
  partialCounts.resize(split.partial.getNumLoops(), 0);
  if (failed(
          distributeOverThreads(rewriter, split.fill, withSlices, sliceLoop)) ||
      failed(distributePartialSums(rewriter, split.partial, partialCounts,
                                   sliceLoop, vectorPosition)) ||
      failed(distributeOverThreads(rewriter, split.merge, mergeCounts,
                                   std::nullopt)))
    return block->emitOpError("could not be tiled to GPU threads");
  return success();
}

LogicalResult LinalgDistributor::distributePartialSums(
    RewriterBase &rewriter, linalg::LinalgOp partial, ArrayRef<int64_t> counts,
    unsigned sliceLoop, std::optional<unsigned> vectorLoop) {
  if (!vectorLoop)
    return distributeOverThreads(rewriter, partial, counts, sliceLoop);
  FailureOr<linalg::LinalgOp> thread =
      tileToForall(rewriter, partial, counts, /*blocks=*/false, sliceLoop);
  if (failed(thread))
    return failure();
  SmallVector<int64_t> bounds(thread->getNumLoops(), 1);
  bounds[*vectorLoop] = thread->getStaticLoopRanges()[*vectorLoop];
  lowerToRegisterTile(rewriter, *thread, bounds, std::nullopt, vectorLoop);
  return success();
}
