//===- HostBuffersToGPU.cpp - Host-side buffers become device buffers -----===//

#include "retnet/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETHOSTBUFFERSTOGPU
#include "retnet/Conversion/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
bool onDevice(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUFuncOp>() ||
         op->getParentOfType<gpu::GPUModuleOp>();
}

/// The buffer a memref value views: through view-like ops and the base
/// buffer of `memref.extract_strided_metadata`.
Value rootBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      value = view.getViewSource();
      continue;
    }
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def)) {
      value = metadata.getSource();
      continue;
    }
    break;
  }
  return value;
}

/// Whether the host only does bookkeeping with the buffer `value`: every use,
/// through views, is an element access, a deallocation or a call (the
/// helpers of the deallocation lowering) on the host. Such buffers (pointer
/// and ownership lists) stay in host memory; every other buffer is used by
/// kernels or leaves the function, and lives on the GPU.
bool isHostBookkeeping(Value value) {
  for (Operation *user : value.getUsers()) {
    if (onDevice(user))
      return false;
    if (isa<memref::LoadOp, memref::StoreOp, memref::DeallocOp, func::CallOp>(
            user))
      continue;
    if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
      if (!isHostBookkeeping(view->getResult(0)))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

struct AllocToGPUPattern : public OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::AllocOp alloc,
                                PatternRewriter &rewriter) const override {
    if (onDevice(alloc) || isHostBookkeeping(alloc.getResult()))
      return failure();
    rewriter.replaceOpWithNewOp<gpu::AllocOp>(
        alloc, alloc.getType(), /*asyncToken=*/Type(),
        /*asyncDependencies=*/ValueRange{}, alloc.getDynamicSizes(),
        alloc.getSymbolOperands(), /*hostShared=*/false);
    return success();
  }
};

struct DeallocToGPUPattern : public OpRewritePattern<memref::DeallocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::DeallocOp dealloc,
                                PatternRewriter &rewriter) const override {
    if (onDevice(dealloc))
      return failure();
    // Host bookkeeping buffers are still memref.alloc results.
    if (rootBuffer(dealloc.getMemref()).getDefiningOp<memref::AllocOp>())
      return failure();
    rewriter.replaceOpWithNewOp<gpu::DeallocOp>(
        dealloc, /*asyncToken=*/Type(), /*asyncDependencies=*/ValueRange{},
        dealloc.getMemref());
    return success();
  }
};

struct CopyToGPUPattern : public OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    if (onDevice(copy))
      return failure();
    rewriter.replaceOpWithNewOp<gpu::MemcpyOp>(
        copy, /*asyncToken=*/Type(), /*asyncDependencies=*/ValueRange{},
        copy.getTarget(), copy.getSource());
    return success();
  }
};

struct RetNetHostBuffersToGPUPass
    : public retnet::impl::RetNetHostBuffersToGPUBase<
          RetNetHostBuffersToGPUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AllocToGPUPattern, DeallocToGPUPattern, CopyToGPUPattern>(
        &getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));

    // Host code must not touch the elements of device buffers: those
    // allocated on the GPU and the arguments of public functions.
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (!isa<memref::LoadOp, memref::StoreOp>(op) || onDevice(op))
        return WalkResult::advance();
      Value memref = isa<memref::LoadOp>(op)
                         ? cast<memref::LoadOp>(op).getMemref()
                         : cast<memref::StoreOp>(op).getMemref();
      Value root = rootBuffer(memref);
      bool deviceBuffer = root.getDefiningOp<gpu::AllocOp>();
      if (auto argument = dyn_cast<BlockArgument>(root)) {
        auto function =
            dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
        deviceBuffer = function && function.isPublic();
      }
      if (!deviceBuffer)
        return WalkResult::advance();
      op->emitError("host code reads or writes a buffer that lives on the "
                    "GPU; this computation was not mapped to a kernel");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
