//===- Bufferize.cpp - One-shot bufferization with linalg copies ----------===//

#include "retnet/Codegen/Common/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETBUFFERIZE
#include "retnet/Codegen/Common/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
struct RetNetBufferizePass
    : public retnet::impl::RetNetBufferizeBase<RetNetBufferizePass> {
  void runOnOperation() override {
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
    IRRewriter rewriter(&getContext());
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
