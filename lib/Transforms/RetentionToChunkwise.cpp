//===- RetentionToChunkwise.cpp - Rewrite retention into the chunkwise form
//===//

#include "retnet/Transforms/FormConversion.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETENTIONTOCHUNKWISE
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
struct RetentionToChunkwisePass
    : public retnet::impl::RetentionToChunkwiseBase<RetentionToChunkwisePass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunkSize <= 0) {
      getOperation()->emitError()
          << "retention-to-chunkwise: chunk-size must be positive, got "
          << static_cast<int64_t>(chunkSize);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    retnet::populateRetentionToFormPatterns(
        patterns, retnet::RetentionForm::Chunkwise, chunkSize);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
