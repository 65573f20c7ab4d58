//===- VectorizeContractions.cpp - Register-tile and vectorize matmuls ----===//

#include "retnet/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETVECTORIZECONTRACTIONS
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

/// Matrix products: two parallel loops and one reduction loop.
static bool isMatrixProduct(linalg::LinalgOp op) {
  return op.getNumLoops() == 3 && op.getNumParallelLoops() == 2 &&
         op.getNumReductionLoops() == 1 && op.hasPureTensorSemantics() &&
         linalg::isaContractionOpInterface(op);
}

namespace {
struct RetNetVectorizeContractionsPass
    : public retnet::impl::RetNetVectorizeContractionsBase<
          RetNetVectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<int64_t> sizes(tileSizes.begin(), tileSizes.end());
    if (sizes.empty())
      sizes = {8, 32, 1};
    if (sizes.size() != 3 || llvm::any_of(sizes, [](int64_t s) {
          return s <= 0;
        })) {
      getOperation()->emitError()
          << "retnet-vectorize-contractions: tile-sizes must be three "
             "positive sizes [m, n, k]";
      return signalPassFailure();
    }

    SmallVector<int64_t> threadSizes(threadTileSizes.begin(),
                                     threadTileSizes.end());
    if (threadSizes.empty())
      threadSizes = {64, 256};
    if (threadSizes.size() != 2 || llvm::any_of(threadSizes, [](int64_t s) {
          return s < 0;
        })) {
      getOperation()->emitError()
          << "retnet-vectorize-contractions: thread-tile-sizes must be two "
             "non-negative sizes [m, n]";
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());

    // Products outside any scf.forall (the model's linear layers) are split
    // into an scf.forall of [m, n] blocks: the unit of multi-threading.
    SmallVector<linalg::LinalgOp> unthreaded;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (isMatrixProduct(op) && !op->getParentOfType<scf::ForallOp>())
        unthreaded.push_back(op);
    });
    scf::SCFTilingOptions threadOptions;
    threadOptions.setTileSizes(getAsIndexOpFoldResult(
        &getContext(), {threadSizes[0], threadSizes[1], 0}));
    threadOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    if (threadSizes[0] > 0 || threadSizes[1] > 0) {
      for (linalg::LinalgOp product : unthreaded) {
        rewriter.setInsertionPoint(product);
        FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(product.getOperation()),
            threadOptions);
        if (failed(tiled)) {
          product.emitError(
              "retnet-vectorize-contractions: thread tiling failed");
          return signalPassFailure();
        }
        rewriter.replaceOp(product, tiled->replacements);
      }
    }

    // Tile to register tiles, peeling partial tiles off each tile loop so
    // that the main loops hold tiles of static size.
    auto tileAndPeel =
        [&](ArrayRef<std::pair<linalg::LinalgOp, ArrayRef<int64_t>>> products)
        -> LogicalResult {
      for (auto [product, tile] : products) {
        scf::SCFTilingOptions options;
        options.setTileSizes(getAsIndexOpFoldResult(&getContext(), tile));
        options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
        rewriter.setInsertionPoint(product);
        FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(product.getOperation()), options);
        if (failed(tiled))
          return product.emitError(
              "retnet-vectorize-contractions: tiling failed");
        rewriter.replaceOp(product, tiled->replacements);
        for (LoopLikeOpInterface loop : tiled->loops) {
          scf::ForOp partialIteration;
          (void)scf::peelForLoopAndSimplifyBounds(
              rewriter, cast<scf::ForOp>(loop.getOperation()),
              partialIteration);
        }
      }
      // Fold the peeled bounds into static tile shapes.
      RewritePatternSet canonicalization(&getContext());
      for (Dialect *dialect : getContext().getLoadedDialects())
        dialect->getCanonicalizationPatterns(canonicalization);
      for (RegisteredOperationName op : getContext().getRegisteredOperations())
        op.getCanonicalizationPatterns(canonicalization, &getContext());
      if (failed(applyPatternsGreedily(getOperation(),
                                       std::move(canonicalization))))
        return getOperation()->emitError(
            "retnet-vectorize-contractions: canonicalization did not "
            "converge");
      return success();
    };
    auto collectProducts = [&](function_ref<bool(linalg::LinalgOp)> filter) {
      SmallVector<linalg::LinalgOp> products;
      getOperation()->walk([&](linalg::LinalgOp op) {
        if (isMatrixProduct(op) && filter(op))
          products.push_back(op);
      });
      return products;
    };
    // Rows beyond the last multiple of m (such as the single row of a
    // decoding step) are split off into a product of their own, tiled one row
    // at a time, so that both keep the reduction innermost with the
    // accumulator in registers.
    SmallVector<int64_t> rowSizes = {1, sizes[1], sizes[2]};
    auto isTile = [&](linalg::LinalgOp op, ArrayRef<int64_t> tile) {
      return !op.hasDynamicShape() && op.getStaticLoopRanges() == tile;
    };
    SmallVector<std::pair<linalg::LinalgOp, ArrayRef<int64_t>>> tiles;
    for (linalg::LinalgOp product :
         collectProducts([](linalg::LinalgOp) { return true; })) {
      int64_t extent = product.getStaticLoopRanges()[0];
      if (!ShapedType::isDynamic(extent) && extent % sizes[0] == 0) {
        tiles.push_back({product, sizes});
        continue;
      }
      if (!ShapedType::isDynamic(extent) && extent < sizes[0]) {
        tiles.push_back({product, rowSizes});
        continue;
      }
      rewriter.setInsertionPoint(product);
      Location loc = product.getLoc();
      OpFoldResult size = cast<TilingInterface>(product.getOperation())
                              .getIterationDomain(rewriter)[0]
                              .size;
      AffineExpr s0;
      bindSymbols(rewriter.getContext(), s0);
      OpFoldResult split = affine::makeComposedFoldedAffineApply(
          rewriter, loc, s0.floorDiv(sizes[0]) * sizes[0], {size});
      auto [head, tail] = linalg::splitOp(
          rewriter, cast<TilingInterface>(product.getOperation()), 0, split);
      tiles.push_back({cast<linalg::LinalgOp>(head.getOperation()), sizes});
      tiles.push_back(
          {cast<linalg::LinalgOp>(tail.getOperation()), rowSizes});
    }
    if (failed(tileAndPeel(tiles)))
      return signalPassFailure();

    // Vectorize the full register tiles; partial tiles stay scalar loops.
    SmallVector<linalg::LinalgOp> fullTiles =
        collectProducts([&](linalg::LinalgOp op) {
          return isTile(op, sizes) || isTile(op, rowSizes);
        });
    for (linalg::LinalgOp tile : fullTiles) {
      rewriter.setInsertionPoint(tile);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, tile);
      if (failed(vectorized)) {
        tile.emitError("retnet-vectorize-contractions: vectorization failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(tile, vectorized->replacements);
    }

    // The vectorizer emits multiply + multi_reduction; fold them into
    // vector.contract, which lowers to outer products.
    RewritePatternSet contractions(&getContext());
    vector::populateVectorReductionToContractPatterns(contractions);
    vector::populateVectorTransferPermutationMapLoweringPatterns(contractions);
    vector::ContractionOp::getCanonicalizationPatterns(contractions,
                                                       &getContext());
    vector::TransferReadOp::getCanonicalizationPatterns(contractions,
                                                        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(contractions)))) {
      getOperation()->emitError("retnet-vectorize-contractions: contraction "
                                "folding did not converge");
      return signalPassFailure();
    }
  }
};
} // namespace
