//===- ConvertWeightPanels.cpp - Narrow weight panels to f32 per block ----===//

#include "ProductTiling.h"

#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::retnet::cpu;

/// Whether the panel product `op` reads weights narrower than f32 (bf16,
/// f16, int8), which its tiles convert as they read them.
static bool hasNarrowWeights(linalg::LinalgOp op) {
  return getElementTypeOrSelf(op.getDpsInputs()[1].getType())
             .getIntOrFloatBitWidth() < 32;
}

/// The f32 panels `[Q, k, P]` of the narrow weights that the panel-product
/// tile `tile` reads: each converted (`arith.extf`, `arith.sitofp`) and
/// multiplied by its group's scale where the product has group scales.
static Value convertWeightPanels(RewriterBase &rewriter,
                                 linalg::LinalgOp tile) {
  Location loc = tile.getLoc();
  MLIRContext *context = tile.getContext();
  Value weights = tile.getDpsInputs()[1];
  Type f32 = rewriter.getF32Type();
  Value init = tensor::EmptyOp::create(
      rewriter, loc, tensor::getMixedSizes(rewriter, loc, weights), f32);
  SmallVector<Value> inputs = {weights};
  AffineMap identity = rewriter.getMultiDimIdentityMap(3);
  SmallVector<AffineMap> maps = {identity};
  if (int64_t group = retnet::groupOfScaledContraction(tile)) {
    AffineExpr n1 = getAffineDimExpr(0, context),
               k = getAffineDimExpr(1, context),
               n0 = getAffineDimExpr(2, context);
    inputs.push_back(tile.getDpsInputs()[2]);
    maps.push_back(AffineMap::get(3, 0, {n1, k.floorDiv(group), n0}, context));
  }
  maps.push_back(identity);
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             rewriter, loc, init.getType(), inputs, ValueRange{init}, maps,
             iterators,
             [](OpBuilder &builder, Location nested, ValueRange args) {
               Value widened = retnet::buildWidened(builder, nested, args[0],
                                                    builder.getF32Type());
               if (args.size() == 3)
                 widened =
                     arith::MulFOp::create(builder, nested, widened, args[1]);
               linalg::YieldOp::create(builder, nested, widened);
             })
      .getResult(0);
}

/// `C += A * W` on the f32 panels `W` [Q, k, P] in the place of the
/// panel-product tile `tile`.
static Value buildPanelProduct(RewriterBase &rewriter, linalg::LinalgOp tile,
                               Value panels) {
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = tile.getDpsInits()[0];
  return linalg::GenericOp::create(
             rewriter, tile.getLoc(), init.getType(),
             ValueRange{tile.getDpsInputs()[0], panels}, ValueRange{init},
             retnet::panelProductMaps(tile.getContext()), iterators,
             [](OpBuilder &builder, Location nested, ValueRange args) {
               Value product =
                   arith::MulFOp::create(builder, nested, args[0], args[1]);
               linalg::YieldOp::create(
                   builder, nested,
                   arith::AddFOp::create(builder, nested, args[2], product)
                       .getResult());
             })
      .getResult(0);
}

/// Vectorizes the conversion `conversion` of weight panels one row of a
/// panel (P values) at a time; a row reads one group's scales, at the same
/// indices as its weights once the slice holds that group alone.
static LogicalResult vectorizeConversion(RewriterBase &rewriter,
                                         linalg::LinalgOp conversion) {
  scf::SCFTilingResult tiled;
  if (failed(tileProduct(rewriter, conversion, {1, 1, 0},
                         scf::SCFTilingOptions::LoopType::ForOp, &tiled)))
    return failure();
  auto row = cast<linalg::LinalgOp>(tiled.tiledOps.front());
  if (row.getNumDpsInputs() == 2)
    readScalesAtWeightIndices(rewriter, row, /*weights=*/0, /*scales=*/1);
  return vectorizeOp(rewriter, row, "cannot vectorize a weight conversion");
}

/// Thread blocks of at least kConvertedRows rows convert their weight
/// panels narrower than f32 once, in chunks of kConvertedChunk steps of the
/// reduction, into f32 panels that all their register tiles read: a tile
/// that converts the weights it reads repeats the conversion for each of
/// the block's row tiles, and the conversions take the FMA ports' slots
/// (prefill with int8 weights in groups 19% slower than f32 on AVX-512).
/// The rows beyond the last multiple of `rows` (a decoding step's), and
/// blocks of fewer rows, keep reading the narrow weights directly: they
/// stream them once.
static constexpr int64_t kConvertedRows = 16;
static constexpr int64_t kConvertedChunk = 256;
LogicalResult mlir::retnet::cpu::convertPanelsPerBlock(RewriterBase &rewriter,
                                                       Operation *root,
                                                       int64_t rows) {
  for (linalg::LinalgOp product :
       collectProducts(root, hasNarrowWeights, isPanelProduct)) {
    SmallVector<int64_t> ranges = product.getStaticLoopRanges();
    if (!ShapedType::isDynamic(ranges[0]) && ranges[0] < kConvertedRows)
      continue;
    Location loc = product.getLoc();
    rewriter.setInsertionPoint(product);
    Value extent = getValueOrCreateConstantIndexOp(
        rewriter, loc,
        cast<TilingInterface>(product.getOperation())
            .getIterationDomain(rewriter)[0]
            .size);
    AffineExpr s0;
    bindSymbols(rewriter.getContext(), s0);
    Value whole = affine::makeComposedAffineApply(
        rewriter, loc, s0.floorDiv(rows) * rows, {extent});
    Value enough = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::sge, extent,
        arith::ConstantIndexOp::create(rewriter, loc, kConvertedRows));
    Value split = arith::SelectOp::create(
        rewriter, loc, enough, whole,
        arith::ConstantIndexOp::create(rewriter, loc, 0));
    auto [head, tail] = linalg::splitOp(
        rewriter, cast<TilingInterface>(product.getOperation()), 0, split);
    auto block = cast<linalg::LinalgOp>(head.getOperation());
    // Chunks of whole groups, so that each reads its own groups' scales.
    int64_t group =
        std::max<int64_t>(1, retnet::groupOfScaledContraction(block));
    int64_t chunk = llvm::divideCeil(kConvertedChunk, group) * group;
    scf::SCFTilingResult tiled;
    if (failed(tileProduct(rewriter, block, {0, 0, 0, chunk},
                           scf::SCFTilingOptions::LoopType::ForOp, &tiled)))
      return failure();
    // A block without such rows (a decoding step's) converts nothing: its
    // chunk loop runs no iteration.
    auto chunks = cast<scf::ForOp>(tiled.loops.front().getOperation());
    rewriter.setInsertionPoint(chunks);
    Value converting =
        arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt, split,
                              arith::ConstantIndexOp::create(rewriter, loc, 0));
    Value bound =
        arith::SelectOp::create(rewriter, loc, converting,
                                chunks.getUpperBound(), chunks.getLowerBound());
    rewriter.modifyOpInPlace(chunks, [&] { chunks.setUpperBound(bound); });
    auto tile = cast<linalg::LinalgOp>(tiled.tiledOps.front());
    rewriter.setInsertionPoint(tile);
    Value panels = convertWeightPanels(rewriter, tile);
    Value converted = buildPanelProduct(rewriter, tile, panels);
    rewriter.replaceOp(tile, converted);
    if (failed(vectorizeConversion(
            rewriter, cast<linalg::LinalgOp>(panels.getDefiningOp()))))
      return failure();
  }
  return canonicalize(root);
}
