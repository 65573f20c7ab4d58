//===- ThreadTileLowering.h - One thread's linalg tile as register loops --===//

#ifndef RETNET_CODEGEN_GPU_THREADTILELOWERING_H
#define RETNET_CODEGEN_GPU_THREADTILELOWERING_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Replaces `op` (on buffers; in practice the tile of one GPU thread) by
/// scf.for loops over its parallel dimensions in which each point loads its
/// outputs once, carries them in registers (iter_args) through scf.for
/// loops over the reduction dimensions, and stores them once. With
/// `initial` (the value that fills the outputs before `op`; outputs of its
/// parallel loops only), they start from it instead of a load.
///
/// Custom rather than convert-linalg-to-loops: that lowering loads and
/// stores the outputs at every reduction step, and on GPU buffers (kernel
/// arguments that may alias) LLVM cannot keep them in registers.
void lowerToRegisterLoops(RewriterBase &rewriter, linalg::LinalgOp op,
                          std::optional<Value> initial = std::nullopt);

/// Replaces `op` (on buffers; one GPU thread's tile of a matrix product) by
/// a register tile: the outputs of all its points, `initial` if given (the
/// value that fills the outputs before the op), else loaded, carried
/// together through one nest of scf.for loops over the reduction
/// dimensions, each step computing every point, so that an input value
/// that several points read (a row of A, a column of B) loads once per
/// step: an outer product. Parallel dimension `d` has at most `bounds[d]`
/// iterations; a dynamic one is a partial tile whose loads clamp to its
/// last index and whose stores skip the points outside. With `vectorLoop`
/// (a parallel loop of static extent), each input whose last index is that
/// loop (unit stride) loads the loop's points as one vector per step
/// (128-bit loads on a GPU), where a check at run time finds every such load
/// aligned; otherwise the tile runs with scalar loads.
void lowerToRegisterTile(RewriterBase &rewriter, linalg::LinalgOp op,
                         ArrayRef<int64_t> bounds, std::optional<Value> initial,
                         std::optional<unsigned> vectorLoop = std::nullopt);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_THREADTILELOWERING_H
