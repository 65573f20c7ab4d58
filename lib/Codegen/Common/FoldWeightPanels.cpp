//===- FoldWeightPanels.cpp - Products read panel-packed weights directly -===//

#include "retnet/Codegen/Common/Passes.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETFOLDWEIGHTPANELS
#include "retnet/Codegen/Common/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

/// The panel width P when `unpack` restores a `[K, N]` matrix from panels
/// `[N/P, K, P]` (columns tiled by P, the panel index outermost) with no
/// padding, else 0.
static int64_t panelWidthOf(linalg::UnPackOp unpack) {
  auto source = cast<RankedTensorType>(unpack.getSourceType());
  auto dest = cast<RankedTensorType>(unpack.getDestType());
  ArrayRef<int64_t> tiles = unpack.getStaticInnerTiles();
  if (source.getRank() != 3 || dest.getRank() != 2 ||
      unpack.getInnerDimsPos() != ArrayRef<int64_t>{1} ||
      unpack.getOuterDimsPerm() != ArrayRef<int64_t>{1, 0} ||
      tiles.size() != 1 || ShapedType::isDynamic(tiles[0]) ||
      !dest.hasStaticShape() || dest.getDimSize(1) % tiles[0] != 0)
    return 0;
  return tiles[0];
}

namespace {
/// `C[m, n] += A[m, k] * unpack(Bp)[k, n]` with `Bp` panels `[N/P, K, P]`
/// becomes `C'[m, n1, n0] += A[m, k] * Bp[n1, k, n0]` on `C` expanded to
/// `[M, N/P, P]`: the product reads each panel's `[K, P]` block as one
/// contiguous stream, and no unpacked copy of the weights exists.
struct FoldUnpackIntoProduct : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp product,
                                PatternRewriter &rewriter) const override {
    if (product.getNumLoops() != 3 || product.getNumReductionLoops() != 1 ||
        !product.hasPureTensorSemantics() ||
        !retnet::isContractionLike(product))
      return rewriter.notifyMatchFailure(product, "not a matrix product");
    MLIRContext *context = getContext();
    SmallVector<AffineMap> maps = retnet::contractionMaps(product);
    if (maps[0] != retnet::projectionMap(context, 3, {0, 2}) ||
        maps[1] != retnet::projectionMap(context, 3, {2, 1}) ||
        maps[2] != retnet::projectionMap(context, 3, {0, 1}))
      return rewriter.notifyMatchFailure(product, "not A[m,k] * B[k,n]");
    auto unpack = product.getDpsInputs()[1].getDefiningOp<linalg::UnPackOp>();
    int64_t panel = unpack ? panelWidthOf(unpack) : 0;
    if (!panel)
      return rewriter.notifyMatchFailure(product, "B is not unpacked panels");
    // Group scales `[K / G, N]` of int8 weights are stored in panels of
    // the same width, `[N / P, K / G, P]`, read beside the weights'.
    SmallVector<Value> panelInputs = {product.getDpsInputs()[0],
                                      unpack.getSource()};
    SmallVector<AffineMap> panelMaps = retnet::panelProductMaps(context);
    if (int64_t group = retnet::groupOfScaledContraction(product)) {
      auto scales = product.getDpsInputs()[2].getDefiningOp<linalg::UnPackOp>();
      if (!scales || panelWidthOf(scales) != panel)
        return rewriter.notifyMatchFailure(
            product, "the group scales are not unpacked panels of B's width");
      panelInputs.push_back(scales.getSource());
      panelMaps.insert(panelMaps.begin() + 2,
                       retnet::groupScaleMap(panelMaps[1], group));
    }

    Location loc = product.getLoc();
    Value init = product.getDpsInits()[0];
    auto initType = cast<RankedTensorType>(init.getType());
    int64_t columns = initType.getDimSize(1);
    SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
    auto panelType =
        RankedTensorType::get({initType.getDimSize(0), columns / panel, panel},
                              initType.getElementType());
    Value panelInit = tensor::ExpandShapeOp::create(
        rewriter, loc, panelType, init, split,
        {tensor::getMixedSize(rewriter, loc, init, 0),
         rewriter.getIndexAttr(columns / panel), rewriter.getIndexAttr(panel)});
    SmallVector<utils::IteratorType> iterators(3,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto panelProduct =
        linalg::GenericOp::create(rewriter, loc, panelType, panelInputs,
                                  ValueRange{panelInit}, panelMaps, iterators);
    rewriter.inlineRegionBefore(product.getRegion(), panelProduct.getRegion(),
                                panelProduct.getRegion().begin());
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        product, initType, panelProduct.getResult(0), split);
    return success();
  }
};

/// An unpack that no product absorbed becomes a copy with upstream's
/// decomposition (transpose and reshape), which the rest of the pipeline
/// lowers like any linalg op.
struct LowerRemainingUnpack : public OpRewritePattern<linalg::UnPackOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::UnPackOp unpack,
                                PatternRewriter &rewriter) const override {
    if (failed(linalg::lowerUnPack(rewriter, unpack)))
      return rewriter.notifyMatchFailure(unpack, "cannot be lowered");
    return success();
  }
};

struct RetNetFoldWeightPanelsPass
    : public retnet::impl::RetNetFoldWeightPanelsBase<
          RetNetFoldWeightPanelsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet folds(context);
    folds.add<FoldUnpackIntoProduct>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(folds))))
      return signalPassFailure();
    // Whatever is left, after the folds: an unpack with another user too.
    RewritePatternSet lowering(context);
    lowering.add<LowerRemainingUnpack>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(lowering))))
      return signalPassFailure();
    getOperation()->walk([&](linalg::UnPackOp unpack) {
      unpack.emitError("retnet-fold-weight-panels: cannot lower this unpack");
      signalPassFailure();
    });
  }
};
} // namespace
