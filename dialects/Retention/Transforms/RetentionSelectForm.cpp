//===- RetentionSelectForm.cpp - Pick a retention form by cost ------------===//

#include "Retention/Transforms/FormConversion.h"
#include "Retention/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONSELECTFORM
#include "Retention/Transforms/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
/// Costs of a target, as measured by benchmarks/retention-bench.
struct TargetCosts {
  int64_t recurrentMaxLength;
  int64_t parallelMaxLength;
  int64_t chunkSize;
};

std::optional<TargetCosts> getTargetCosts(StringRef target) {
  if (target == "cpu")
    return TargetCosts{/*recurrentMaxLength=*/4, /*parallelMaxLength=*/64,
                       /*chunkSize=*/64};
  if (target == "cuda")
    return TargetCosts{/*recurrentMaxLength=*/1, /*parallelMaxLength=*/256,
                       /*chunkSize=*/64};
  return std::nullopt;
}

struct RetentionSelectFormPass
    : public retention::impl::RetentionSelectFormBase<RetentionSelectFormPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<TargetCosts> costs = getTargetCosts(target);
    if (!costs) {
      getOperation()->emitError() << "retention-select-form: unknown target '"
                                  << target << "' (expected cpu or cuda)";
      return signalPassFailure();
    }
    if (recurrentMaxLength > 0)
      costs->recurrentMaxLength = recurrentMaxLength;
    if (parallelMaxLength > 0)
      costs->parallelMaxLength = parallelMaxLength;
    if (chunkSize > 0)
      costs->chunkSize = chunkSize;

    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](RetentionOpInterface op) {
      int64_t length = op.getQueries().getType().getDimSize(2);
      // Every target's recurrentMaxLength is at least 1, so one token is
      // always recurrent.
      bool isStatic = !ShapedType::isDynamic(length);
      RetentionForm form = RetentionForm::Chunkwise;
      if (isStatic && length <= costs->recurrentMaxLength)
        form = RetentionForm::Recurrent;
      else if (isStatic && length <= costs->parallelMaxLength)
        form = RetentionForm::Parallel;
      // Fails, changing nothing, where the op already has that form.
      (void)rewriteToForm(rewriter, op, form, costs->chunkSize);
      switch (form) {
      case RetentionForm::Parallel:
        ++numParallel;
        break;
      case RetentionForm::Recurrent:
        ++numRecurrent;
        break;
      case RetentionForm::Chunkwise:
        ++numChunkwise;
        break;
      }
    });
  }
};
} // namespace
