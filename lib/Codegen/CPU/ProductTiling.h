//===- ProductTiling.h - Tile and vectorize products --------*- C++ -*-===//
//
// Shared by the parts of retnet-vectorize-contractions: recognizing the
// model's matrix and panel products, tiling them with upstream tiling, and
// vectorizing their tiles.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_LIB_CODEGEN_CPU_PRODUCTTILING_H
#define RETNET_LIB_CODEGEN_CPU_PRODUCTTILING_H

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir {
class RewriterBase;
} // namespace mlir

namespace mlir::retnet::cpu {

/// Matrix products: two parallel loops and one reduction loop. Products
/// of int8 weights quantized in groups along k, `C += A * (B * S)`, are
/// products too: their scales are a third input.
bool isMatrixProduct(linalg::LinalgOp op);

/// Products with panel-packed right operands (retnet-fold-weight-panels):
/// `C[m, n1, n0] += A[m, k] B[n1, k, n0]`, loops (m, n1, n0, k).
bool isPanelProduct(linalg::LinalgOp op);

/// Matrix products and panel products.
bool isAnyProduct(linalg::LinalgOp op);

/// The products under `root` that satisfy `filter` and `kind` (matrix
/// products by default).
SmallVector<linalg::LinalgOp>
collectProducts(Operation *root, function_ref<bool(linalg::LinalgOp)> filter,
                function_ref<bool(linalg::LinalgOp)> kind = isMatrixProduct);

/// Canonicalizes `root`, so that the sizes of tiles fold to constants where
/// they are.
LogicalResult canonicalize(Operation *root);

/// Tiles `product` with `sizes` (0: whole) into loops of `loopType`, in the
/// order `interchange` (default: the loops' own).
LogicalResult tileProduct(RewriterBase &rewriter, linalg::LinalgOp product,
                          ArrayRef<int64_t> sizes,
                          scf::SCFTilingOptions::LoopType loopType,
                          scf::SCFTilingResult *result = nullptr,
                          ArrayRef<int64_t> interchange = {});

/// Vectorizes `op` in place; fails with `problem` named.
LogicalResult vectorizeOp(RewriterBase &rewriter, linalg::LinalgOp op,
                          StringRef problem);

/// Makes the tile `op` read its group scales (input `scales`) with the map
/// of its weights (input `weights`): in a slice of one group along k, read
/// at one k, `k floordiv group` and `k` are both 0, and the maps become
/// projected permutations, which the vectorizer takes.
void readScalesAtWeightIndices(RewriterBase &rewriter, linalg::LinalgOp op,
                               unsigned weights, unsigned scales);

/// Tiles the static 2-d transposes of 32-bit elements under `root` whose
/// sides are multiples of `lanes` into `lanes` x `lanes` tiles, each
/// vectorized as row loads, a register transpose of shuffles and row stores
/// (TransposeTiles.cpp).
LogicalResult vectorizeTransposes(RewriterBase &rewriter, Operation *root,
                                  int64_t lanes);
/// Thread blocks of at least 16 rows of a panel product with weights
/// narrower than f32 convert their panels to f32 once per chunk of the
/// reduction, for all their register tiles (ConvertWeightPanels.cpp);
/// `rows` is the register tile's rows.
LogicalResult convertPanelsPerBlock(RewriterBase &rewriter, Operation *root,
                                    int64_t rows);

} // namespace mlir::retnet::cpu

#endif // RETNET_LIB_CODEGEN_CPU_PRODUCTTILING_H
