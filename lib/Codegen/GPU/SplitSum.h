//===- SplitSum.h - Long sums split into partial sums over slices ---------===//

#ifndef RETNET_CODEGEN_GPU_SPLITSUM_H
#define RETNET_CODEGEN_GPU_SPLITSUM_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Whether `op` (on buffers) is a sum whose first reduction loop can be
/// split into `slices`: one output combined with `arith.addf` that only
/// parallel loops index (the others, if any, term outputs: buffers indexed
/// by every loop, each by itself, written once per term, such as a
/// recurrent step's state), static reductions of at least `minimumLength`
/// iterations in all, a first reduction loop of a multiple of `slices`
/// iterations that the inputs index by itself (or not at all).
bool isSplittableSum(linalg::LinalgOp op, int64_t minimumLength,
                     int64_t slices);

/// The three linalg ops of a split sum, on buffers.
struct SplitSum {
  /// Zeroes the partial sums.
  linalg::LinalgOp fill;
  /// partials[p, s] = the sum over k = kk * slices + s of the payload at
  /// point p: loops (the parallel loops, s, the reduction loops with the
  /// first one over kk); the term outputs written at (p, k) as before.
  linalg::LinalgOp partial;
  /// out[p] += the sum over s of partials[p, s]: loops (the parallel loops,
  /// s).
  linalg::LinalgOp merge;
};

/// Replaces `op` (isSplittableSum) by its split sum, the partial sums in a
/// new static `memref.alloca` of `pointTile`'s parallel sizes by `slices` in
/// memory space `space` (the partial-reduction tiling of upstream
/// TilingInterface, on buffers: upstream's creates tensors only).
SplitSum splitSum(RewriterBase &rewriter, linalg::LinalgOp op,
                  ArrayRef<int64_t> pointTile, int64_t slices, Attribute space);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_SPLITSUM_H
