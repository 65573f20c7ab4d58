//===- RetentionToGPU.cpp - convert-retention-to-gpu ----------------------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "RetentionKernelEmitter.h"

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
struct LowerRetentionToGPUPattern
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  LowerRetentionToGPUPattern(MLIRContext *context, int64_t threads,
                             int64_t parallelTile, Attribute workgroupSpace)
      : OpInterfaceRewritePattern(context), threads(threads),
        parallelTile(parallelTile), workgroupSpace(workgroupSpace) {}

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder builder(op.getLoc(), rewriter);
    SmallVector<Value> results =
        RetentionKernelEmitter(builder, op, threads, parallelTile,
                               workgroupSpace)
            .emit();
    rewriter.replaceOp(op, results);
    return success();
  }

  int64_t threads, parallelTile;
  Attribute workgroupSpace;
};

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
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerRetentionToGPUPattern>(&getContext(), threads,
                                             parallelTile, workgroupSpace);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
