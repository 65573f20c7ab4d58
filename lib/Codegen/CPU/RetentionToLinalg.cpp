//===- RetentionToLinalg.cpp - Retention to linalg for the CPU ------------===//
//
// convert-retention-to-linalg: each retention op (and chunkwise piece) is
// tiled and decomposed by the shared driver of
// dialects/Retention/Transforms/TileAndDecompose.h, its tiles in one
// scf.forall, the unit of the CPU's multi-threading.
//
//===----------------------------------------------------------------------===//

#include "retnet/Codegen/CPU/Passes.h"

#include "Retention/IR/RetentionOps.h"
#include "Retention/Transforms/TileAndDecompose.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_CONVERTRETENTIONTOLINALG
#include "retnet/Codegen/CPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retention;

namespace {
struct ConvertRetentionToLinalgPass
    : public retnet::impl::ConvertRetentionToLinalgBase<
          ConvertRetentionToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (valueTile < 0) {
      getOperation()->emitError(
          "convert-retention-to-linalg: value-tile must not be negative");
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<RetentionOpInterface, ChunkStatesOp, ChunkScanOp, ChunkOutputsOp>(
              op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    TileAndDecomposeOptions options;
    options.valueTile = valueTile;
    for (Operation *op : ops) {
      auto chunkSize = op->getAttrOfType<IntegerAttr>("chunk_size");
      if (chunkSize && chunkSize.getInt() > retnet::kMaxBlockLength) {
        op->emitOpError() << "chunk_size " << chunkSize.getInt()
                          << " is more than the " << retnet::kMaxBlockLength
                          << " tokens a block of the CPU code can have";
        return signalPassFailure();
      }
      if (failed(tileAndDecompose(rewriter, op, options)))
        return signalPassFailure();
      ++numLowered;
    }
    // The destinations of fused producers are slices of [B, H, T, d] empty
    // tensors: they become empty tiles, so nothing of that size remains.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
