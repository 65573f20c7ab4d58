//===- ForallTiling.cpp - Linalg ops tiled to GPU block and thread loops --===//

#include "ForallTiling.h"

#include "ThreadTileLowering.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;

namespace {
/// How many iterations of each loop of `extents` (dynamic: unbounded) fit in
/// `budget` points, from the innermost loop out: whole loops while they fit,
/// then a part of the next one, 1 for the rest; 0 for the loops `skip`
/// names.
SmallVector<int64_t> innermostFirst(ArrayRef<int64_t> extents, int64_t budget,
                                    llvm::function_ref<bool(unsigned)> skip) {
  SmallVector<int64_t> tile(extents.size(), 0);
  for (int64_t dim = extents.size() - 1; dim >= 0; --dim) {
    if (skip && skip(dim))
      continue;
    int64_t extent = extents[dim];
    tile[dim] = ShapedType::isDynamic(extent)
                    ? budget
                    : std::clamp<int64_t>(extent, 1, budget);
    budget = std::max<int64_t>(budget / tile[dim], 1);
  }
  return tile;
}

} // namespace

namespace mlir::retnet {

SmallVector<Attribute> linearMapping(MLIRContext *context,
                                     ArrayRef<int64_t> counts, bool blocks,
                                     std::optional<unsigned> slowest) {
  SmallVector<unsigned> loops;
  for (auto [dim, count] : llvm::enumerate(counts))
    if (count != 0 && dim != slowest)
      loops.push_back(dim);
  if (slowest && counts[*slowest] != 0)
    loops.insert(loops.begin(), *slowest);
  SmallVector<int64_t> ids(counts.size(), -1);
  for (auto [position, dim] : llvm::enumerate(loops))
    ids[dim] = loops.size() - 1 - position;
  SmallVector<Attribute> mapping;
  for (int64_t id : ids) {
    if (id < 0)
      continue;
    auto mappingId = static_cast<gpu::MappingId>(
        static_cast<uint64_t>(gpu::MappingId::LinearDim0) + id);
    mapping.push_back(
        blocks ? Attribute(gpu::GPUBlockMappingAttr::get(context, mappingId))
               : Attribute(gpu::GPUThreadMappingAttr::get(context, mappingId)));
  }
  return mapping;
}

/// Tile sizes (0 for the reduction loops) for tiles of at most `points`
/// neighbouring points of the parallel loops: the innermost parallel loops
/// whole while they fit, then a part of the next one, 1 for the rest.
SmallVector<int64_t> pointTileSizes(linalg::LinalgOp op, int64_t points) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  return innermostFirst(op.getStaticLoopRanges(), points, [&](unsigned dim) {
    return iterators[dim] != utils::IteratorType::parallel;
  });
}

/// Thread counts for the tiles of `pointTile`: a thread per point.
SmallVector<int64_t> threadCounts(ArrayRef<int64_t> pointTile) {
  return llvm::map_to_vector(pointTile,
                             [](int64_t size) { return size > 1 ? size : 0; });
}

/// Tiles `op` (on buffers) into an scf.forall mapped to GPU blocks (tiles of
/// `counts`) or threads (`counts` threads, each with `pointsPerThread`
/// points of each loop, one if not given) with upstream tiling, and returns
/// the tile. Without a loop to tile, the op moves into a forall of one
/// iteration, so that every op runs in a block and in a thread loop.
FailureOr<linalg::LinalgOp> tileToForall(RewriterBase &rewriter,
                                         linalg::LinalgOp op,
                                         ArrayRef<int64_t> counts, bool blocks,
                                         std::optional<unsigned> slowest,
                                         ArrayRef<int64_t> pointsPerThread) {
  MLIRContext *context = rewriter.getContext();
  rewriter.setInsertionPoint(op);
  if (llvm::all_of(counts, [](int64_t count) { return count == 0; })) {
    Attribute mapping = linearMapping(context, {1}, blocks, std::nullopt)[0];
    auto forall = scf::ForallOp::create(
        rewriter, op.getLoc(), ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
        ValueRange{}, rewriter.getArrayAttr({mapping}));
    rewriter.moveOpBefore(op, forall.getTerminator());
    return op;
  }
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  SmallVector<OpFoldResult> values = getAsIndexOpFoldResult(context, counts);
  if (blocks) {
    options.setTileSizes(values);
  } else {
    options.setNumThreads(values);
    SmallVector<int64_t> points;
    for (auto [dim, count] : llvm::enumerate(counts))
      points.push_back(count == 0                ? 0
                       : pointsPerThread.empty() ? 1
                                                 : pointsPerThread[dim]);
    options.setTileSizes(getAsIndexOpFoldResult(context, points));
  }
  options.setMapping(linearMapping(context, counts, blocks, slowest));
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return failure();
  rewriter.eraseOp(op);
  return cast<linalg::LinalgOp>(tiled->tiledOps.back());
}

/// Tiles `op` to `counts` threads (each with `pointsPerThread` points of
/// each loop, one if not given) and lowers each thread's tile to loops.
LogicalResult distributeOverThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                                    ArrayRef<int64_t> counts,
                                    std::optional<unsigned> slowest,
                                    ArrayRef<int64_t> pointsPerThread,
                                    std::optional<Value> initial) {
  FailureOr<linalg::LinalgOp> thread = tileToForall(
      rewriter, op, counts, /*blocks=*/false, slowest, pointsPerThread);
  if (failed(thread))
    return failure();
  lowerToRegisterLoops(rewriter, *thread, initial);
  return success();
}

/// Distributes `op` (whose loops have at most `extents` iterations) over
/// `threads` threads, each taking neighbouring points, the innermost loops
/// spread across threads first; the loops `skip` names run whole in each
/// thread.
LogicalResult spreadOverThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                                ArrayRef<int64_t> extents, int64_t threads,
                                llvm::function_ref<bool(unsigned)> skip,
                                std::optional<Value> initial) {
  SmallVector<int64_t> counts =
      threadCounts(innermostFirst(extents, threads, skip));
  SmallVector<int64_t> points;
  for (auto [extent, count] : llvm::zip(extents, counts))
    points.push_back(count == 0 ? 0 : llvm::divideCeil(extent, count));
  return distributeOverThreads(rewriter, op, counts, std::nullopt, points,
                               initial);
}

/// The product of `op`'s static loop extents of loops of kind `iterator`
/// (dynamic ones left out).
int64_t staticIterations(linalg::LinalgOp op, utils::IteratorType iterator) {
  int64_t product = 1;
  for (auto [extent, kind] :
       llvm::zip(op.getStaticLoopRanges(), op.getIteratorTypesArray()))
    if (kind == iterator && !ShapedType::isDynamic(extent))
      product *= extent;
  return product;
}

SmallVector<int64_t> boundedLoopRanges(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<ShapedType>(operand.get().getType()))
      continue;
    for (auto [position, result] :
         llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (!dim || !ShapedType::isDynamic(ranges[dim.getPosition()]))
        continue;
      // A workgroup buffer sized by its bound (promoteBlockAllocations)
      // is a reinterpret_cast, which value-bounds analysis does not see
      // through: its size operand is bounded instead.
      ValueBoundsConstraintSet::Variable size(operand.get(), position);
      if (auto cast = operand.get().getDefiningOp<memref::ReinterpretCastOp>())
        size =
            ValueBoundsConstraintSet::Variable(cast.getMixedSizes()[position]);
      FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
          presburger::BoundType::UB, size, /*stopCondition=*/nullptr,
          /*closedUB=*/true);
      if (succeeded(bound) && *bound >= 0)
        ranges[dim.getPosition()] = std::max<int64_t>(*bound, 1);
    }
  }
  return ranges;
}

/// Replaces `init`, the fill of a whole output buffer, by a fill of the
/// output tile of `tile` (a block's tile of the op that `init`
/// initialized), one thread per point as `loopCounts` (per loop of `tile`)
/// distribute the tile's points.
LogicalResult fillOutputTile(RewriterBase &rewriter, linalg::LinalgOp tile,
                             linalg::FillOp init,
                             ArrayRef<int64_t> loopCounts) {
  rewriter.setInsertionPoint(tile);
  OpOperand *output = tile.getDpsInitOperand(0);
  auto fill = linalg::FillOp::create(rewriter, tile.getLoc(),
                                     init.getDpsInputs(), output->get());
  SmallVector<int64_t> counts;
  for (AffineExpr result : tile.getMatchingIndexingMap(output).getResults())
    counts.push_back(loopCounts[cast<AffineDimExpr>(result).getPosition()]);
  rewriter.eraseOp(init);
  return distributeOverThreads(rewriter, fill, counts, std::nullopt);
}

/// Runs `epilogue` in the block of `tile` (a block's tile of `pointTile`'s
/// points of the op that it follows), after everything else there: each of
/// the `threads` threads takes neighbouring points, the innermost loops
/// spread across threads first.
LogicalResult runEpilogue(RewriterBase &rewriter, linalg::LinalgOp tile,
                          Value output, const retnet::Epilogue &epilogue,
                          ArrayRef<int64_t> pointTile, int64_t threads) {
  OpOperand *outputTile = tile.getDpsInitOperand(0);
  AffineMap outputMap = tile.getMatchingIndexingMap(outputTile);
  // The most points of each loop in a block's tile.
  linalg::LinalgOp epilogueOp = epilogue.op;
  SmallVector<int64_t> extents = epilogueOp.getStaticLoopRanges();
  for (auto [extent, dim, points] :
       llvm::zip(extents, epilogue.outputDims, epilogue.pointsPerOutput))
    if (dim >= 0)
      extent = pointTile[outputMap.getDimPosition(dim)] * points;
    else if (dim == retnet::Epilogue::kUnitLoop)
      extent = 1;
  rewriter.setInsertionPoint(
      tile->getParentOfType<scf::ForallOp>().getTerminator());
  FailureOr<linalg::LinalgOp> tiled =
      retnet::tileEpilogue(rewriter, epilogue, output, outputTile->get());
  if (failed(tiled))
    return failure();
  return spreadOverThreads(rewriter, *tiled, extents, threads);
}

} // namespace mlir::retnet
