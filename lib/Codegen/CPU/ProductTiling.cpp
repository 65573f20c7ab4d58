//===- ProductTiling.cpp - Helpers that tile and vectorize products -------===//

#include "ProductTiling.h"

#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace mlir::retnet::cpu {

bool isMatrixProduct(linalg::LinalgOp op) {
  return op.getNumLoops() == 3 && op.getNumParallelLoops() == 2 &&
         op.getNumReductionLoops() == 1 && op.hasPureTensorSemantics() &&
         retnet::isContractionLike(op);
}

bool isPanelProduct(linalg::LinalgOp op) {
  if (op.getNumLoops() != 4 || op.getNumParallelLoops() != 3 ||
      !op.hasPureTensorSemantics() || !retnet::isContractionLike(op))
    return false;
  return retnet::contractionMaps(op) ==
         retnet::panelProductMaps(op.getContext());
}

bool isAnyProduct(linalg::LinalgOp op) {
  return isMatrixProduct(op) || isPanelProduct(op);
}

SmallVector<linalg::LinalgOp>
collectProducts(Operation *root, function_ref<bool(linalg::LinalgOp)> filter,
                function_ref<bool(linalg::LinalgOp)> kind) {
  SmallVector<linalg::LinalgOp> products;
  root->walk([&](linalg::LinalgOp op) {
    // A product with a static empty dimension has no tile to compute (and
    // upstream tiling divides by its size); it lowers to plain loops.
    if (kind(op) && filter(op) &&
        !llvm::is_contained(op.getStaticLoopRanges(), 0))
      products.push_back(op);
  });
  return products;
}

LogicalResult canonicalize(Operation *root) {
  MLIRContext *context = root->getContext();
  RewritePatternSet canonicalization(context);
  for (Dialect *dialect : context->getLoadedDialects())
    dialect->getCanonicalizationPatterns(canonicalization);
  for (RegisteredOperationName op : context->getRegisteredOperations())
    op.getCanonicalizationPatterns(canonicalization, context);
  if (failed(applyPatternsGreedily(root, std::move(canonicalization))))
    return root->emitError(
        "retnet-vectorize-contractions: canonicalization did not converge");
  return success();
}

LogicalResult tileProduct(RewriterBase &rewriter, linalg::LinalgOp product,
                          ArrayRef<int64_t> sizes,
                          scf::SCFTilingOptions::LoopType loopType,
                          scf::SCFTilingResult *result,
                          ArrayRef<int64_t> interchange) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(product.getContext(), sizes));
  options.setLoopType(loopType);
  options.setInterchange(interchange);
  rewriter.setInsertionPoint(product);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(product.getOperation()), options);
  if (failed(tiled))
    return product.emitError("retnet-vectorize-contractions: tiling failed");
  rewriter.replaceOp(product, tiled->replacements);
  if (result)
    *result = std::move(*tiled);
  return success();
}

LogicalResult vectorizeOp(RewriterBase &rewriter, linalg::LinalgOp op,
                          StringRef problem) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, op);
  if (failed(vectorized))
    return op.emitError("retnet-vectorize-contractions: ") << problem;
  rewriter.replaceOp(op, vectorized->replacements);
  return success();
}

void readScalesAtWeightIndices(RewriterBase &rewriter, linalg::LinalgOp op,
                               unsigned weights, unsigned scales) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[scales] = maps[weights];
  rewriter.modifyOpInPlace(op, [&] {
    op->setAttr("indexing_maps", rewriter.getAffineMapArrayAttr(maps));
  });
}

} // namespace mlir::retnet::cpu
