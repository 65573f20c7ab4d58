//===- HostBuffersToGPU.cpp - Host-side buffers become device buffers -----===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BufferRoots.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETHOSTBUFFERSTOGPU
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using retnet::rootBuffer;

namespace {
bool onDevice(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUFuncOp>() ||
         op->getParentOfType<gpu::GPUModuleOp>();
}

/// Whether the host only does bookkeeping with the buffer `value`: a list of
/// indices or flags (the pointer and ownership lists of the deallocation
/// lowering) whose every use, through views, is an element access, a
/// deallocation or a call of the deallocation helper on the host. Such
/// buffers stay in host memory; every other buffer is used by kernels or
/// leaves the function, and lives on the GPU.
bool isHostBookkeeping(Value value) {
  Type element = cast<MemRefType>(value.getType()).getElementType();
  if (!element.isIndex() && !element.isInteger(1))
    return false;
  for (Operation *user : value.getUsers()) {
    if (onDevice(user))
      return false;
    if (isa<memref::LoadOp, memref::StoreOp, memref::DeallocOp>(user))
      continue;
    if (auto call = dyn_cast<func::CallOp>(user);
        call && call.getCallee().starts_with("dealloc_helper"))
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
    // gpu.memcpy copies whole contiguous buffers, here between device
    // buffers only: a copy into host memory would be read by the host
    // before the GPU's work is done.
    auto deviceContiguous = [](Value value) {
      Operation *root = rootBuffer(value).getDefiningOp();
      return cast<MemRefType>(value.getType()).getLayout().isIdentity() &&
             !isa_and_present<memref::AllocOp, memref::AllocaOp,
                              memref::GetGlobalOp>(root);
    };
    if (onDevice(copy) || !deviceContiguous(copy.getSource()) ||
        !deviceContiguous(copy.getTarget()))
      return failure();
    rewriter.replaceOpWithNewOp<gpu::MemcpyOp>(
        copy, /*asyncToken=*/Type(), /*asyncDependencies=*/ValueRange{},
        copy.getTarget(), copy.getSource());
    return success();
  }
};

/// A host global (a constant table) used by kernels: copied into a device
/// buffer at the start of the function, freed before it returns.
struct GlobalToGPUPattern : public OpRewritePattern<memref::GetGlobalOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::GetGlobalOp global,
                                PatternRewriter &rewriter) const override {
    auto function = global->getParentOfType<func::FuncOp>();
    if (onDevice(global) || !function || !usedByKernels(global.getResult()))
      return failure();
    Location loc = global.getLoc();
    rewriter.setInsertionPointToStart(&function.getBody().front());
    auto hostCopy = memref::GetGlobalOp::create(rewriter, loc, global.getType(),
                                                global.getName());
    auto device = gpu::AllocOp::create(
        rewriter, loc, global.getType(), /*asyncToken=*/Type(),
        /*asyncDependencies=*/ValueRange{}, /*dynamicSizes=*/ValueRange{},
        /*symbolOperands=*/ValueRange{}, /*hostShared=*/false);
    gpu::MemcpyOp::create(rewriter, loc, /*asyncToken=*/Type(),
                          /*asyncDependencies=*/ValueRange{},
                          device.getMemref(), hostCopy);
    function.walk([&](func::ReturnOp ret) {
      rewriter.setInsertionPoint(ret);
      gpu::DeallocOp::create(rewriter, loc, /*asyncToken=*/Type(),
                             /*asyncDependencies=*/ValueRange{},
                             device.getMemref());
    });
    rewriter.replaceOp(global, device.getMemref());
    return success();
  }

  /// Whether a kernel uses `value` or a view of it.
  static bool usedByKernels(Value value) {
    for (Operation *user : value.getUsers()) {
      if (onDevice(user))
        return true;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && usedByKernels(view->getResult(0)))
        return true;
    }
    return false;
  }
};

/// Checks that kernels only use buffers in device memory: no host
/// allocation, stack buffer or global reaches a launch.
LogicalResult checkKernelOperands(Operation *root) {
  WalkResult result = root->walk([](gpu::LaunchOp launch) {
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(launch.getBody(), captured);
    for (Value value : captured) {
      if (!isa<MemRefType>(value.getType()))
        continue;
      Operation *def = rootBuffer(value).getDefiningOp();
      if (!isa_and_present<memref::AllocOp, memref::AllocaOp,
                           memref::GetGlobalOp>(def))
        continue;
      launch.emitError("a kernel uses a buffer in host memory (")
          << def->getName() << "); it must be allocated on the GPU";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct RetNetHostBuffersToGPUPass
    : public retnet::impl::RetNetHostBuffersToGPUBase<
          RetNetHostBuffersToGPUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AllocToGPUPattern, DeallocToGPUPattern, CopyToGPUPattern,
                 GlobalToGPUPattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    if (failed(checkKernelOperands(getOperation())))
      return signalPassFailure();

    // Host code must not touch the elements of device buffers (those
    // allocated on the GPU and the arguments of public functions), nor copy
    // them with memref.copy (strided copies between device buffers).
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (auto copy = dyn_cast<memref::CopyOp>(op); copy && !onDevice(op)) {
        op->emitError("cannot copy on the host between these buffers: only "
                      "between contiguous device buffers (gpu.memcpy)");
        return WalkResult::interrupt();
      }
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
