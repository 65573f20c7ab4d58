//===- GPUDistributeLinalg.cpp - Linalg ops over GPU blocks and threads ---===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockBuffers.h"
#include "BlockLoops.h"
#include "BufferRoots.h"
#include "Epilogue.h"
#include "ForallTiling.h"
#include "LoopSplit.h"
#include "OutputFills.h"
#include "Prologue.h"
#include "RowTiles.h"
#include "SplitSum.h"
#include "ThreadTileLowering.h"
#include "WarpProducts.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUDISTRIBUTELINALG
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using retnet::distributeOverThreads;
using retnet::fillOutputTile;
using retnet::initializingFill;
using retnet::insideBlocks;
using retnet::pointTileSizes;
using retnet::runEpilogue;
using retnet::sinkFillsToFirstAccess;
using retnet::spreadOverThreads;
using retnet::staticIterations;
using retnet::threadCounts;
using retnet::tileToForall;

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
/// Workgroup memory for the slices that a block's prologue computes (of the
/// 48 KiB that a block may have statically).
constexpr int64_t kPrologueBytes = 32 * 1024;
/// Workgroup memory for the buffers of the ops that tiling fused into a
/// block (the rest of the 48 KiB is left to its split sums' partials).
constexpr int64_t kBlockBufferBytes = 40 * 1024;

/// Distributes a linalg op on buffers over GPU blocks and threads, with
/// upstream tiling (scf::tileUsingSCF to scf.forall loops with linear
/// #gpu.block and #gpu.thread mappings):
///
/// - in general, blocks of `threads` neighbouring points of the parallel
///   loops (pointTileSizes), one thread per point, the innermost loop
///   fastest across threads; each thread carries its outputs in registers
///   through the reduction loops;
/// - long sums (matrix products, norms) split their first reduction loop:
///   blocks of 32 points whose `threads / 32` slices of the reduction sum
///   into a workgroup tile, then add it to the outputs (SplitSum.h). A
///   decoding step's matrix-vector products so use `threads / 32` times
///   more blocks than with one thread per element;
/// - the copy of a matrix product that versionForRows made for many rows
///   (RowTiles.h): blocks of rows x columns whose threads each carry a
///   register tile through the sum.
///
/// A reduction whose output buffer a fill initializes right before it
/// (initializingFill) fills its blocks' output tiles itself, as their first
/// thread phase, instead of in a kernel of its own. An element-wise op right
/// after an op that reads its output only at the points it runs over
/// (findEpilogue) runs in that op's blocks too, as their last thread phase.
class LinalgDistributor {
public:
  LinalgDistributor(int64_t threads, int64_t minimumSplitLength,
                    Attribute tileSpace, bool tensorCores)
      : threads(threads), minimumSplitLength(minimumSplitLength),
        tileSpace(tileSpace), tensorCores(tensorCores) {}

  /// Distributes `op`; `init`, if not null, is its initializingFill,
  /// `epilogues` the chain of its epilogues (findEpilogue) and `prologue`,
  /// if not null, its prologue (findPrologue): its blocks take them over.
  LogicalResult distribute(RewriterBase &rewriter, linalg::LinalgOp op,
                           linalg::FillOp init,
                           ArrayRef<retnet::Epilogue> epilogues,
                           const retnet::Prologue *prologue) const {
    if (op.getNumParallelLoops() + 1 > kLinearMappingIds)
      return op->emitOpError() << "has more than " << kLinearMappingIds - 1
                               << " parallel loops to map to GPU threads";
    for (const retnet::Epilogue &epilogue : epilogues)
      retnet::hoistBetween(rewriter, op, epilogue);
    if (op->hasAttr(retnet::kRowTilesMarker))
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

  /// The epilogues of `op` (findEpilogue), in a chain, while `claimed`
  /// does not hold them and `candidates` does.
  static SmallVector<retnet::Epilogue>
  epilogueChain(linalg::LinalgOp op, ArrayRef<linalg::LinalgOp> prologueOps,
                const DenseSet<Operation *> &claimed,
                ArrayRef<linalg::LinalgOp> candidates) {
    SmallVector<retnet::Epilogue> epilogues;
    while (std::optional<retnet::Epilogue> epilogue =
               retnet::findEpilogue(op, epilogues, prologueOps)) {
      if (claimed.contains(epilogue->op) ||
          !llvm::is_contained(candidates, epilogue->op))
        break;
      epilogues.push_back(std::move(*epilogue));
    }
    return epilogues;
  }

  /// Versions `op`, a matrix product that row tiles suit (rowTileShape), on
  /// its rows (versionByRows) with the ops that its blocks would take over
  /// (its prologue, fill and epilogues, none of them in `claimed`, all in
  /// `candidates`), which it then adds to `claimed`; `minRows` as the pass
  /// option. Returns whether it did.
  bool versionForRows(RewriterBase &rewriter, linalg::LinalgOp op,
                      int64_t minRows, DenseSet<Operation *> &claimed,
                      ArrayRef<linalg::LinalgOp> candidates) const {
    std::optional<retnet::RowTileShape> shape =
        retnet::rowTileShape(op, threads);
    if (!shape || minRows < 0 || claimed.contains(op))
      return false;
    SmallVector<linalg::LinalgOp> group;
    SmallVector<Value> privateRoots;
    linalg::FillOp init = initializingFill(op);
    int64_t points = splitPoints(op);
    std::optional<retnet::Prologue> prologue =
        retnet::findPrologue(op, init, points ? points : threads);
    if (prologue) {
      group = prologue->ops;
      privateRoots = prologue->privateRoots;
    }
    if (init)
      group.push_back(init);
    group.push_back(op);
    for (const retnet::Epilogue &epilogue : epilogueChain(
             op, prologue ? prologue->ops : ArrayRef<linalg::LinalgOp>(),
             claimed, candidates))
      group.push_back(epilogue.op);
    if (llvm::any_of(group,
                     [&](linalg::LinalgOp member) {
                       return claimed.contains(member) ||
                              !llvm::is_contained(candidates, member);
                     }) ||
        failed(retnet::versionByRows(
            rewriter, op, shape->rowLoop, group, privateRoots,
            retnet::rowTileMinRows(op, *shape, minRows))))
      return false;
    for (linalg::LinalgOp member : group)
      claimed.insert(member);
    return true;
  }

private:
  /// Distributes `op`, marked for row tiles, over blocks of rows x columns
  /// and each block's threads as register tiles (rowTileShape); `init`, if
  /// not null, fills its output first: the register tiles start from its
  /// value instead, and it goes.
  LogicalResult distributeRowTiles(RewriterBase &rewriter, linalg::LinalgOp op,
                                   linalg::FillOp init,
                                   ArrayRef<retnet::Epilogue> epilogues) const {
    op->removeAttr(retnet::kRowTilesMarker);
    std::optional<retnet::RowTileShape> shape =
        retnet::rowTileShape(op, threads);
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
    std::optional<retnet::WarpTileShape> warpShape;
    if (tensorCores)
      warpShape = retnet::warpTileShape(op, *shape, threads, initial);
    FailureOr<linalg::LinalgOp> block =
        tileToBlocks(rewriter, op, blockTile, nullptr, epilogues, nullptr);
    if (succeeded(block) && warpShape)
      block = retnet::splitFullBlocks(rewriter, *block, *shape, *warpShape,
                                      initial);
    FailureOr<linalg::LinalgOp> interleaved = failure();
    if (succeeded(block))
      interleaved = retnet::interleaveColumns(rewriter, *block, *shape);
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
    retnet::lowerToRegisterTile(rewriter, *thread, points, initial, vectorLoop);
    return success();
  }

  /// Tiles `op` to blocks of `pointTile`'s points, whose tiles then also
  /// run `prologue` (if not null) on their inputs, `init` (if not null) and
  /// `epilogues` on their outputs; returns the block's tile of `op`.
  FailureOr<linalg::LinalgOp>
  tileToBlocks(RewriterBase &rewriter, linalg::LinalgOp op,
               ArrayRef<int64_t> pointTile, linalg::FillOp init,
               ArrayRef<retnet::Epilogue> epilogues,
               const retnet::Prologue *prologue) const {
    Value output = epilogues.empty() ? Value() : op.getDpsInitOperand(0)->get();
    FailureOr<linalg::LinalgOp> block =
        tileToForall(rewriter, op, pointTile, /*blocks=*/true);
    if (failed(block) ||
        (prologue && failed(runPrologue(rewriter, *block, *prologue))) ||
        (init && failed(fillOutputTile(rewriter, *block, init,
                                       threadCounts(pointTile)))))
      return failure();
    for (const retnet::Epilogue &epilogue : epilogues)
      if (failed(runEpilogue(rewriter, *block, output, epilogue, pointTile,
                             threads)))
        return failure();
    return block;
  }

  /// Runs `prologue` in the block of `tile` (a block's tile of its
  /// consumer), first, on the slices that it reads; or, where its slices do
  /// not fit (tilePrologue), leaves its ops before the blocks, each in
  /// kernels of its own.
  LogicalResult runPrologue(RewriterBase &rewriter, linalg::LinalgOp tile,
                            const retnet::Prologue &prologue) const {
    rewriter.setInsertionPoint(tile);
    FailureOr<SmallVector<linalg::LinalgOp>> tiles = retnet::tilePrologue(
        rewriter, prologue, tile, tileSpace, kPrologueBytes);
    if (failed(tiles)) {
      for (linalg::LinalgOp op : prologue.ops)
        if (failed(distribute(rewriter, op, nullptr, {}, nullptr)))
          return failure();
      return success();
    }
    for (linalg::LinalgOp op : *tiles)
      if (failed(distributeInBlock(rewriter, op)))
        return failure();
    retnet::erasePrologue(rewriter, prologue);
    return success();
  }

public:
  /// The outputs per block of `op`'s sum split into slices across threads
  /// (isSplittableSum), or 0 where it is not split: 32, or fewer (more
  /// slices each) while its static outputs (those of the loops of static
  /// extent, e.g. a product's d columns) fill fewer than kFillBlocks blocks,
  /// so that a decoding step's products over few columns still spread over
  /// the GPU.
  int64_t splitPoints(linalg::LinalgOp op) const {
    int64_t staticOutputs = staticIterations(op, utils::IteratorType::parallel);
    int64_t chosen = 0;
    for (int64_t points = kPointsPerBlock; points >= kFewestPointsPerBlock;
         points /= 2) {
      int64_t slices = threads / points;
      if (threads % points != 0 || slices < 2 ||
          !retnet::isSplittableSum(op, minimumSplitLength, slices))
        continue;
      chosen = points;
      if (staticOutputs < kPointsPerBlock ||
          staticOutputs / points >= kFillBlocks)
        break;
    }
    return chosen;
  }

  /// Distributes `op`, which already runs in a block, over its threads: a
  /// long sum split into slices across the threads that its points leave
  /// (distributeSplitTile), at most the square root of its length;
  /// otherwise neighbouring points per thread, the
  /// innermost loops spread across threads first. With `takenOver`, a fill
  /// of the whole output right before a sum becomes the value its threads
  /// start from (the output is then written once, not filled, read and
  /// written again); the fill is erased and added to the set.
  LogicalResult
  distributeInBlock(RewriterBase &rewriter, linalg::LinalgOp op,
                    DenseSet<Operation *> *takenOver = nullptr) const {
    SmallVector<int64_t> extents = retnet::boundedLoopRanges(op);
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    int64_t points = staticIterations(op, utils::IteratorType::parallel);
    // About the square root of the sum's length in slices: as many partial
    // sums as each thread adds terms (the merge adds the slices in turn).
    int64_t length = staticIterations(op, utils::IteratorType::reduction);
    int64_t slices = std::max<int64_t>(threads / points, 1);
    while (slices > 1 && (slices * slices > length ||
                          !retnet::isSplittableSum(op, 2, slices)))
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

private:
  /// Distributes `op`'s sum split over blocks of `points` neighbouring
  /// outputs (splitPoints).
  LogicalResult distributeSplit(RewriterBase &rewriter, linalg::LinalgOp op,
                                linalg::FillOp init,
                                ArrayRef<retnet::Epilogue> epilogues,
                                const retnet::Prologue *prologue,
                                int64_t points) const {
    int64_t slices = threads / points;
    SmallVector<int64_t> pointTile = pointTileSizes(op, points);
    FailureOr<linalg::LinalgOp> block =
        tileToBlocks(rewriter, op, pointTile, init, epilogues, prologue);
    if (failed(block))
      return op->emitOpError("could not be tiled to GPU blocks");
    if (std::optional<unsigned> loop =
            retnet::vectorLoopOf(*block, pointTile)) {
      // Each thread's partial sums over `width` neighbouring points, which
      // it loads as one vector: the loop split into (points / width, width).
      int64_t width = retnet::vectorWidth(
          *block, *loop, pointTile[*loop] / kFewestColumnThreads);
      int64_t vectorSlices = threads * width / points;
      FailureOr<linalg::LinalgOp> split = failure();
      if (width > 1 && pointTile[*loop] % width == 0 &&
          threads % (points / width) == 0 &&
          retnet::isSplittableSum(*block, minimumSplitLength, vectorSlices))
        split = retnet::splitLoop(rewriter, *block, *loop, width);
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

  /// Splits the sum of `block` (a block's tile of `pointTile`'s points) into
  /// `slices` partial sums per point, one thread each, which its points'
  /// threads then add up. With `vectorLoop` (a parallel loop of the block),
  /// a thread's partial sums cover that loop's points, a register tile
  /// whose inputs load as vectors along it (lowerToRegisterTile).
  LogicalResult
  distributeSplitTile(RewriterBase &rewriter, linalg::LinalgOp block,
                      ArrayRef<int64_t> pointTile, int64_t slices,
                      std::optional<unsigned> vectorLoop = std::nullopt) const {
    rewriter.setInsertionPoint(block);
    retnet::SplitSum split =
        retnet::splitSum(rewriter, block, pointTile, slices, tileSpace);
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
    if (failed(distributeOverThreads(rewriter, split.fill, withSlices,
                                     sliceLoop)) ||
        failed(distributePartialSums(rewriter, split.partial, partialCounts,
                                     sliceLoop, vectorPosition)) ||
        failed(distributeOverThreads(rewriter, split.merge, mergeCounts,
                                     std::nullopt)))
      return block->emitOpError("could not be tiled to GPU threads");
    return success();
  }

  /// Tiles `partial` (a split sum's partial sums) to `counts` threads, the
  /// slices at `sliceLoop`; each thread's tile runs as register loops, or as
  /// a register tile that loads vectors along `vectorLoop`.
  static LogicalResult
  distributePartialSums(RewriterBase &rewriter, linalg::LinalgOp partial,
                        ArrayRef<int64_t> counts, unsigned sliceLoop,
                        std::optional<unsigned> vectorLoop) {
    if (!vectorLoop)
      return distributeOverThreads(rewriter, partial, counts, sliceLoop);
    FailureOr<linalg::LinalgOp> thread =
        tileToForall(rewriter, partial, counts, /*blocks=*/false, sliceLoop);
    if (failed(thread))
      return failure();
    SmallVector<int64_t> bounds(thread->getNumLoops(), 1);
    bounds[*vectorLoop] = thread->getStaticLoopRanges()[*vectorLoop];
    retnet::lowerToRegisterTile(rewriter, *thread, bounds, std::nullopt,
                                vectorLoop);
    return success();
  }

  int64_t threads, minimumSplitLength;
  Attribute tileSpace;
  bool tensorCores;
};

struct RetNetGPUDistributeLinalgPass
    : public retnet::impl::RetNetGPUDistributeLinalgBase<
          RetNetGPUDistributeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0 || threads > 1024 || splitReductionLength <= 0) {
      getOperation()->emitError(
          "retnet-gpu-distribute-linalg: threads must be in [1, 1024] and "
          "split-reduction-length positive");
      return signalPassFailure();
    }
    Attribute tileSpace;
    if (workgroupMemory)
      tileSpace = gpu::AddressSpaceAttr::get(
          &getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    IRRewriter rewriter(&getContext());
    LinalgDistributor distributor(threads, splitReductionLength, tileSpace,
                                  tensorCores);
    if (failed(computeKernelInputs(rewriter, distributor, tileSpace)) ||
        failed(distributeInBlocks(rewriter, distributor, tileSpace)))
      return signalPassFailure();
    sinkFillsToFirstAccess(getOperation());
    // Products over many rows, versioned for row tiles, from the last one
    // up (as prologues are claimed below).
    SmallVector<linalg::LinalgOp> ops = undistributedOps();
    DenseSet<Operation *> versioned;
    int64_t rowTiled = 0;
    for (linalg::LinalgOp op : llvm::reverse(ops))
      if (distributor.versionForRows(rewriter, op, rowTileRows, versioned, ops))
        ++rowTiled;
    numRowTiled += rowTiled;
    if (rowTiled != 0)
      ops = undistributedOps();
    if (failed(distributeAll(rewriter, distributor, ops)))
      return signalPassFailure();
  }

private:
  /// The linalg ops on buffers that do not run in blocks yet.
  SmallVector<linalg::LinalgOp> undistributedOps() {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && !insideBlocks(op))
        ops.push_back(op);
    });
    return ops;
  }

  /// Computes the element-wise inputs of the kernels built by hand
  /// (retention's) in their blocks, each block its own slice first.
  LogicalResult computeKernelInputs(RewriterBase &rewriter,
                                    const LinalgDistributor &distributor,
                                    Attribute tileSpace) {
    SmallVector<scf::ForallOp> kernels;
    getOperation()->walk([&](scf::ForallOp forall) {
      if (retnet::isBlockForall(forall) && !insideBlocks(forall))
        kernels.push_back(forall);
    });
    bool distributed = true;
    for (scf::ForallOp kernel : kernels)
      for (const retnet::KernelInput &input : retnet::findKernelInputs(kernel))
        if (succeeded(retnet::computeInKernel(
                rewriter, kernel, input, tileSpace, kPrologueBytes,
                [&](linalg::LinalgOp tile) {
                  if (failed(distributor.distributeInBlock(rewriter, tile)))
                    distributed = false;
                  return success();
                })))
          ++numKernelInputs;
    return success(distributed);
  }

  /// Distributes the linalg ops that block loops hold (those of the
  /// upstream-tiled retention ops) over their blocks' threads, their
  /// blocks' own buffers in `tileSpace`.
  LogicalResult distributeInBlocks(RewriterBase &rewriter,
                                   const LinalgDistributor &distributor,
                                   Attribute tileSpace) {
    if (failed(retnet::promoteBlockAllocations(rewriter, getOperation(),
                                               tileSpace, kBlockBufferBytes)))
      return failure();
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          retnet::isBlockForall(op->getParentOfType<scf::ForallOp>()))
        ops.push_back(op);
    });
    // From the last op up, so that a sum takes over the fill before it
    // (distributeInBlock) before that fill is distributed on its own.
    DenseSet<Operation *> takenOver;
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (takenOver.contains(op))
        continue;
      if (failed(distributor.distributeInBlock(rewriter, op, &takenOver)))
        return failure();
    }
    return success();
  }

  /// Distributes `ops`, each with the prologue, fill and epilogues that its
  /// blocks take over.
  LogicalResult distributeAll(RewriterBase &rewriter,
                              const LinalgDistributor &distributor,
                              ArrayRef<linalg::LinalgOp> ops) {
    // Prologues, claimed from the last consumer up: a product takes over
    // the norm before it before the norm's own ops are considered.
    DenseSet<Operation *> takenOver;
    DenseMap<Operation *, retnet::Prologue> prologueOf;
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (takenOver.contains(op) || op->hasAttr(retnet::kRowTilesMarker))
        continue;
      int64_t points = distributor.splitPoints(op);
      std::optional<retnet::Prologue> prologue = retnet::findPrologue(
          op, initializingFill(op), points ? points : threads);
      if (!prologue ||
          llvm::any_of(prologue->ops, [&](linalg::LinalgOp member) {
            return takenOver.contains(member) ||
                   !llvm::is_contained(ops, member);
          }))
        continue;
      for (linalg::LinalgOp member : prologue->ops)
        takenOver.insert(member);
      prologueOf[op] = std::move(*prologue);
    }
    // Fills that the reductions they initialize take over.
    DenseMap<Operation *, linalg::FillOp> initOf;
    for (linalg::LinalgOp op : ops) {
      linalg::FillOp fill = initializingFill(op);
      if (fill && !takenOver.contains(op) && !takenOver.contains(fill)) {
        initOf[op] = fill;
        takenOver.insert(fill);
      }
    }
    for (linalg::LinalgOp op : ops) {
      if (takenOver.contains(op))
        continue;
      auto prologue = prologueOf.find(op);
      ArrayRef<linalg::LinalgOp> prologueOps;
      if (prologue != prologueOf.end()) {
        prologueOps = prologue->second.ops;
        ++numPrologueOps;
      }
      // The ops after `op` that its blocks take over: its epilogues, in a
      // chain, while not already taken over.
      SmallVector<retnet::Epilogue> epilogues =
          LinalgDistributor::epilogueChain(op, prologueOps, takenOver, ops);
      for (const retnet::Epilogue &epilogue : epilogues)
        takenOver.insert(epilogue.op);
      if (failed(distributor.distribute(
              rewriter, op, initOf.lookup(op), epilogues,
              prologue == prologueOf.end() ? nullptr : &prologue->second)))
        return failure();
    }
    return success();
  }
};
} // namespace
