//===- RetentionSelectForm.cpp - Pick a retention form by cost ------------===//

#include "retnet/Transforms/FormConversion.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETENTIONSELECTFORM
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retention;

namespace {
/// Costs of a target, as measured by benchmarks/retention-bench.
struct TargetCosts {
  int64_t parallelMaxLength;
  int64_t chunkSize;
};

std::optional<TargetCosts> getTargetCosts(StringRef target) {
  if (target == "cpu")
    return TargetCosts{/*parallelMaxLength=*/64, /*chunkSize=*/64};
  if (target == "cuda")
    return TargetCosts{/*parallelMaxLength=*/256, /*chunkSize=*/64};
  return std::nullopt;
}

struct RetentionSelectFormPass
    : public retnet::impl::RetentionSelectFormBase<RetentionSelectFormPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<TargetCosts> costs = getTargetCosts(target);
    if (!costs) {
      getOperation()->emitError() << "retention-select-form: unknown target '"
                                  << target << "' (expected cpu or cuda)";
      return signalPassFailure();
    }
    if (parallelMaxLength > 0)
      costs->parallelMaxLength = parallelMaxLength;
    if (chunkSize > 0)
      costs->chunkSize = chunkSize;

    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](RetentionOpInterface op) {
      int64_t length = op.getQueries().getType().getDimSize(2);
      retnet::RetentionForm form = retnet::RetentionForm::Chunkwise;
      if (length == 1)
        form = retnet::RetentionForm::Recurrent;
      else if (!ShapedType::isDynamic(length) &&
               length <= costs->parallelMaxLength)
        form = retnet::RetentionForm::Parallel;
      (void)retnet::rewriteToForm(rewriter, op, form, costs->chunkSize);
    });
  }
};
} // namespace
