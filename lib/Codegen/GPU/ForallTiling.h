//===- ForallTiling.h - Linalg ops tiled to GPU block and thread loops ----===//

#ifndef RETNET_CODEGEN_GPU_FORALLTILING_H
#define RETNET_CODEGEN_GPU_FORALLTILING_H

#include "Epilogue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Tile sizes (0 for the reduction loops) for tiles of at most `points`
/// neighbouring points of the parallel loops: the innermost parallel loops
/// whole while they fit, then a part of the next one, 1 for the rest.
SmallVector<int64_t> pointTileSizes(linalg::LinalgOp op, int64_t points);

/// Linear `#gpu.block` (`blocks`) or `#gpu.thread` mapping attributes for
/// the loops of the non-zero `counts`: the innermost loop fastest
/// (`linear_dim_0`), except that loop `slowest`, if given, varies slowest.
SmallVector<Attribute>
linearMapping(MLIRContext *context, ArrayRef<int64_t> counts, bool blocks,
              std::optional<unsigned> slowest = std::nullopt);

/// Thread counts for the tiles of `pointTile`: a thread per point.
SmallVector<int64_t> threadCounts(ArrayRef<int64_t> pointTile);

/// Tiles `op` (on buffers) into an scf.forall mapped to GPU blocks (tiles of
/// `counts`) or threads (`counts` threads, each with `pointsPerThread`
/// points of each loop, one if not given) with upstream tiling, and returns
/// the tile. Without a loop to tile, the op moves into a forall of one
/// iteration, so that every op runs in a block and in a thread loop.
FailureOr<linalg::LinalgOp>
tileToForall(RewriterBase &rewriter, linalg::LinalgOp op,
             ArrayRef<int64_t> counts, bool blocks,
             std::optional<unsigned> slowest = std::nullopt,
             ArrayRef<int64_t> pointsPerThread = {});

/// Tiles `op` to `counts` threads (each with `pointsPerThread` points of
/// each loop, one if not given) and lowers each thread's tile to loops.
LogicalResult
distributeOverThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                      ArrayRef<int64_t> counts, std::optional<unsigned> slowest,
                      ArrayRef<int64_t> pointsPerThread = {},
                      std::optional<Value> initial = std::nullopt);

/// Distributes `op` (whose loops have at most `extents` iterations) over
/// `threads` threads, each taking neighbouring points, the innermost loops
/// spread across threads first; the loops `skip` names run whole in each
/// thread. With `initial`, the outputs start from it (lowerToRegisterLoops).
LogicalResult
spreadOverThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                  ArrayRef<int64_t> extents, int64_t threads,
                  llvm::function_ref<bool(unsigned)> skip = nullptr,
                  std::optional<Value> initial = std::nullopt);

/// The product of `op`'s static loop extents of loops of kind `iterator`
/// (dynamic ones left out).
int64_t staticIterations(linalg::LinalgOp op, utils::IteratorType iterator);

/// The iterations of each loop of `op`: its static extent, or for a dynamic
/// one the constant upper bound that value-bounds analysis finds through an
/// operand that it spans (a tile of the last, shorter chunk), or dynamic.
SmallVector<int64_t> boundedLoopRanges(linalg::LinalgOp op);

/// Replaces `init`, the fill of a whole output buffer, by a fill of the
/// output tile of `tile` (a block's tile of the op that `init`
/// initialized), one thread per point as `loopCounts` (per loop of `tile`)
/// distribute the tile's points.
LogicalResult fillOutputTile(RewriterBase &rewriter, linalg::LinalgOp tile,
                             linalg::FillOp init, ArrayRef<int64_t> loopCounts);

/// Runs `epilogue` in the block of `tile` (a block's tile of `pointTile`'s
/// points of the op that it follows), after everything else there: each of
/// the `threads` threads takes neighbouring points, the innermost loops
/// spread across threads first.
LogicalResult runEpilogue(RewriterBase &rewriter, linalg::LinalgOp tile,
                          Value output, const retnet::Epilogue &epilogue,
                          ArrayRef<int64_t> pointTile, int64_t threads);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_FORALLTILING_H
