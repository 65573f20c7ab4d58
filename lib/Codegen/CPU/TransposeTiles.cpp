//===- TransposeTiles.cpp - Square vector tiles of 2-d transposes ---------===//
//
// Part of retnet-vectorize-contractions. A 2-d transpose lowered as scalar
// loops reads one of its operands a column at a time, which LLVM vectorizes
// into gathers (a chunk's K^T was 6% of the chunkwise form's time on
// AVX-512). In square tiles of one vector register's lanes, each tile is one
// row-wise load per row, a register transpose of shuffles and one row-wise
// store per row.
//
//===----------------------------------------------------------------------===//

#include "ProductTiling.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

/// A transpose of a static 2-d tensor of 32-bit elements whose sides are
/// multiples of `lanes`.
static bool isTileableTranspose(linalg::TransposeOp op, int64_t lanes) {
  auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
  return type && type.getRank() == 2 && type.hasStaticShape() &&
         type.getElementTypeBitWidth() == 32 &&
         type.getDimSize(0) % lanes == 0 && type.getDimSize(1) % lanes == 0;
}

LogicalResult mlir::retnet::cpu::vectorizeTransposes(RewriterBase &rewriter,
                                                     Operation *root,
                                                     int64_t lanes) {
  if (lanes < 2)
    return success();
  SmallVector<linalg::TransposeOp> transposes;
  root->walk([&](linalg::TransposeOp op) {
    if (isTileableTranspose(op, lanes))
      transposes.push_back(op);
  });
  for (linalg::TransposeOp transpose : transposes) {
    scf::SCFTilingResult tiled;
    if (failed(tileProduct(rewriter, transpose, {lanes, lanes},
                           scf::SCFTilingOptions::LoopType::ForOp, &tiled)))
      return failure();
    for (Operation *tile : tiled.tiledOps) {
      if (failed(vectorizeOp(rewriter, cast<linalg::LinalgOp>(tile),
                             "transpose vectorization failed")))
        return failure();
    }
  }
  // The vectorizer reads the input with a transposing map; make that an
  // explicit vector.transpose, and lower it to shuffles (for 16 x 16 tiles,
  // AVX-512's two-source shuffles in four stages).
  RewritePatternSet patterns(root->getContext());
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorTransposeLoweringPatterns(
      patterns, vector::VectorTransposeLowering::Shuffle16x16);
  if (failed(applyPatternsGreedily(root, std::move(patterns))))
    return root->emitError("retnet-vectorize-contractions: transpose "
                           "lowering did not converge");
  return success();
}
