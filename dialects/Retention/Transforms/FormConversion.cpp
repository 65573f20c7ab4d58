//===- FormConversion.cpp - Rewriting a retention op into a form ----------===//

#include "Retention/Transforms/FormConversion.h"

using namespace mlir;
using namespace mlir::retention;

LogicalResult mlir::retention::rewriteToForm(RewriterBase &rewriter,
                                             RetentionOpInterface op,
                                             RetentionForm form,
                                             int64_t chunkSize) {
  rewriter.setInsertionPoint(op);
  Operation *replacement = nullptr;
  switch (form) {
  case RetentionForm::Parallel:
    if (isa<ParallelOp>(op))
      return failure();
    replacement = ParallelOp::create(rewriter, op.getLoc(), op);
    break;
  case RetentionForm::Recurrent:
    if (isa<RecurrentOp>(op))
      return failure();
    replacement = RecurrentOp::create(rewriter, op.getLoc(), op);
    break;
  case RetentionForm::Chunkwise:
    if (auto chunkwise = dyn_cast<ChunkwiseOp>(op.getOperation()))
      if (chunkwise.getChunkSizeAttr().getInt() == chunkSize)
        return failure();
    replacement = ChunkwiseOp::create(rewriter, op.getLoc(), op, chunkSize);
    break;
  }
  rewriter.replaceOp(op, replacement->getResults());
  return success();
}

namespace {
/// Rewrites any retention op into one fixed form.
struct RewriteToFormPattern
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  RewriteToFormPattern(MLIRContext *context, RetentionForm form,
                       int64_t chunkSize)
      : OpInterfaceRewritePattern(context), form(form), chunkSize(chunkSize) {}

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    return rewriteToForm(rewriter, op, form, chunkSize);
  }

  RetentionForm form;
  int64_t chunkSize;
};
} // namespace

void mlir::retention::populateRetentionToFormPatterns(
    RewritePatternSet &patterns, RetentionForm form, int64_t chunkSize) {
  patterns.add<RewriteToFormPattern>(patterns.getContext(), form, chunkSize);
}
