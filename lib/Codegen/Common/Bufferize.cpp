//===- Bufferize.cpp - One-shot bufferization with linalg copies ----------===//

#include "retnet/Codegen/Common/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETBUFFERIZE
#include "retnet/Codegen/Common/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
/// Makes `use` read a clone of `ops` (in order; the last makes the value it
/// reads) placed before its user, or before the terminator region of a
/// forall, which holds only its inserts.
void useOwnClone(RewriterBase &rewriter, OpOperand &use,
                 ArrayRef<Operation *> ops) {
  Operation *user = use.getOwner();
  rewriter.setInsertionPoint(
      isa<scf::InParallelOp>(user->getParentOp()) ? user->getParentOp() : user);
  IRMapping mapping;
  for (Operation *op : ops)
    rewriter.clone(*op, mapping);
  Value own = mapping.lookup(ops.back()->getResult(0));
  rewriter.modifyOpInPlace(user, [&] { use.set(own); });
}

/// Gives uses of a fresh tensor that CSE made share one their own: each use
/// of a tensor.empty in a nested region, and each use of a linalg.fill of a
/// (reshaped) tensor.empty but its first in the fill's block. One made before a
/// loop, written in each iteration and carried to the next, would need a copy
/// per iteration, and a fill shared by two ops that write into it a copy of the
/// filled tensor; one of their own is a fresh buffer where it is written.
void unshareFreshTensors(RewriterBase &rewriter, Operation *root) {
  // A fill of a tensor.empty, maybe reshaped: the ops that make it, in order.
  auto freshFill = [](linalg::FillOp fill) {
    SmallVector<Operation *> ops;
    if (!fill.hasPureTensorSemantics())
      return ops;
    Value init = fill.getOutputs()[0];
    while (isa_and_present<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
        init.getDefiningOp())) {
      ops.push_back(init.getDefiningOp());
      init = init.getDefiningOp()->getOperand(0);
    }
    if (!init.getDefiningOp<tensor::EmptyOp>())
      return SmallVector<Operation *>();
    ops.push_back(init.getDefiningOp());
    std::reverse(ops.begin(), ops.end());
    ops.push_back(fill);
    return ops;
  };
  SmallVector<SmallVector<Operation *>> fills;
  root->walk([&](linalg::FillOp fill) {
    if (SmallVector<Operation *> ops = freshFill(fill); !ops.empty())
      fills.push_back(std::move(ops));
  });
  for (ArrayRef<Operation *> ops : fills) {
    Operation *fill = ops.back();
    bool firstInBlock = true;
    for (OpOperand &use : llvm::make_early_inc_range(fill->getUses())) {
      if (use.getOwner()->getBlock() == fill->getBlock() && firstInBlock) {
        firstInBlock = false;
        continue;
      }
      useOwnClone(rewriter, use, ops);
    }
  }
  SmallVector<tensor::EmptyOp> emptyTensors;
  root->walk([&](tensor::EmptyOp empty) { emptyTensors.push_back(empty); });
  for (tensor::EmptyOp empty : emptyTensors) {
    for (OpOperand &use : llvm::make_early_inc_range(empty->getUses())) {
      if (use.getOwner()->getBlock() != empty->getBlock())
        useOwnClone(rewriter, use, {empty.getOperation()});
    }
    if (empty->use_empty())
      rewriter.eraseOp(empty);
  }
}

struct RetNetBufferizePass
    : public retnet::impl::RetNetBufferizeBase<RetNetBufferizePass> {
  /// Upstream's empty-tensor elimination, twice: a round replaces only
  /// the uses on the chain from each destination, so a tile that is both
  /// inserted into a destination and sliced for a row's initial value (a
  /// decoding step's output row) keeps an empty slice, which folds to an
  /// empty tensor of its own that the second round places.
  LogicalResult eliminateEmptyTensors(RewriterBase &rewriter) {
    if (failed(bufferization::eliminateEmptyTensors(rewriter, getOperation())))
      return failure();
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return failure();
    return bufferization::eliminateEmptyTensors(rewriter, getOperation());
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    unshareFreshTensors(rewriter, getOperation());
    // Results computed into tensor.empty and then stored into a destination
    // (a function's output memref, a slice of a loop's result) are computed
    // there directly.
    if (failed(eliminateEmptyTensors(rewriter)))
      return signalPassFailure();

    bufferization::OneShotBufferizationOptions options;
    options.bufferizeFunctionBoundaries = true;
    // A loop over layers carries activations that each iteration computes
    // into a new buffer.
    options.allowReturnAllocsFromLoops = true;
    options.setFunctionBoundaryTypeConversion(
        bufferization::LayoutMapOption::IdentityLayoutMap);
    options.memCpyFn = [](OpBuilder &builder, Location loc, Value from,
                          Value to) {
      linalg::CopyOp::create(builder, loc, from, to);
      return success();
    };
    bufferization::BufferizationState state;
    if (failed(bufferization::runOneShotModuleBufferize(getOperation(), options,
                                                        state)))
      return signalPassFailure();

    // expand-strided-metadata (MLIR 22) crashes on memref.expand_shape with
    // several dynamic sizes in one group; on contiguous buffers the expansion
    // is a reinterpret_cast with row-major strides.
    getOperation()->walk([&](memref::ExpandShapeOp expand) {
      MemRefType source = expand.getSrcType(), result = expand.getResultType();
      if (!source.getLayout().isIdentity() || !result.getLayout().isIdentity())
        return;
      rewriter.setInsertionPoint(expand);
      Location loc = expand.getLoc();
      SmallVector<OpFoldResult> sizes = expand.getMixedOutputShape();
      SmallVector<OpFoldResult> strides(sizes.size());
      OpFoldResult stride = rewriter.getIndexAttr(1);
      for (int64_t dim = sizes.size() - 1; dim >= 0; --dim) {
        strides[dim] = stride;
        AffineExpr s0, s1;
        bindSymbols(rewriter.getContext(), s0, s1);
        stride = affine::makeComposedFoldedAffineApply(rewriter, loc, s0 * s1,
                                                       {stride, sizes[dim]});
      }
      rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
          expand, result, expand.getSrc(), rewriter.getIndexAttr(0), sizes,
          strides);
    });
  }
};
} // namespace
