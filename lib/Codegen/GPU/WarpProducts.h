//===- WarpProducts.h - Block tiles of products as warp tensor-core tiles -===//

#ifndef RETNET_CODEGEN_GPU_WARPPRODUCTS_H
#define RETNET_CODEGEN_GPU_WARPPRODUCTS_H

#include "RowTiles.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// The tensor-core instruction shape that the warp tiles are made of:
/// mma.sync m16n8k8 on tf32 operands, f32 accumulators.
constexpr int64_t kMmaRows = 16, kMmaColumns = 8, kMmaSum = 8;

/// How a block's tile of a product (blockRows x blockColumns of its output,
/// as RowTileShape) splits into warp tiles: warpRows x warpColumns warps,
/// each computing a tileRows x tileColumns part of the output as
/// (tileRows / 16) x (tileColumns / 8) accumulators of the mma shape,
/// carried together through the sum in steps of 8 terms.
/// The left-hand side is indexed [row, sum], or with `lhsTransposed` [sum,
/// row] (the keys of K^T V); the right-hand side [sum, column], or with
/// `rhsTransposed` [column, sum] (the keys of Q K^T).
struct WarpTileShape {
  unsigned lhs, rhs;
  bool lhsTransposed, rhsTransposed;
  int64_t warpRows, warpColumns, tileRows, tileColumns, sumLength;
};

/// A block's tile of a product: the loops of its output's rows and columns,
/// and how many of each the block computes.
struct BlockTile {
  unsigned rowLoop, columnLoop;
  int64_t rows, columns;
};

/// The warp tiles of `op` (whose blocks compute `block`, with `threads`
/// threads) if it is a product that they suit: f32 memrefs whose innermost
/// stride is 1, loops (row, column, sum) with the left-hand side indexed
/// [row, sum] or [sum, row], the right-hand side [sum, column] or [column,
/// sum] and the output [row, column], a body that is exactly out + lhs *
/// rhs, a static sum of a multiple of 8 terms, and an output that
/// `initial` fills first with a constant, if given.
std::optional<WarpTileShape> warpTileShape(linalg::LinalgOp op,
                                           const BlockTile &block,
                                           int64_t threads,
                                           std::optional<Value> initial);

/// Replaces `tile` (a block's full tile of a product of `shape`: exactly
/// blockRows rows) by a `#gpu.warp` forall whose warps each carry their
/// accumulators through an scf.for over the sum: per step, transfer reads
/// of 16 x 8 slices of the left-hand side as [row, sum] and of 8 x 8 slices
/// of the right-hand side as [column, sum] (through a transposing
/// permutation map where an operand is indexed the other way), and a
/// vector.contract of the mma shape for each accumulator; then the
/// accumulators' transfer writes. The accumulators start from `initial` if
/// given, else from the output. These are the ops that upstream
/// convert-vector-to-gpu turns into nvgpu.mma.sync; as CPU code
/// (--gpu-emulation) they are plain vector arithmetic.
void lowerToWarpProducts(RewriterBase &rewriter, linalg::LinalgOp tile,
                         const WarpTileShape &shape,
                         std::optional<Value> initial);

/// Runs `block` (a block's tile of a product of `shape`) on tensor cores
/// (lowerToWarpProducts, `warpShape`) where the block's rows are all there,
/// behind an `scf.if` on their number, and returns its copy for the other
/// blocks (the last one of a row count that the block's rows do not
/// divide), which then runs in register tiles.
FailureOr<linalg::LinalgOp> splitFullBlocks(RewriterBase &rewriter,
                                            linalg::LinalgOp block,
                                            const RowTileShape &shape,
                                            const WarpTileShape &warpShape,
                                            std::optional<Value> initial);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_WARPPRODUCTS_H
