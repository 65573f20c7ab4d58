//===- RetentionToChunkwise.cpp - Rewrite retention into the chunkwise form
//===//

#include "Retention/Transforms/FormConversion.h"
#include "Retention/Transforms/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONTOCHUNKWISE
#include "Retention/Transforms/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
struct RetentionToChunkwisePass
    : public retention::impl::RetentionToChunkwiseBase<
          RetentionToChunkwisePass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunkSize <= 0) {
      getOperation()->emitError()
          << "retention-to-chunkwise: chunk-size must be positive, got "
          << static_cast<int64_t>(chunkSize);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateRetentionToFormPatterns(patterns, RetentionForm::Chunkwise,
                                    chunkSize);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
