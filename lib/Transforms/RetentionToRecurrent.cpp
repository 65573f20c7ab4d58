//===- RetentionToRecurrent.cpp - Rewrite retention into the recurrent form
//-===//

#include "retnet/Transforms/FormConversion.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETENTIONTORECURRENT
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
struct RetentionToRecurrentPass
    : public retnet::impl::RetentionToRecurrentBase<RetentionToRecurrentPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    retnet::populateRetentionToFormPatterns(patterns,
                                            retnet::RetentionForm::Recurrent);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
