//===- RetentionCanonicalization.cpp - Form-keeping simplifications -------===//
//
// The canonicalization patterns of the retention dialect. Each keeps the op's
// form and chunk size: rewrites between forms belong to the form passes and
// retention-select-form alone.
//
//===----------------------------------------------------------------------===//

#include "Retention/IR/RetentionDialect.h"
#include "Retention/IR/RetentionOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::retention;

namespace {
/// An initial state that is a constant zero is the same as none.
struct DropZeroInitialState
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    Value state = op.getInitialStateValue();
    if (!state || !matchPattern(state, m_AnyZeroFloat()))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.getInitialStateOperand().clear(); });
    return success();
  }
};

/// An offset that is the constant 0 is the same as none.
struct DropZeroOffset : public OpInterfaceRewritePattern<RetentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    Value offset = op.getOffsetValue();
    if (!offset || !matchPattern(offset, m_Zero()))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.getOffsetOperand().clear(); });
    return success();
  }
};

/// A final state nobody uses need not be computed: the same op with the
/// output as its only result.
struct DropUnusedFinalState
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    Value finalState = op.getFinalStateValue();
    if (!finalState || !finalState.use_empty())
      return failure();
    OperationState state(op.getLoc(), op->getName());
    state.addOperands(op->getOperands());
    state.addTypes(op.getOutputValue().getType());
    state.addAttributes(llvm::to_vector(op->getDiscardableAttrs()));
    state.propertiesAttr = op->getPropertiesAsAttribute();
    Operation *replacement = rewriter.create(state);
    rewriter.replaceOp(op, {replacement->getResult(0), Value()});
    return success();
  }
};
} // namespace

void RetentionDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<DropZeroInitialState, DropZeroOffset, DropUnusedFinalState>(
      getContext());
}
