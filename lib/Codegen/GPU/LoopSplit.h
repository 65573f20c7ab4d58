//===- LoopSplit.h - One loop of a linalg op split into two ---------------===//

#ifndef RETNET_CODEGEN_GPU_LOOPSPLIT_H
#define RETNET_CODEGEN_GPU_LOOPSPLIT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// A loop nest made from a linalg op's loops, in which its loop `loop` (of
/// static extent) becomes two: loop = outer * innerSize + inner.
struct LoopSplit {
  unsigned loop;
  int64_t innerSize;
  /// The position in the new nest of each of the op's loops (`loop`'s is
  /// that of outer), and of inner.
  SmallVector<unsigned> positions;
  unsigned innerPosition;
  unsigned numLoops;
};

/// The result of `map` that is exactly loop `dim`, if one is.
std::optional<unsigned> resultOfDim(AffineMap map, unsigned dim);

/// `operand` of `op` in the nest of `split`, with its indexing map there:
/// the dimension that loop `split.loop` indexes (by itself) expanded to
/// (extent / innerSize, innerSize) with `memref.expand_shape`; an operand
/// that does not index the loop stays as it is.
std::pair<Value, AffineMap> splitOperand(RewriterBase &rewriter,
                                         linalg::LinalgOp op,
                                         OpOperand *operand,
                                         const LoopSplit &split);

/// Clones the payload of `op` at the builder's insertion point on
/// `arguments` (the new op's block arguments), with `linalg.index` renumbered
/// for the nest of `split` (loop `split.loop` as outer * innerSize + inner),
/// and returns the values that it yields.
SmallVector<Value> clonePayloadForSplit(OpBuilder &b, Location loc,
                                        linalg::LinalgOp op,
                                        ValueRange arguments,
                                        const LoopSplit &split);

/// Replaces `op` by the same op with its loop `loop` (of static extent, a
/// multiple of `innerSize`) split in two, loop = outer * innerSize + inner
/// (a view of each operand that indexes the loop by itself expanded to
/// [outer, inner]), inner right after outer, and returns it; fails with the
/// IR unchanged where the extent is dynamic or not a multiple.
FailureOr<linalg::LinalgOp> splitLoop(RewriterBase &rewriter,
                                      linalg::LinalgOp op, unsigned loop,
                                      int64_t innerSize);

/// Whether neighbouring iterations of loop `loop` access neighbouring
/// elements of `operand` (so that they can load or store as one vector): a
/// memref of unit innermost stride whose last index is that loop and whose
/// other indices do not involve it.
bool isContiguousAlong(linalg::LinalgOp op, OpOperand &operand, unsigned loop);

/// The neighbouring points of loop `loop` that a thread loads as one
/// 128-bit vector from every input contiguous along that loop
/// (isContiguousAlong): 128 bits of the widest such input (4 f32, 8 bf16),
/// at most `limit`; 1 where no input is.
int64_t vectorWidth(linalg::LinalgOp op, unsigned loop, int64_t limit);

/// The innermost parallel loop of `block` with more than one point in
/// `pointTile`, if some input's last index is that loop (a product's
/// columns: vectorWidth above 1).
std::optional<unsigned> vectorLoopOf(linalg::LinalgOp block,
                                     ArrayRef<int64_t> pointTile);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_LOOPSPLIT_H
