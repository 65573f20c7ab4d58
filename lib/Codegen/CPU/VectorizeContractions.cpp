//===- VectorizeContractions.cpp - Register-tile and vectorize matmuls ----===//

#include "ProductTiling.h"

#include "retnet/Codegen/CPU/Passes.h"
#include "retnet/Utils/LinalgBuilders.h"

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
#include "retnet/Codegen/CPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retnet::cpu;

/// Whether `op` is outside every scf.forall.
static bool isOutsideForall(linalg::LinalgOp op) {
  return !op->getParentOfType<scf::ForallOp>();
}

/// Whether `op` has exactly the static iteration space `tile`.
static bool isTile(linalg::LinalgOp op, ArrayRef<int64_t> tile) {
  return !op.hasDynamicShape() && op.getStaticLoopRanges() == tile;
}

/// Splits the products outside any scf.forall (the model's linear layers;
/// retention's products are inside its forall over batch x heads) into an
/// scf.forall of `block` = [m, n] blocks, the unit of multi-threading. The
/// n of a panel product counts whole panels, at least one.
static LogicalResult tileForThreads(RewriterBase &rewriter, Operation *root,
                                    ArrayRef<int64_t> block) {
  if (block[0] == 0 && block[1] == 0)
    return success();
  auto forall = scf::SCFTilingOptions::LoopType::ForallOp;
  for (linalg::LinalgOp product : collectProducts(root, isOutsideForall))
    if (failed(tileProduct(rewriter, product, {block[0], block[1], 0}, forall)))
      return failure();
  for (linalg::LinalgOp product :
       collectProducts(root, isOutsideForall, isPanelProduct)) {
    int64_t panel = product.getStaticLoopRanges()[2];
    int64_t panels = block[1] ? std::max<int64_t>(1, block[1] / panel) : 0;
    if (failed(
            tileProduct(rewriter, product, {block[0], panels, 0, 0}, forall)))
      return failure();
  }
  return success();
}

/// The one-row tiles of the rows beyond the last multiple of m, the widest
/// that the product's columns fill:
///  - `full`: as many accumulators as the m x n register tile (m * n
///    columns: 1 x 256 on AVX-512), where it divides the columns (a partial
///    tile would stay scalar). A single row streams its right operand;
///    a row of that operand at a time, contiguous where it is row-major (the
///    retention state in decoding's q S), reads memory in order, where
///    narrower tiles walk it column strip by column strip at the row stride
///    (batch-8 and batch-32 decode steps of examples/small.json 7% and 8%
///    shorter on AVX-512, Zen 4);
///  - `wide`: at least kRowTileColumns columns. A panel of the weights is
///    narrower than `full`; four vectors of 8 accumulators keep enough
///    independent FMA chains in flight to stream it at the memory's pace,
///    which a 1 x 16 tile of two chains did not on AVX2 (batch-1 decode of
///    examples/small.json 25% slower than with 1 x 32);
///  - `narrow` ({1, n, k}) otherwise.
struct RowTiles {
  static constexpr int64_t kRowTileColumns = 32;
  SmallVector<int64_t> full, wide, narrow;
  explicit RowTiles(ArrayRef<int64_t> tile)
      : full{1, std::max(tile[0] * tile[1], kRowTileColumns), tile[2]},
        wide{1, std::max(tile[1], kRowTileColumns), tile[2]},
        narrow{1, tile[1], tile[2]} {}
  /// The one-row tile of the panel product `op` `(m, n1, n0, k)`: whole
  /// panels, `{1, Q, P, k}` with Q >= 2, of `full`'s columns where the
  /// weights are narrower than f32 (their conversion lengthens each FMA
  /// chain, and more chains hide it: batch-1 and batch-3 decode steps of
  /// examples/small.json with int8 weights 9% and 5% shorter than with half
  /// of them), of half of them for f32 weights (as many chains as hide the
  /// FMA latency; the full width 7% slower at batch 3, its group of panels
  /// no longer cache-resident for the next row); else empty.
  SmallVector<int64_t> acrossPanels(linalg::LinalgOp op) const {
    int64_t panel = op.getStaticLoopRanges()[2];
    Type weights = getElementTypeOrSelf(op.getDpsInputs()[1].getType());
    int64_t columns =
        weights.getIntOrFloatBitWidth() < 32 ? full[1] : full[1] / 2;
    if (ShapedType::isDynamic(panel) || panel <= 0 || columns % panel != 0 ||
        columns / panel < 2)
      return {};
    return {1, columns / panel, panel, full[2]};
  }
  /// Whether `op` is a panel product of exactly that tile.
  bool isPanelTile(linalg::LinalgOp op) const {
    if (!isPanelProduct(op))
      return false;
    SmallVector<int64_t> tile = acrossPanels(op);
    return !tile.empty() && isTile(op, tile);
  }
  ArrayRef<int64_t> select(linalg::LinalgOp product) const {
    int64_t columns = product.getStaticLoopRanges()[1];
    if (ShapedType::isDynamic(columns))
      return narrow;
    if (columns % full[1] == 0)
      return full;
    return columns >= wide[1] ? ArrayRef<int64_t>(wide)
                              : ArrayRef<int64_t>(narrow);
  }
};

/// Peels the partial last iteration off each loop of `tiled`, so that the
/// main loops hold whole tiles.
static void peelPartialIterations(RewriterBase &rewriter,
                                  const scf::SCFTilingResult &tiled) {
  for (LoopLikeOpInterface loop : tiled.loops) {
    scf::ForOp partialIteration;
    (void)scf::peelForLoopAndSimplifyBounds(
        rewriter, cast<scf::ForOp>(loop.getOperation()), partialIteration);
  }
}

/// Gives each panel of a panel product a matrix product of its own: an
/// scf.for over panels, whose body reads its panel `[K, P]` as the right
/// operand (the unit panel dimension dropped, through rank-reducing
/// slices).
static LogicalResult splitPanels(RewriterBase &rewriter, Operation *root,
                                 const RowTiles &rowTiles) {
  linalg::ControlDropUnitDims dropPanel;
  dropPanel.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  dropPanel.controlFn = [](Operation *) { return SmallVector<unsigned>{1}; };
  for (linalg::LinalgOp product : collectProducts(
           root, [&](linalg::LinalgOp op) { return !rowTiles.isPanelTile(op); },
           isPanelProduct)) {
    scf::SCFTilingResult tiled;
    if (failed(tileProduct(rewriter, product, {0, 1, 0, 0},
                           scf::SCFTilingOptions::LoopType::ForOp, &tiled)))
      return failure();
    auto tile = cast<linalg::GenericOp>(tiled.tiledOps.front());
    rewriter.setInsertionPoint(tile);
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, tile, dropPanel);
    if (failed(dropped))
      return tile.emitError(
          "retnet-vectorize-contractions: cannot drop the panel dimension");
    rewriter.replaceOp(tile, dropped->replacements);
  }
  return success();
}

/// `product` split at the last multiple of `rows` rows: the head (null
/// when there is none) and the product of the rest (null when there is
/// none), each of which may be `product` itself.
static std::pair<linalg::LinalgOp, linalg::LinalgOp>
splitTailRows(RewriterBase &rewriter, linalg::LinalgOp product, int64_t rows) {
  int64_t extent = product.getStaticLoopRanges()[0];
  if (!ShapedType::isDynamic(extent) && extent % rows == 0)
    return {product, nullptr};
  if (!ShapedType::isDynamic(extent) && extent < rows)
    return {nullptr, product};
  rewriter.setInsertionPoint(product);
  OpFoldResult size = cast<TilingInterface>(product.getOperation())
                          .getIterationDomain(rewriter)[0]
                          .size;
  AffineExpr s0;
  bindSymbols(rewriter.getContext(), s0);
  OpFoldResult split = affine::makeComposedFoldedAffineApply(
      rewriter, product.getLoc(), s0.floorDiv(rows) * rows, {size});
  auto [head, tail] = linalg::splitOp(
      rewriter, cast<TilingInterface>(product.getOperation()), 0, split);
  return {cast<linalg::LinalgOp>(head.getOperation()),
          cast<linalg::LinalgOp>(tail.getOperation())};
}

/// The rows of panel products beyond the last multiple of m (a decoding
/// step's rows) get one-row tiles across `tile[1]` whole panels: as many
/// independent FMA chains as a full register tile. A one-panel row tile has
/// only panel / vector-width chains, and the reduction's FMA latency, not
/// the memory, bounded it (batch-1 decoding of int8 weights). Each column
/// still sums its k in order, as in every other tile. A partial group of
/// panels at the end of a thread's block is left to splitPanels.
static LogicalResult tilePanelRows(RewriterBase &rewriter, Operation *root,
                                   int64_t rows, const RowTiles &rowTiles) {
  for (linalg::LinalgOp product : collectProducts(
           root, [](linalg::LinalgOp) { return true; }, isPanelProduct)) {
    SmallVector<int64_t> tile = rowTiles.acrossPanels(product);
    if (tile.empty())
      continue;
    linalg::LinalgOp tail = splitTailRows(rewriter, product, rows).second;
    if (!tail)
      continue;
    // Whole panels first, k whole: a partial group of panels goes to
    // splitPanels with its reduction untiled, so that each of its panels
    // keeps the reduction innermost.
    scf::SCFTilingResult tiled;
    if (failed(tileProduct(rewriter, tail, {tile[0], tile[1], 0, 0},
                           scf::SCFTilingOptions::LoopType::ForOp, &tiled,
                           /*interchange=*/{1, 0, 2, 3})))
      return failure();
    peelPartialIterations(rewriter, tiled);
  }
  if (failed(canonicalize(root)))
    return failure();
  // Then the reduction of the groups of whole panels.
  for (linalg::LinalgOp group : collectProducts(
           root, [](linalg::LinalgOp) { return true; }, isPanelProduct)) {
    SmallVector<int64_t> tile = rowTiles.acrossPanels(group);
    SmallVector<int64_t> ranges = group.getStaticLoopRanges();
    if (tile.empty() || group.hasDynamicShape() || ranges[0] != tile[0] ||
        ranges[1] != tile[1] || ranges[3] == tile[3])
      continue;
    if (failed(tileProduct(rewriter, group, {0, 0, 0, tile[3]},
                           scf::SCFTilingOptions::LoopType::ForOp)))
      return failure();
  }
  return canonicalize(root);
}

/// Pairs every product with its register tile. Rows beyond the last
/// multiple of m (such as the single row of a decoding step) are split off
/// into a product of their own with one-row tiles, so that both keep the
/// reduction innermost with the accumulator in registers.
static SmallVector<std::pair<linalg::LinalgOp, ArrayRef<int64_t>>>
assignRegisterTiles(RewriterBase &rewriter, Operation *root,
                    ArrayRef<int64_t> tile, const RowTiles &rowTiles) {
  SmallVector<std::pair<linalg::LinalgOp, ArrayRef<int64_t>>> tiles;
  for (linalg::LinalgOp product :
       collectProducts(root, [](linalg::LinalgOp) { return true; })) {
    ArrayRef<int64_t> rowTile = rowTiles.select(product);
    auto [head, tail] = splitTailRows(rewriter, product, tile[0]);
    if (head)
      tiles.push_back({head, tile});
    if (tail)
      tiles.push_back({tail, rowTile});
  }
  return tiles;
}

/// Tiles each product with its tile, peeling partial tiles off each tile
/// loop, then canonicalizes so that the main loops hold static tiles.
static LogicalResult
tileAndPeel(RewriterBase &rewriter, Operation *root,
            ArrayRef<std::pair<linalg::LinalgOp, ArrayRef<int64_t>>> tiles) {
  for (auto [product, tile] : tiles) {
    // Columns outside rows: the k x n panel of the right operand (the
    // weights) that one column of tiles reads stays in cache while every
    // row tile of the block reuses it.
    scf::SCFTilingResult tiled;
    if (failed(tileProduct(rewriter, product, tile,
                           scf::SCFTilingOptions::LoopType::ForOp, &tiled,
                           /*interchange=*/{1, 0, 2})))
      return failure();
    peelPartialIterations(rewriter, tiled);
  }
  return canonicalize(root);
}

namespace {
/// `widen(broadcast(x))` -> `broadcast(widen(x))`, and the same through
/// `vector.transpose`, for the conversions of narrow weights to f32
/// (`arith.extf` of bf16/f16, `arith.sitofp` of int8): they happen before
/// the vectorizer's broadcast over the rows of a tile, so that each weight
/// vector is widened once per k and the broadcast folds into the
/// contraction.
template <typename WidenOp>
struct WidenBeforeBroadcast : public OpRewritePattern<WidenOp> {
  using OpRewritePattern<WidenOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(WidenOp widen,
                                PatternRewriter &rewriter) const override {
    Operation *reshape = widen.getIn().getDefiningOp();
    if (!isa_and_nonnull<vector::BroadcastOp, vector::TransposeOp>(reshape))
      return rewriter.notifyMatchFailure(widen, "not a widened broadcast");
    auto sourceType = dyn_cast<VectorType>(reshape->getOperand(0).getType());
    if (!sourceType)
      return rewriter.notifyMatchFailure(widen, "broadcast of a scalar");
    Type wide = cast<VectorType>(widen.getType()).getElementType();
    Value widened =
        WidenOp::create(rewriter, widen.getLoc(), sourceType.clone(wide),
                        reshape->getOperand(0));
    Operation *moved = rewriter.clone(*reshape);
    moved->setOperand(0, widened);
    moved->getResult(0).setType(widen.getType());
    rewriter.replaceOp(widen, moved->getResults());
    return success();
  }
};
} // namespace

/// The tile `tile` of a product with group scales, if its reduction is one
/// k, reads its scales' slice (one group) with the weights' map: `k floordiv
/// group` and `k` are both 0 there, and the maps become projected
/// permutations, which the vectorizer takes. Tiles of several k stay scalar
/// loops (false).
static bool indexScalesByReduction(RewriterBase &rewriter,
                                   linalg::LinalgOp tile) {
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  SmallVector<AffineMap> maps = tile.getIndexingMapsArray();
  auto scales = cast<RankedTensorType>(tile.getDpsInputs()[2].getType());
  AffineExpr reduction =
      getAffineDimExpr(tile.getNumLoops() - 1, tile.getContext());
  std::optional<unsigned> groupDim = maps[1].getResultPosition(reduction);
  if (ranges.back() != 1 || !groupDim || scales.getDimSize(*groupDim) != 1)
    return false;
  readScalesAtWeightIndices(rewriter, tile, /*weights=*/1, /*scales=*/2);
  return true;
}

/// Vectorizes the products whose shape is one of `tiles` (partial tiles stay
/// scalar loops) and folds the vectorizer's multiply + multi_reduction into
/// vector.contract, which lowers to outer products.
static LogicalResult vectorizeTiles(RewriterBase &rewriter, Operation *root,
                                    ArrayRef<ArrayRef<int64_t>> tiles,
                                    const RowTiles &rowTiles,
                                    llvm::Statistic &numVectorized) {
  auto isRegisterTile = [&](linalg::LinalgOp op) {
    if (isPanelProduct(op))
      return rowTiles.isPanelTile(op);
    return llvm::any_of(
        tiles, [&](ArrayRef<int64_t> shape) { return isTile(op, shape); });
  };
  for (linalg::LinalgOp tile :
       collectProducts(root, isRegisterTile, isAnyProduct)) {
    if (retnet::groupOfScaledContraction(tile) &&
        !indexScalesByReduction(rewriter, tile))
      continue;
    if (failed(vectorizeOp(rewriter, tile, "vectorization failed")))
      return failure();
    ++numVectorized;
  }
  MLIRContext *context = root->getContext();
  RewritePatternSet contractions(context);
  vector::populateVectorReductionToContractPatterns(contractions);
  // The group scales multiply the weights before the broadcast over rows.
  vector::populateSinkVectorOpsPatterns(contractions);
  vector::populateVectorTransferPermutationMapLoweringPatterns(contractions);
  contractions.add<WidenBeforeBroadcast<arith::ExtFOp>,
                   WidenBeforeBroadcast<arith::SIToFPOp>>(context);
  vector::ContractionOp::getCanonicalizationPatterns(contractions, context);
  vector::TransferReadOp::getCanonicalizationPatterns(contractions, context);
  if (failed(applyPatternsGreedily(root, std::move(contractions))))
    return root->emitError("retnet-vectorize-contractions: contraction "
                           "folding did not converge");
  return success();
}

/// `sizes`, or `defaults` when empty; fails unless it has `count` entries of
/// at least `minimum`.
static FailureOr<SmallVector<int64_t>>
sizesOrDefault(ArrayRef<int64_t> sizes, ArrayRef<int64_t> defaults,
               int64_t minimum) {
  SmallVector<int64_t> result(sizes.empty() ? defaults : sizes);
  if (result.size() != defaults.size() ||
      llvm::any_of(result, [&](int64_t size) { return size < minimum; }))
    return failure();
  return result;
}

namespace {
struct RetNetVectorizeContractionsPass
    : public retnet::impl::RetNetVectorizeContractionsBase<
          RetNetVectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    FailureOr<SmallVector<int64_t>> tile =
        sizesOrDefault(tileSizes, {8, 32, 1}, 1);
    if (failed(tile)) {
      root->emitError() << "retnet-vectorize-contractions: tile-sizes must "
                           "be three positive sizes [m, n, k]";
      return signalPassFailure();
    }
    FailureOr<SmallVector<int64_t>> block =
        sizesOrDefault(threadTileSizes, {64, 256}, 0);
    if (failed(block)) {
      root->emitError() << "retnet-vectorize-contractions: thread-tile-sizes "
                           "must be two non-negative sizes [m, n]";
      return signalPassFailure();
    }
    RowTiles rowTiles(*tile);

    IRRewriter rewriter(&getContext());
    // A transpose's tiles are as wide as the register tile's vectors (its n
    // is two vectors).
    if (failed(vectorizeTransposes(rewriter, root, (*tile)[1] / 2)) ||
        failed(tileForThreads(rewriter, root, *block)) ||
        failed(convertPanelsPerBlock(rewriter, root, (*tile)[0])) ||
        failed(tilePanelRows(rewriter, root, (*tile)[0], rowTiles)) ||
        failed(splitPanels(rewriter, root, rowTiles)) ||
        failed(canonicalize(root)) ||
        failed(tileAndPeel(
            rewriter, root,
            assignRegisterTiles(rewriter, root, *tile, rowTiles))) ||
        failed(vectorizeTiles(
            rewriter, root,
            {*tile, rowTiles.full, rowTiles.wide, rowTiles.narrow}, rowTiles,
            numVectorized)))
      return signalPassFailure();
  }
};
} // namespace
