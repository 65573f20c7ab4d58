//===- RetentionToParallel.cpp - Rewrite retention into the parallel form -===//

#include "Retention/Transforms/FormConversion.h"
#include "Retention/Transforms/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONTOPARALLEL
#include "Retention/Transforms/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
struct RetentionToParallelPass
    : public retention::impl::RetentionToParallelBase<RetentionToParallelPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRetentionToFormPatterns(patterns, RetentionForm::Parallel);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
