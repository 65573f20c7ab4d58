//===- LinalgDistributor.h - Linalg ops over GPU blocks and threads -------===//

#ifndef RETNET_CODEGEN_GPU_LINALGDISTRIBUTOR_H
#define RETNET_CODEGEN_GPU_LINALGDISTRIBUTOR_H

#include "Epilogue.h"
#include "Prologue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

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
                           linalg::FillOp init, ArrayRef<Epilogue> epilogues,
                           const Prologue *prologue) const;

  /// The epilogues of `op` (findEpilogue), in a chain, while `claimed`
  /// does not hold them and `candidates` does.
  static SmallVector<Epilogue>
  epilogueChain(linalg::LinalgOp op, ArrayRef<linalg::LinalgOp> prologueOps,
                const DenseSet<Operation *> &claimed,
                ArrayRef<linalg::LinalgOp> candidates);

  /// Versions `op`, a matrix product that row tiles suit (rowTileShape), on
  /// its rows (versionByRows) with the ops that its blocks would take over
  /// (its prologue, fill and epilogues, none of them in `claimed`, all in
  /// `candidates`), which it then adds to `claimed`; `minRows` as the pass
  /// option. Returns whether it did.
  bool versionForRows(RewriterBase &rewriter, linalg::LinalgOp op,
                      int64_t minRows, DenseSet<Operation *> &claimed,
                      ArrayRef<linalg::LinalgOp> candidates) const;

  /// The outputs per block of `op`'s sum split into slices across threads
  /// (isSplittableSum), or 0 where it is not split: 32, or fewer (more
  /// slices each) while its static outputs (those of the loops of static
  /// extent, e.g. a product's d columns) fill fewer than kFillBlocks blocks,
  /// so that a decoding step's products over few columns still spread over
  /// the GPU.
  int64_t splitPoints(linalg::LinalgOp op) const;

  /// Distributes `op`, which already runs in a block, over its threads: an
  /// f32 product of static shape as warp tiles on tensor cores where it
  /// suits them (runOnWarps, with tensorCores); else a
  /// long sum split into slices across the threads that its points leave
  /// (distributeSplitTile), at most the square root of its length;
  /// otherwise neighbouring points per thread, the
  /// innermost loops spread across threads first. With `takenOver`, a fill
  /// of the whole output right before a sum becomes the value its threads
  /// start from (the output is then written once, not filled, read and
  /// written again); the fill is erased and added to the set.
  LogicalResult
  distributeInBlock(RewriterBase &rewriter, linalg::LinalgOp op,
                    DenseSet<Operation *> *takenOver = nullptr) const;

private:
  /// Runs `op` (a product in a block, of static shape) on tensor cores as
  /// the block's warp tiles of its whole output (lowerToWarpProducts) if it
  /// suits them (warpTileShape), starting from the fill before it as
  /// distributeInBlock does; returns whether it did.
  bool runOnWarps(RewriterBase &rewriter, linalg::LinalgOp op,
                  DenseSet<Operation *> *takenOver) const;

  /// Distributes `op`, marked for row tiles, over blocks of rows x columns
  /// and each block's threads as register tiles (rowTileShape); `init`, if
  /// not null, fills its output first: the register tiles start from its
  /// value instead, and it goes.
  LogicalResult distributeRowTiles(RewriterBase &rewriter, linalg::LinalgOp op,
                                   linalg::FillOp init,
                                   ArrayRef<Epilogue> epilogues) const;

  /// Tiles `op` to blocks of `pointTile`'s points, whose tiles then also
  /// run `prologue` (if not null) on their inputs, `init` (if not null) and
  /// `epilogues` on their outputs; returns the block's tile of `op`.
  FailureOr<linalg::LinalgOp>
  tileToBlocks(RewriterBase &rewriter, linalg::LinalgOp op,
               ArrayRef<int64_t> pointTile, linalg::FillOp init,
               ArrayRef<Epilogue> epilogues, const Prologue *prologue) const;

  /// Runs `prologue` in the block of `tile` (a block's tile of its
  /// consumer), first, on the slices that it reads; or, where its slices do
  /// not fit (tilePrologue), leaves its ops before the blocks, each in
  /// kernels of its own.
  LogicalResult runPrologue(RewriterBase &rewriter, linalg::LinalgOp tile,
                            const Prologue &prologue) const;

  /// Distributes `op`'s sum split over blocks of `points` neighbouring
  /// outputs (splitPoints).
  LogicalResult distributeSplit(RewriterBase &rewriter, linalg::LinalgOp op,
                                linalg::FillOp init,
                                ArrayRef<Epilogue> epilogues,
                                const Prologue *prologue, int64_t points) const;

  /// Splits the sum of `block` (a block's tile of `pointTile`'s points) into
  /// `slices` partial sums per point, one thread each, which its points'
  /// threads then add up. With `vectorLoop` (a parallel loop of the block),
  /// a thread's partial sums cover that loop's points, a register tile
  /// whose inputs load as vectors along it (lowerToRegisterTile).
  LogicalResult
  distributeSplitTile(RewriterBase &rewriter, linalg::LinalgOp block,
                      ArrayRef<int64_t> pointTile, int64_t slices,
                      std::optional<unsigned> vectorLoop = std::nullopt) const;

  /// Tiles `partial` (a split sum's partial sums) to `counts` threads, the
  /// slices at `sliceLoop`; each thread's tile runs as register loops, or as
  /// a register tile that loads vectors along `vectorLoop`.
  static LogicalResult
  distributePartialSums(RewriterBase &rewriter, linalg::LinalgOp partial,
                        ArrayRef<int64_t> counts, unsigned sliceLoop,
                        std::optional<unsigned> vectorLoop);

  int64_t threads, minimumSplitLength;
  Attribute tileSpace;
  bool tensorCores;
};

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_LINALGDISTRIBUTOR_H
