//===- GPUDistributeLinalg.cpp - One GPU thread per linalg output element -===//

#include "retnet/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUDISTRIBUTELINALG
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
/// Whether `op` already runs inside GPU blocks (a block-mapped forall or a
/// launch).
bool insideBlocks(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    if (isa<gpu::LaunchOp, gpu::GPUFuncOp>(parent))
      return true;
    auto forall = dyn_cast<scf::ForallOp>(parent);
    if (forall && forall.getMapping() &&
        llvm::any_of(*forall.getMapping(),
                     llvm::IsaPred<gpu::GPUBlockMappingAttr>))
      return true;
  }
  return false;
}

/// Indices of `operand` at loop indices `ivs`, through its indexing map.
SmallVector<Value> operandIndices(OpBuilder &b, Location loc,
                                  linalg::LinalgOp op, OpOperand &operand,
                                  ArrayRef<Value> ivs) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  SmallVector<Value> indices;
  for (unsigned result = 0; result < map.getNumResults(); ++result)
    indices.push_back(affine::makeComposedAffineApply(
                          b, loc, map.getSubMap({result}),
                          SmallVector<OpFoldResult>(ivs.begin(), ivs.end()))
                          .getResult());
  return indices;
}

/// Rewrites a linalg op on buffers into
///   scf.forall (%block) in (ceil(P / N)) {#gpu.block<x>}
///     scf.forall (%thread) in (N) {#gpu.thread<x>}
///       if (i = block * N + thread) < P: output element i
/// with P the number of points of the parallel loops (the last loop
/// varying fastest, so neighbouring threads touch neighbouring elements).
/// Each thread carries its output elements in registers through the
/// reduction loops.
struct DistributeLinalgPattern
    : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  DistributeLinalgPattern(MLIRContext *context, int64_t threads)
      : OpInterfaceRewritePattern(context), threads(threads) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || insideBlocks(op))
      return failure();
    Location loc = op.getLoc();
    SmallVector<Range> ranges = op.createLoopRanges(rewriter, loc);
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<unsigned> parallelDims, reductionDims;
    for (auto [dim, iterator] : llvm::enumerate(iterators))
      (iterator == utils::IteratorType::parallel ? parallelDims
                                                 : reductionDims)
          .push_back(dim);
    auto sizeOf = [&](unsigned dim) {
      return getValueOrCreateConstantIndexOp(rewriter, loc, ranges[dim].size);
    };

    Value points = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (unsigned dim : parallelDims)
      points = arith::MulIOp::create(rewriter, loc, points, sizeOf(dim));
    Value threadCount = arith::ConstantIndexOp::create(rewriter, loc, threads);
    Value blocks =
        arith::CeilDivUIOp::create(rewriter, loc, points, threadCount);

    MLIRContext *context = rewriter.getContext();
    auto blockLoop = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{blocks},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)}, ValueRange{},
        rewriter.getArrayAttr(
            {gpu::GPUBlockMappingAttr::get(context, gpu::MappingId::DimX)}));
    rewriter.setInsertionPoint(blockLoop.getTerminator());
    auto threadLoop = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(threads)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)}, ValueRange{},
        rewriter.getArrayAttr(
            {gpu::GPUThreadMappingAttr::get(context, gpu::MappingId::DimX)}));
    rewriter.setInsertionPoint(threadLoop.getTerminator());
    Value point = arith::AddIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, blockLoop.getInductionVar(0),
                              threadCount),
        threadLoop.getInductionVar(0));
    Value active = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::ult, point, points);
    auto guard = scf::IfOp::create(rewriter, loc, active,
                                   /*withElseRegion=*/false);
    rewriter.setInsertionPoint(guard.thenBlock()->getTerminator());

    // Loop indices of this point; reduction indices are filled in below.
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    SmallVector<Value> ivs(iterators.size(), zero);
    Value rest = point;
    for (unsigned dim : llvm::reverse(parallelDims)) {
      // The outermost index needs no remainder: point < points.
      if (dim == parallelDims.front()) {
        ivs[dim] = rest;
        break;
      }
      Value size = sizeOf(dim);
      ivs[dim] = arith::RemUIOp::create(rewriter, loc, rest, size);
      rest = arith::DivUIOp::create(rewriter, loc, rest, size);
    }

    // Output elements: loaded when the payload reads them.
    Block *payload = op.getBlock();
    SmallVector<Value> initial;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      BlockArgument argument = op.getMatchingBlockArgument(&init);
      if (argument.use_empty()) {
        initial.push_back(arith::ConstantOp::create(
            rewriter, loc, rewriter.getZeroAttr(argument.getType())));
        continue;
      }
      initial.push_back(memref::LoadOp::create(
          rewriter, loc, init.get(),
          operandIndices(rewriter, loc, op, init, ivs)));
    }

    // The payload at the innermost point, carrying the outputs.
    auto computePoint = [&](OpBuilder &b, ValueRange current) {
      IRMapping mapping;
      for (OpOperand *input : op.getDpsInputOperands()) {
        Value value = input->get();
        if (isa<MemRefType>(value.getType()))
          value = memref::LoadOp::create(
              b, loc, value, operandIndices(b, loc, op, *input, ivs));
        mapping.map(op.getMatchingBlockArgument(input), value);
      }
      for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), current))
        mapping.map(op.getMatchingBlockArgument(&init), value);
      SmallVector<Value> results;
      for (Operation &payloadOp : payload->without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(payloadOp)) {
          mapping.map(index.getResult(), ivs[index.getDim()]);
          continue;
        }
        b.clone(payloadOp, mapping);
      }
      for (Value yielded : payload->getTerminator()->getOperands())
        results.push_back(mapping.lookupOrDefault(yielded));
      return results;
    };
    std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)>
        reduce = [&](OpBuilder &b, unsigned depth,
                     ValueRange current) -> SmallVector<Value> {
      if (depth == reductionDims.size())
        return computePoint(b, current);
      unsigned dim = reductionDims[depth];
      auto loop = scf::ForOp::create(
          b, loc, zero, sizeOf(dim),
          arith::ConstantIndexOp::create(b, loc, 1), current,
          [&](OpBuilder &inner, Location, Value iv, ValueRange carried) {
            ivs[dim] = iv;
            scf::YieldOp::create(inner, loc, reduce(inner, depth + 1, carried));
          });
      return SmallVector<Value>(loop.getResults());
    };
    SmallVector<Value> results = reduce(rewriter, 0, initial);
    for (auto [init, result] : llvm::zip(op.getDpsInitsMutable(), results))
      memref::StoreOp::create(
          rewriter, loc, result, init.get(),
          operandIndices(rewriter, loc, op, init, ivs));
    rewriter.eraseOp(op);
    return success();
  }

  int64_t threads;
};

struct RetNetGPUDistributeLinalgPass
    : public retnet::impl::RetNetGPUDistributeLinalgBase<
          RetNetGPUDistributeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0) {
      getOperation()->emitError(
          "retnet-gpu-distribute-linalg: threads must be positive");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<DistributeLinalgPattern>(&getContext(), threads);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
