//===- RetentionToRecurrent.cpp - Rewrite retention into the recurrent form
//-===//

#include "Retention/Transforms/FormConversion.h"
#include "Retention/Transforms/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONTORECURRENT
#include "Retention/Transforms/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
struct RetentionToRecurrentPass
    : public retention::impl::RetentionToRecurrentBase<
          RetentionToRecurrentPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRetentionToFormPatterns(patterns, RetentionForm::Recurrent);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
