//===- RowTiles.h - Matrix products over many rows in register tiles ------===//

#ifndef RETNET_CODEGEN_GPU_ROWTILES_H
#define RETNET_CODEGEN_GPU_ROWTILES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// The attribute that marks the copy of a product that runs in row tiles.
constexpr StringLiteral kRowTilesMarker = "retnet.row_tiles";

/// How a block's tile of a product (rows x columns of its output) splits
/// into the register tiles of its threads: `threadRows x threadColumns`
/// threads, each with `rowsPerThread x columnsPerThread` outputs, whose
/// columns come in groups of `vectorColumns` neighbours (vectorWidth: 128
/// bits of the widest input that the columns index, at most
/// columnsPerThread), which each load as one vector.
struct RowTileShape {
  unsigned rowLoop, columnLoop;
  int64_t threadRows, threadColumns, rowsPerThread, columnsPerThread,
      vectorColumns;

  int64_t blockRows() const { return threadRows * rowsPerThread; }
  int64_t blockColumns() const { return threadColumns * columnsPerThread; }
};

/// The row tiles of `op` in blocks of `threads` threads, if it is a product
/// that suits them: a linalg op on buffers with one output, two parallel
/// loops (the rows, of dynamic extent, and the columns, of static extent
/// that the block's columns divide) and static reduction loops of at least
/// 64 iterations in all; the output indexed by a projected permutation,
/// each input by at most one of the rows and the columns, which appear only
/// as whole results of the indexing maps (an int8 product's scales, at
/// [k floordiv group, n], qualify). Each reduction step is then an outer
/// product: a thread loads rowsPerThread + columnsPerThread inputs (and
/// their scales) for rowsPerThread * columnsPerThread products.
std::optional<RowTileShape> rowTileShape(linalg::LinalgOp op, int64_t threads);

/// Replaces `op` (a block's tile of a product of `shape`) by the same
/// product with its column loop split in three, column = (j * threadColumns
/// + t) * vectorColumns + v (loops j, t, v in the column loop's place, v
/// fastest; a view of each operand that the columns index expanded to
/// [j, t, v]; v left out where vectorColumns is 1), and returns it: a
/// thread that takes every j and v of one t owns groups of vectorColumns
/// neighbouring columns, threadColumns groups apart, so that each of its
/// loads of a row of the right-hand side is one 16-byte vector and the
/// threads of a half warp load 16 neighbouring vectors at once (coalesced).
FailureOr<linalg::LinalgOp> interleaveColumns(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              const RowTileShape &shape);

/// The fewest rows for which `op` runs in row tiles of `shape`: enough
/// blocks to give each multiprocessor of a large GPU one, or `minRows` if
/// positive.
int64_t rowTileMinRows(linalg::LinalgOp op, const RowTileShape &shape,
                       int64_t minRows);

/// Versions `group` (linalg ops on buffers in one block: `product`, and the
/// ops that its blocks would take over, such as its prologue and its
/// epilogues) on the number of rows of `product` (the iterations of its loop
/// `rowLoop`): where it has at least
/// `minRows`, a copy of the group runs, with fresh allocations for
/// `privateRoots` (the buffers that only the group accesses), its product
/// marked with kRowTilesMarker; otherwise the group itself. The ops between
/// the group's ops (pure ops, views and allocations only) move before the
/// branch. Fails with the IR unchanged where that cannot be done.
LogicalResult versionByRows(RewriterBase &rewriter, linalg::LinalgOp product,
                            unsigned rowLoop, ArrayRef<linalg::LinalgOp> group,
                            ArrayRef<Value> privateRoots, int64_t minRows);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_ROWTILES_H
