//===- RetentionSplitChunkwise.cpp - Chunkwise into its chunk pieces ------===//

#include "Retention/Transforms/Passes.h"

#include "Retention/IR/RetentionOps.h"
#include "Retention/Transforms/FormConversion.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONSPLITCHUNKWISE
#include "Retention/Transforms/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
struct SplitChunkwise : public OpRewritePattern<ChunkwiseOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ChunkwiseOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto retention = cast<RetentionOpInterface>(op.getOperation());
    RankedTensorType queries = op.getQ().getType();
    int64_t chunkSize = op.getChunkSize();
    int64_t length = queries.getDimSize(2);
    int64_t chunks = ShapedType::isDynamic(length)
                         ? ShapedType::kDynamic
                         : llvm::divideCeil(length, chunkSize);
    Type stateElement = getStateElementType(queries.getElementType());
    auto statesType = RankedTensorType::get(
        {queries.getDimSize(0), retention.getNumHeads(), chunks,
         retention.getKeyDim(), retention.getValueDim()},
        stateElement);
    auto finalType =
        RankedTensorType::get({queries.getDimSize(0), retention.getNumHeads(),
                               retention.getKeyDim(), retention.getValueDim()},
                              stateElement);

    Value deltas =
        ChunkStatesOp::create(rewriter, loc, statesType, op.getK(), op.getV(),
                              op.getGamma(), op.getChunkSizeAttr());
    Value tokens = tensor::DimOp::create(rewriter, loc, op.getQ(), 2);
    auto scan = ChunkScanOp::create(rewriter, loc, statesType, finalType,
                                    deltas, op.getGamma(), op.getInitialState(),
                                    tokens, op.getChunkSizeAttr());
    Value output = ChunkOutputsOp::create(
        rewriter, loc, op.getOutput().getType(), op.getQ(), op.getK(),
        op.getV(), scan.getStarts(), op.getGamma(), op.getOffset(),
        op.getScalingAttr(), op.getChunkSizeAttr());
    SmallVector<Value> replacements = {output};
    if (Value finalState = op.getFinalState()) {
      Value state = scan.getFinalState();
      if (state.getType() != finalState.getType())
        state =
            tensor::CastOp::create(rewriter, loc, finalState.getType(), state);
      replacements.push_back(state);
    }
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

} // namespace

void mlir::retention::populateSplitChunkwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<SplitChunkwise>(patterns.getContext());
}

namespace {
struct RetentionSplitChunkwisePass
    : public retention::impl::RetentionSplitChunkwiseBase<
          RetentionSplitChunkwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSplitChunkwisePatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
