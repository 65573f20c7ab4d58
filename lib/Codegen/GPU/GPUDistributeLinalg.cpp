//===- GPUDistributeLinalg.cpp - Linalg ops over GPU blocks and threads ---===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockLoops.h"
#include "BufferRoots.h"
#include "Epilogue.h"
#include "OutputFills.h"
#include "Prologue.h"
#include "SplitSum.h"
#include "ThreadTileLowering.h"

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
using retnet::initializingFill;
using retnet::lowerToRegisterLoops;
using retnet::sinkFillsToFirstAccess;

namespace {
/// Points of a block in the split-reduction scheme: one warp's worth of
/// neighbouring output elements, or as few as kFewestPointsPerBlock (with
/// more slices each) where a sum has too few static outputs to fill
/// kFillBlocks blocks with 32.
constexpr int64_t kPointsPerBlock = 32;
constexpr int64_t kFewestPointsPerBlock = 8;
/// Blocks that keep a GPU's multiprocessors busy (two per SM of a Hopper).
constexpr int64_t kFillBlocks = 256;
/// The linear mapping ids a forall can use (`linear_dim_0` to `_9`).
constexpr int64_t kLinearMappingIds = 10;
/// Workgroup memory for the slices that a block's prologue computes (of the
/// 48 KiB that a block may have statically).
constexpr int64_t kPrologueBytes = 32 * 1024;

/// Whether `op` already runs inside GPU blocks (a block-mapped forall or a
/// launch).
bool insideBlocks(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    if (isa<gpu::LaunchOp, gpu::GPUFuncOp>(parent))
      return true;
    auto forall = dyn_cast<scf::ForallOp>(parent);
    if (forall && forall.getMapping() &&
        llvm::any_of(*forall.getMapping(),
                     llvm::IsaPred<gpu::GPUBlockMappingAttr>))
      return true;
  }
  return false;
}

/// How many iterations of each loop of `extents` (dynamic: unbounded) fit in
/// `budget` points, from the innermost loop out: whole loops while they fit,
/// then a part of the next one, 1 for the rest; 0 for the loops `skip`
/// names.
SmallVector<int64_t>
innermostFirst(ArrayRef<int64_t> extents, int64_t budget,
               llvm::function_ref<bool(unsigned)> skip = nullptr) {
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

/// Linear mapping attributes for the loops of the non-zero `counts`: the
/// innermost loop fastest (`linear_dim_0`), except that loop `slowest`, if
/// given, varies slowest.
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

/// Tiles `op` (on buffers) into an scf.forall mapped to GPU blocks (tiles of
/// `counts`) or threads (`counts` threads, each with `pointsPerThread`
/// points of each loop, one if not given) with upstream tiling, and returns
/// the tile. Without a loop to tile, the op moves into a forall of one
/// iteration, so that every op runs in a block and in a thread loop.
FailureOr<linalg::LinalgOp>
tileToForall(RewriterBase &rewriter, linalg::LinalgOp op,
             ArrayRef<int64_t> counts, bool blocks,
             std::optional<unsigned> slowest = std::nullopt,
             ArrayRef<int64_t> pointsPerThread = {}) {
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
                                    ArrayRef<int64_t> pointsPerThread = {}) {
  FailureOr<linalg::LinalgOp> thread = tileToForall(
      rewriter, op, counts, /*blocks=*/false, slowest, pointsPerThread);
  if (failed(thread))
    return failure();
  lowerToRegisterLoops(rewriter, *thread);
  return success();
}

/// Distributes `op` (whose loops have at most `extents` iterations) over
/// `threads` threads, each taking neighbouring points, the innermost loops
/// spread across threads first; the loops `skip` names run whole in each
/// thread.
LogicalResult
spreadOverThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                  ArrayRef<int64_t> extents, int64_t threads,
                  llvm::function_ref<bool(unsigned)> skip = nullptr) {
  SmallVector<int64_t> counts =
      threadCounts(innermostFirst(extents, threads, skip));
  SmallVector<int64_t> points;
  for (auto [extent, count] : llvm::zip(extents, counts))
    points.push_back(count == 0 ? 0 : llvm::divideCeil(extent, count));
  return distributeOverThreads(rewriter, op, counts, std::nullopt, points);
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
///   more blocks than with one thread per element.
///
/// A reduction whose output buffer a fill initializes right before it
/// (initializingFill) fills its blocks' output tiles itself, as their first
/// thread phase, instead of in a kernel of its own. An element-wise op right
/// after an op that reads its output only at the points it runs over
/// (findEpilogue) runs in that op's blocks too, as their last thread phase.
class LinalgDistributor {
public:
  LinalgDistributor(int64_t threads, int64_t minimumSplitLength,
                    Attribute tileSpace)
      : threads(threads), minimumSplitLength(minimumSplitLength),
        tileSpace(tileSpace) {}

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

private:
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
  /// innermost loops spread across threads first.
  LogicalResult distributeInBlock(RewriterBase &rewriter,
                                  linalg::LinalgOp op) const {
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
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
    return spreadOverThreads(rewriter, op, extents, threads, [&](unsigned dim) {
      return iterators[dim] != utils::IteratorType::parallel;
    });
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
    return distributeSplitTile(rewriter, *block, pointTile, slices);
  }

  /// Splits the sum of `block` (a block's tile of `pointTile`'s points) into
  /// `slices` partial sums per point, one thread each, which its points'
  /// threads then add up.
  LogicalResult distributeSplitTile(RewriterBase &rewriter,
                                    linalg::LinalgOp block,
                                    ArrayRef<int64_t> pointTile,
                                    int64_t slices) const {
    rewriter.setInsertionPoint(block);
    retnet::SplitSum split =
        retnet::splitSum(rewriter, block, pointTile, slices, tileSpace);
    // Loops of the pieces: the tile's parallel loops, then the slices
    // (parallel in the partial sums, reduced by the merge), then the
    // reduction loops of the partial sums.
    SmallVector<int64_t> counts;
    for (auto [size, iterator] :
         llvm::zip(pointTile, block.getIteratorTypesArray()))
      if (iterator == utils::IteratorType::parallel)
        counts.push_back(size > 1 ? size : 0);
    unsigned sliceLoop = counts.size();
    SmallVector<int64_t> withSlices = counts;
    withSlices.push_back(slices);
    SmallVector<int64_t> partialCounts = withSlices;
    partialCounts.resize(split.partial.getNumLoops(), 0);
    SmallVector<int64_t> mergeCounts = counts;
    mergeCounts.push_back(0);
    if (failed(distributeOverThreads(rewriter, split.fill, withSlices,
                                     sliceLoop)) ||
        failed(distributeOverThreads(rewriter, split.partial, partialCounts,
                                     sliceLoop)) ||
        failed(distributeOverThreads(rewriter, split.merge, mergeCounts,
                                     std::nullopt)))
      return block->emitOpError("could not be tiled to GPU threads");
    return success();
  }

  int64_t threads, minimumSplitLength;
  Attribute tileSpace;
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
    LinalgDistributor distributor(threads, splitReductionLength, tileSpace);
    // Element-wise inputs of the kernels built by hand (retention's), each
    // block computing its own slice first.
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
    if (!distributed)
      return signalPassFailure();
    sinkFillsToFirstAccess(getOperation());
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && !insideBlocks(op))
        ops.push_back(op);
    });
    // Prologues, claimed from the last consumer up: a product takes over
    // the norm before it before the norm's own ops are considered.
    DenseSet<Operation *> takenOver;
    DenseMap<Operation *, retnet::Prologue> prologueOf;
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (takenOver.contains(op))
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
      SmallVector<retnet::Epilogue> epilogues;
      while (std::optional<retnet::Epilogue> epilogue =
                 retnet::findEpilogue(op, epilogues, prologueOps)) {
        if (takenOver.contains(epilogue->op) ||
            !llvm::is_contained(ops, epilogue->op))
          break;
        takenOver.insert(epilogue->op);
        epilogues.push_back(std::move(*epilogue));
      }
      if (failed(distributor.distribute(
              rewriter, op, initOf.lookup(op), epilogues,
              prologue == prologueOf.end() ? nullptr : &prologue->second)))
        return signalPassFailure();
    }
  }
};
} // namespace
