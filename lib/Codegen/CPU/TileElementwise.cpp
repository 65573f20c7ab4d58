//===- TileElementwise.cpp - Row tiles of the element-wise work -----------===//

#include "retnet/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETTILEELEMENTWISE
#include "retnet/Codegen/CPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

/// Element-wise work outside the thread loops: linalg ops on tensors whose
/// loops are parallel but for trailing reductions (a norm's sum of squares
/// over the last dimension), of rank two or more, that are not matrix
/// products and not inside an scf.forall.
static bool isElementwiseWork(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
      linalgOp.getNumLoops() < 2 || isa<linalg::FillOp>(op) ||
      linalgOp->getParentOfType<scf::ForallOp>() ||
      linalg::isaContractionOpInterface(linalgOp))
    return false;
  SmallVector<utils::IteratorType> iterators = linalgOp.getIteratorTypesArray();
  auto firstReduction = llvm::find(iterators, utils::IteratorType::reduction);
  return firstReduction != iterators.begin() &&
         std::all_of(firstReduction, iterators.end(), [](auto iterator) {
           return iterator == utils::IteratorType::reduction;
         });
}

/// Tile sizes of a chain's last op: the innermost parallel loop whole when
/// it is the innermost loop (a row of the activations), the parallel loop
/// before it in tiles of `rows`, every other parallel loop 1, reductions
/// whole.
static SmallVector<OpFoldResult> rowTileSizes(linalg::LinalgOp op,
                                              int64_t rows) {
  MLIRContext *context = op.getContext();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<OpFoldResult> sizes(iterators.size(),
                                  IntegerAttr::get(IndexType::get(context), 0));
  int64_t lastParallel = llvm::find(iterators, utils::IteratorType::reduction) -
                         iterators.begin() - 1;
  bool wholeRow = lastParallel == static_cast<int64_t>(iterators.size()) - 1;
  int64_t rowLoop = wholeRow ? lastParallel - 1 : lastParallel;
  for (int64_t loop = 0; loop <= lastParallel; ++loop)
    if (loop != lastParallel || !wholeRow)
      sizes[loop] =
          IntegerAttr::get(IndexType::get(context), loop == rowLoop ? rows : 1);
  return sizes;
}

namespace {
struct RetNetTileElementwisePass
    : public retnet::impl::RetNetTileElementwiseBase<
          RetNetTileElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    if (rows < 1) {
      root->emitError("retnet-tile-elementwise: rows must be positive");
      return signalPassFailure();
    }
    // The last op of each chain: element-wise work whose result leaves the
    // element-wise work (or is unused).
    SmallVector<linalg::LinalgOp> chainEnds;
    root->walk([&](Operation *op) {
      if (isElementwiseWork(op) &&
          (op->use_empty() || !llvm::all_of(op->getUsers(), isElementwiseWork)))
        chainEnds.push_back(cast<linalg::LinalgOp>(op));
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp end : llvm::reverse(chainEnds)) {
      scf::SCFTileAndFuseOptions options;
      options.tilingOptions.setTileSizes(rowTileSizes(end, rows));
      options.tilingOptions.setLoopType(
          scf::SCFTilingOptions::LoopType::ForallOp);
      // The chain's element-wise producers and the fills they start from
      // are computed per tile (recomputed where they feed several chains).
      options.setFusionControlFn(
          [](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            Operation *op = producer.getOwner();
            if (!isElementwiseWork(op) && !isa<linalg::FillOp>(op))
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(end);
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(end.getOperation()), options);
      if (failed(tiled)) {
        end.emitError("retnet-tile-elementwise: could not be tiled by rows");
        return signalPassFailure();
      }
      for (OpResult result : end->getResults())
        rewriter.replaceAllUsesWith(result, tiled->replacements.lookup(result));
      rewriter.eraseOp(end);
      // The chain's ops that no other chain uses are gone (each erased once
      // its consumers are).
      SmallVector<Operation *> producers(tiled->fusedProducers.begin(),
                                         tiled->fusedProducers.end());
      for (bool erased = true; erased;) {
        erased = false;
        for (Operation *&producer : producers)
          if (producer && producer->use_empty()) {
            rewriter.eraseOp(producer);
            producer = nullptr;
            erased = true;
          }
      }
      ++numTiled;
    }
  }
};
} // namespace
