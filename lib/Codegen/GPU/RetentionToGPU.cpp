//===- RetentionToGPU.cpp - convert-retention-to-gpu ----------------------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "RetentionKernelEmitter.h"

#include "Retention/Transforms/FormConversion.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_CONVERTRETENTIONTOGPU
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retention;
using mlir::retnet::kWorkgroupBytes;
using mlir::retnet::RetentionKernelEmitter;
using mlir::retnet::tileBytes;

namespace {
using retnet::KernelOptions;
using retnet::KernelShape;

KernelShape shapeOf(RetentionOpInterface op) {
  return {op.getNumHeads(), op.getKeyDim(), op.getValueDim(),
          op.getElementType(), op.getScalingKind() == Scaling::decay_sqrt_sum};
}

/// The kernel shape of a chunkwise piece: heads and widths from its chunk
/// states, the element type from its keys or queries.
KernelShape shapeOf(RankedTensorType states, Type elementType, bool scaled) {
  return {states.getDimSize(1), states.getDimSize(3), states.getDimSize(4),
          elementType, scaled};
}

KernelShape shapeOf(ChunkStatesOp op) {
  return shapeOf(op.getDeltas().getType(), op.getK().getType().getElementType(),
                 false);
}
KernelShape shapeOf(ChunkScanOp op) {
  RankedTensorType deltas = op.getDeltas().getType();
  return shapeOf(deltas, deltas.getElementType(), false);
}
KernelShape shapeOf(ChunkOutputsOp op) {
  return shapeOf(op.getStarts().getType(), op.getQ().getType().getElementType(),
                 op.getScaling() == Scaling::decay_sqrt_sum);
}

/// Lowers an op of class `OpTy` (the interface for the parallel and
/// recurrent forms, or a chunkwise piece) to its kernels.
template <typename OpTy, typename Base> struct LowerToKernels : public Base {
  LowerToKernels(MLIRContext *context, const KernelOptions &options)
      : Base(context), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder builder(op.getLoc(), rewriter);
    RetentionKernelEmitter emitter(builder, options, shapeOf(op));
    rewriter.replaceOp(op, emitter.emit(op));
    return success();
  }

  KernelOptions options;
};

template <typename OpTy>
using LowerOpToKernels = LowerToKernels<OpTy, OpRewritePattern<OpTy>>;
using LowerRetentionToKernels =
    LowerToKernels<RetentionOpInterface,
                   OpInterfaceRewritePattern<RetentionOpInterface>>;

/// Chunkwise ops whose block tiles need more workgroup memory than a block
/// has run with the largest chunk size that fits (the same result up to
/// rounding), then are split into their chunk-parallel pieces.
LogicalResult splitChunkwise(Operation *root) {
  IRRewriter rewriter(root->getContext());
  root->walk([&](ChunkwiseOp op) {
    Type computeType =
        getStateElementType(op.getQ().getType().getElementType());
    int64_t fitting = RetentionKernelEmitter::fittingChunkSize(
        op.getChunkSize(), computeType);
    if (fitting == static_cast<int64_t>(op.getChunkSize()))
      return;
    rewriter.setInsertionPoint(op);
    rewriter.replaceOp(
        op,
        ChunkwiseOp::create(rewriter, op.getLoc(), op, fitting)->getResults());
  });
  RewritePatternSet patterns(root->getContext());
  populateSplitChunkwisePatterns(patterns);
  walkAndApplyPatterns(root, std::move(patterns));
  // Pieces written by hand must fit too.
  WalkResult walk = root->walk([&](ChunkOutputsOp op) {
    Type computeType =
        getStateElementType(op.getQ().getType().getElementType());
    if (tileBytes(op.getChunkSize(), computeType) <= kWorkgroupBytes)
      return WalkResult::advance();
    op.emitOpError() << "chunk_size " << op.getChunkSize()
                     << " needs more than the " << kWorkgroupBytes
                     << " bytes of workgroup memory of a block";
    return WalkResult::interrupt();
  });
  return failure(walk.wasInterrupted());
}
struct ConvertRetentionToGPUPass
    : public retnet::impl::ConvertRetentionToGPUBase<
          ConvertRetentionToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0 || threads > 1024 || parallelTile <= 0) {
      getOperation()->emitError(
          "convert-retention-to-gpu: threads must be in [1, 1024] and "
          "parallel-tile positive");
      return signalPassFailure();
    }
    // The parallel form's tiles in f64 (the widest compute type) must fit a
    // block's workgroup memory.
    if (tileBytes(parallelTile, Float64Type::get(&getContext())) >
        kWorkgroupBytes) {
      getOperation()->emitError()
          << "convert-retention-to-gpu: parallel-tile "
          << static_cast<int64_t>(parallelTile) << " needs more than the "
          << kWorkgroupBytes
          << " bytes of workgroup memory of a block (at most 64)";
      return signalPassFailure();
    }
    Attribute workgroupSpace;
    if (workgroupMemory)
      workgroupSpace = gpu::AddressSpaceAttr::get(
          &getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    if (failed(splitChunkwise(getOperation())))
      return signalPassFailure();
    KernelOptions options{threads, parallelTile, workgroupSpace};
    RewritePatternSet patterns(&getContext());
    patterns
        .add<LowerRetentionToKernels, LowerOpToKernels<ChunkStatesOp>,
             LowerOpToKernels<ChunkScanOp>, LowerOpToKernels<ChunkOutputsOp>>(
            &getContext(), options);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
