//===- SingleStream.cpp - A host function's GPU work on one stream --------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUSINGLESTREAM
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
bool isSynchronousGPUOp(Operation *op) {
  // Host-shared (managed) allocations have no asynchronous form.
  if (auto alloc = dyn_cast<gpu::AllocOp>(op); alloc && alloc.getHostShared())
    return false;
  return isa<gpu::LaunchFuncOp, gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp>(
             op) &&
         !cast<gpu::AsyncOpInterface>(op).getAsyncToken();
}

/// Rebuilds `op` as an asynchronous operation on `stream`.
void enqueue(RewriterBase &rewriter, Operation *op, Value stream) {
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();
  Type token = stream.getType();
  ValueRange dependencies = stream;
  if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
    std::optional<gpu::KernelDim3> cluster;
    if (launch.hasClusterSize())
      cluster = launch.getClusterSizeOperandValues();
    gpu::LaunchFuncOp::create(
        rewriter, loc, launch.getKernel(), launch.getGridSizeOperandValues(),
        launch.getBlockSizeOperandValues(), launch.getDynamicSharedMemorySize(),
        launch.getKernelOperands(), token, dependencies, cluster);
    rewriter.eraseOp(launch);
  } else if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
    auto async =
        gpu::AllocOp::create(rewriter, loc, alloc.getMemref().getType(), token,
                             dependencies, alloc.getDynamicSizes(),
                             alloc.getSymbolOperands(), alloc.getHostShared());
    rewriter.replaceAllUsesWith(alloc.getMemref(), async.getMemref());
    rewriter.eraseOp(alloc);
  } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
    gpu::DeallocOp::create(rewriter, loc, token, dependencies,
                           dealloc.getMemref());
    rewriter.eraseOp(dealloc);
  } else if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
    gpu::MemcpyOp::create(rewriter, loc, token, dependencies, copy.getDst(),
                          copy.getSrc());
    rewriter.eraseOp(copy);
  }
}

struct RetNetGPUSingleStreamPass
    : public retnet::impl::RetNetGPUSingleStreamBase<
          RetNetGPUSingleStreamPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    Type tokenType = gpu::AsyncTokenType::get(&getContext());
    // The functions with GPU work, and that work.
    llvm::MapVector<Operation *, SmallVector<Operation *>> work;
    DenseSet<StringRef> gpuFunctions;
    for (auto function : getOperation().getOps<FunctionOpInterface>()) {
      SmallVector<Operation *> ops;
      function->walk([&](Operation *op) {
        if (isSynchronousGPUOp(op))
          ops.push_back(op);
      });
      if (ops.empty())
        continue;
      gpuFunctions.insert(function.getName());
      work[function] = std::move(ops);
    }
    // Each function has its own stream: a call from one to another would
    // let the callee's work overtake the caller's.
    for (auto &[function, ops] : work) {
      WalkResult calls = function->walk([&](CallOpInterface call) {
        auto callee =
            dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee());
        if (!callee || !gpuFunctions.contains(callee.getLeafReference()))
          return WalkResult::advance();
        call->emitError("retnet-gpu-single-stream: a function with GPU work "
                        "calls another one; their streams would not be "
                        "ordered");
        return WalkResult::interrupt();
      });
      if (calls.wasInterrupted())
        return signalPassFailure();
    }
    for (auto &[functionOp, ops] : work) {
      auto function = cast<FunctionOpInterface>(functionOp);
      Region &body = function.getFunctionBody();
      rewriter.setInsertionPointToStart(&body.front());
      Value stream = gpu::WaitOp::create(rewriter, function.getLoc(),
                                         TypeRange{tokenType}, ValueRange{})
                         .getResult(0);
      for (Operation *op : ops)
        enqueue(rewriter, op, stream);
      for (Block &block : body) {
        Operation *terminator = block.getTerminator();
        if (!terminator->hasTrait<OpTrait::ReturnLike>())
          continue;
        rewriter.setInsertionPoint(terminator);
        gpu::WaitOp::create(rewriter, terminator->getLoc(), TypeRange{},
                            stream);
      }
    }
  }
};
} // namespace
