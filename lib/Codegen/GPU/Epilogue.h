//===- Epilogue.h - Element-wise ops run by their producer's blocks -------===//

#ifndef RETNET_CODEGEN_GPU_EPILOGUE_H
#define RETNET_CODEGEN_GPU_EPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// An all-parallel linalg op on buffers right after a producer (a linalg op
/// with one output), or after an earlier epilogue of it, whose points each
/// read the producer's output at one point (a broadcast is fine), so that
/// each block of the producer can run it on the points that read its own
/// output tile, once that tile is final: a kernel fewer.
struct Epilogue {
  /// Loops that the producer's output does not index (`outputDims`).
  static constexpr int64_t kUnitLoop = -1, kWholeLoop = -2;

  linalg::LinalgOp op;
  /// For each loop of `op`, the dimension of the producer's output that it
  /// runs over; kUnitLoop for one of one iteration that indexes an added
  /// unit dimension of a view of the output; kWholeLoop for one (of static
  /// size) that does not index the output: a block runs it whole.
  SmallVector<int64_t> outputDims;
  /// For each loop, how many consecutive iterations read one point of the
  /// output along its dimension: 1, or K for a loop that indexes the output
  /// as `loop floordiv K` (a [.., H * K] op reading a [.., H] output: heads
  /// of K channels) and spans K times that dimension.
  SmallVector<int64_t> pointsPerOutput;
  /// Ops between the producer and `op` (views, allocations), which move
  /// before the producer so that they dominate its blocks.
  SmallVector<Operation *> between;
};

/// The next epilogue of `producer` after `earlier` ones, if the op after the
/// last of them is one. It must access the output only through the output
/// or a view of it that adds unit dimensions, with a projected permutation
/// as indexing map (an identity where it writes it); its other operands
/// must not alias the output or what earlier epilogues write; what it
/// writes (other than the output) must be a fresh allocation that neither
/// `producer`, an earlier epilogue nor an op of `prologue` (ops that the
/// producer's blocks run first) accesses. Only views, pure ops and
/// allocations may lie in between.
std::optional<Epilogue> findEpilogue(linalg::LinalgOp producer,
                                     ArrayRef<Epilogue> earlier,
                                     ArrayRef<linalg::LinalgOp> prologue = {});

/// Moves `epilogue.between` before `producer`.
void hoistBetween(RewriterBase &rewriter, linalg::LinalgOp producer,
                  const Epilogue &epilogue);

/// Tiles `epilogue.op` to the points of `outputTile`, a block's tile of the
/// producer's output `output` (a subview of it, or `output` itself), at the
/// rewriter's insertion point, and erases the whole op.
FailureOr<linalg::LinalgOp> tileEpilogue(RewriterBase &rewriter,
                                         const Epilogue &epilogue, Value output,
                                         Value outputTile);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_EPILOGUE_H
