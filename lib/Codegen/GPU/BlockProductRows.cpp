//===- BlockProductRows.cpp - Products in GPU blocks tiled by rows --------===//

#include "BlockProductRows.h"

#include "BlockLoops.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

using namespace mlir;

namespace {
/// The loop of the rows of `op`'s output if `op` is a product in a block
/// whose output has a static number of rows greater than `rows`, a
/// multiple of them.
std::optional<unsigned> tiledRowLoop(linalg::GenericOp op, int64_t rows) {
  auto block = op->getParentOfType<scf::ForallOp>();
  if (!block || !retnet::isBlockForall(block) ||
      op.getNumReductionLoops() != 1 || op.getNumParallelLoops() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap output = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (output.getNumResults() != 2 || !output.isProjectedPermutation())
    return std::nullopt;
  unsigned rowLoop = output.getDimPosition(0);
  int64_t extent = op.getStaticLoopRanges()[rowLoop];
  if (ShapedType::isDynamic(extent) || extent <= rows || extent % rows != 0)
    return std::nullopt;
  return rowLoop;
}
} // namespace

void retnet::tileBlockProductRows(RewriterBase &rewriter, Operation *root,
                                  int64_t rows) {
  SmallVector<std::pair<linalg::GenericOp, unsigned>> products;
  root->walk([&](linalg::GenericOp op) {
    if (std::optional<unsigned> rowLoop = tiledRowLoop(op, rows))
      products.push_back({op, *rowLoop});
  });
  for (auto [op, rowLoop] : products) {
    SmallVector<OpFoldResult> tileSizes(op.getNumLoops(),
                                        rewriter.getIndexAttr(0));
    tileSizes[rowLoop] = rewriter.getIndexAttr(rows);
    scf::SCFTileAndFuseOptions options;
    options.tilingOptions.setTileSizes(tileSizes);
    // The scaled operand and the fill of the output, per tile; not what
    // is computed from indices alone (a decay vector, made once).
    options.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult producer,
           bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          auto generic = dyn_cast<linalg::GenericOp>(producer.getOwner());
          bool scalesData =
              generic && generic.getNumDpsInputs() > 0 &&
              generic.getNumLoops() == generic.getNumParallelLoops();
          if (!scalesData && !isa<linalg::FillOp>(producer.getOwner()))
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      continue;
    rewriter.replaceAllUsesWith(op->getResult(0),
                                tiled->replacements.lookup(op->getResult(0)));
    rewriter.eraseOp(op);
    for (Operation *producer : tiled->fusedProducers)
      if (producer->use_empty())
        rewriter.eraseOp(producer);
  }
}
