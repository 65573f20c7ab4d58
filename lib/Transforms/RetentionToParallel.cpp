//===- RetentionToParallel.cpp - Rewrite retention into the parallel form -===//

#include "retnet/Transforms/FormConversion.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETENTIONTOPARALLEL
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
struct RetentionToParallelPass
    : public retnet::impl::RetentionToParallelBase<RetentionToParallelPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    retnet::populateRetentionToFormPatterns(patterns,
                                            retnet::RetentionForm::Parallel);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
