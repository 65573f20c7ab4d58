//===- GPUDistributeLinalg.cpp - Linalg ops over GPU blocks and threads ---===//

#include "retnet/Codegen/GPU/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
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
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
/// Points of a block in the split-reduction scheme: one warp's worth of
/// neighbouring output elements.
constexpr int64_t kPointsPerBlock = 32;

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

/// Emits the scalar computation of one linalg op at one point of its
/// parallel loops: loads, the payload, reduction loops, stores.
class PointEmitter {
public:
  PointEmitter(OpBuilder &b, linalg::LinalgOp op) : b(b), op(op) {
    loc = op.getLoc();
    ranges = op.createLoopRanges(b, loc);
    for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      (iterator == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(dim);
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    ivs.assign(ranges.size(), zero);
  }

  Value sizeOf(unsigned dim) {
    return getValueOrCreateConstantIndexOp(b, loc, ranges[dim].size);
  }
  ArrayRef<unsigned> getReductionDims() const { return reductionDims; }

  /// The number of points of the parallel loops.
  Value points() {
    Value count = arith::ConstantIndexOp::create(b, loc, 1);
    for (unsigned dim : parallelDims)
      count = arith::MulIOp::create(b, loc, count, sizeOf(dim));
    return count;
  }

  /// Sets the parallel loop indices of linear point `point` (the last loop
  /// varying fastest).
  void setPoint(Value point) {
    Value rest = point;
    for (unsigned dim : llvm::reverse(parallelDims)) {
      // The outermost index needs no remainder: point < points.
      if (dim == parallelDims.front()) {
        ivs[dim] = rest;
        break;
      }
      Value size = sizeOf(dim);
      ivs[dim] = arith::RemUIOp::create(b, loc, rest, size);
      rest = arith::DivUIOp::create(b, loc, rest, size);
    }
  }

  /// Indices of `operand` at the current loop indices.
  SmallVector<Value> indicesOf(OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<Value> indices;
    for (unsigned result = 0; result < map.getNumResults(); ++result)
      indices.push_back(affine::makeComposedAffineApply(
                            b, loc, map.getSubMap({result}),
                            SmallVector<OpFoldResult>(ivs.begin(), ivs.end()))
                            .getResult());
    return indices;
  }

  /// The output elements at the current point (a zero where the payload
  /// does not read them).
  SmallVector<Value> loadOutputs() {
    SmallVector<Value> values;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      BlockArgument argument = op.getMatchingBlockArgument(&init);
      if (argument.use_empty())
        values.push_back(arith::ConstantOp::create(
            b, loc, b.getZeroAttr(argument.getType())));
      else
        values.push_back(
            memref::LoadOp::create(b, loc, init.get(), indicesOf(init)));
    }
    return values;
  }

  void storeOutputs(ValueRange values) {
    for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), values))
      memref::StoreOp::create(b, loc, value, init.get(), indicesOf(init));
  }

  /// Runs the reduction loops from `current` and returns the results. The
  /// first reduction loop covers `first, first + step, ...` (all of it by
  /// default), the others all of theirs.
  SmallVector<Value> reduce(ValueRange current, Value first = Value(),
                            Value step = Value()) {
    return reduceFrom(b, 0, current, first, step);
  }

private:
  SmallVector<Value> reduceFrom(OpBuilder &builder, unsigned depth,
                                ValueRange current, Value first, Value step) {
    if (depth == reductionDims.size())
      return computePoint(builder, current);
    unsigned dim = reductionDims[depth];
    Value one = arith::ConstantIndexOp::create(builder, loc, 1);
    bool split = depth == 0 && first;
    auto loop = scf::ForOp::create(
        builder, loc, split ? first : zero, sizeOf(dim), split ? step : one,
        current, [&](OpBuilder &inner, Location, Value iv, ValueRange carried) {
          ivs[dim] = iv;
          scf::YieldOp::create(
              inner, loc, reduceFrom(inner, depth + 1, carried, first, step));
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The payload at the current loop indices on output values `current`.
  SmallVector<Value> computePoint(OpBuilder &builder, ValueRange current) {
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value value = input->get();
      if (isa<MemRefType>(value.getType()))
        value = memref::LoadOp::create(builder, loc, value, indicesOf(*input));
      mapping.map(op.getMatchingBlockArgument(input), value);
    }
    for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), current))
      mapping.map(op.getMatchingBlockArgument(&init), value);
    Block *payload = op.getBlock();
    for (Operation &payloadOp : payload->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(payloadOp)) {
        mapping.map(index.getResult(), ivs[index.getDim()]);
        continue;
      }
      builder.clone(payloadOp, mapping);
    }
    SmallVector<Value> results;
    for (Value yielded : payload->getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(yielded));
    return results;
  }

  OpBuilder &b;
  linalg::LinalgOp op;
  Location loc = UnknownLoc();
  SmallVector<Range> ranges;
  SmallVector<unsigned> parallelDims, reductionDims;
  Value zero;
  SmallVector<Value> ivs;
};

/// Whether `op` is a sum (one output, `arith.addf` combining the reduction),
/// long enough to split its first reduction loop across threads.
bool isSplittableSum(linalg::LinalgOp op, int64_t minimumLength) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return false;
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1 || !isa<arith::AddFOp>(combiners.front()))
    return false;
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t length = 1;
  for (auto [size, iterator] : llvm::zip(sizes, op.getIteratorTypesArray())) {
    if (iterator != utils::IteratorType::reduction)
      continue;
    if (ShapedType::isDynamic(size))
      return false;
    length *= size;
  }
  return length >= minimumLength;
}

/// Distributes linalg ops on buffers over GPU blocks and threads.
///
/// One thread per output element:
///   scf.forall (%block) in (ceil(P / N)) {#gpu.block<x>}
///     scf.forall (%thread) in (N) {#gpu.thread<x>}
///       if (i = block * N + thread) < P: output element i
/// with P the number of points of the parallel loops; each thread carries
/// its elements in registers through the reduction loops.
///
/// Long sums (matrix products, norms) split their reduction instead: a
/// block computes 32 neighbouring elements, its N threads as N / 32 slices
/// of the first reduction loop (thread t: element t % 32, reduction indices
/// t / 32 + k N / 32), the partial sums meet in a workgroup tile, and 32
/// threads add them to the outputs. A decoding step's matrix-vector
/// products then run on N / 32 times as many blocks.
struct DistributeLinalgPattern
    : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  DistributeLinalgPattern(MLIRContext *context, int64_t threads,
                          int64_t minimumSplitLength, Attribute tileSpace)
      : OpInterfaceRewritePattern(context), threads(threads),
        minimumSplitLength(minimumSplitLength), tileSpace(tileSpace) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || insideBlocks(op))
      return failure();
    if (threads % kPointsPerBlock == 0 && threads > kPointsPerBlock &&
        isSplittableSum(op, minimumSplitLength))
      distributeSplit(op, rewriter);
    else
      distributePerThread(op, rewriter);
    rewriter.eraseOp(op);
    return success();
  }

private:
  scf::ForallOp forallOver(OpBuilder &b, Location loc, OpFoldResult count,
                           Attribute mapping) const {
    auto forall =
        scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
                              ArrayRef<OpFoldResult>{count},
                              ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
                              ValueRange{}, b.getArrayAttr({mapping}));
    b.setInsertionPoint(forall.getTerminator());
    return forall;
  }
  Attribute blockX(MLIRContext *context) const {
    return gpu::GPUBlockMappingAttr::get(context, gpu::MappingId::DimX);
  }
  Attribute threadX(MLIRContext *context) const {
    return gpu::GPUThreadMappingAttr::get(context, gpu::MappingId::DimX);
  }
  /// `if (point < points)` with the insertion point inside.
  void guard(OpBuilder &b, Location loc, Value point, Value points) const {
    Value active =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, point, points);
    auto ifOp = scf::IfOp::create(b, loc, active, /*withElseRegion=*/false);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  }

  void distributePerThread(linalg::LinalgOp op, OpBuilder &b) const {
    Location loc = op.getLoc();
    MLIRContext *context = b.getContext();
    PointEmitter emitter(b, op);
    Value points = emitter.points();
    Value threadCount = arith::ConstantIndexOp::create(b, loc, threads);
    Value blocks = arith::CeilDivUIOp::create(b, loc, points, threadCount);
    scf::ForallOp blockLoop = forallOver(b, loc, blocks, blockX(context));
    scf::ForallOp threadLoop =
        forallOver(b, loc, b.getIndexAttr(threads), threadX(context));
    Value point = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, blockLoop.getInductionVar(0),
                              threadCount),
        threadLoop.getInductionVar(0));
    guard(b, loc, point, points);
    emitter.setPoint(point);
    emitter.storeOutputs(emitter.reduce(emitter.loadOutputs()));
  }

  void distributeSplit(linalg::LinalgOp op, OpBuilder &b) const {
    Location loc = op.getLoc();
    MLIRContext *context = b.getContext();
    int64_t slices = threads / kPointsPerBlock;
    PointEmitter emitter(b, op);
    Value points = emitter.points();
    Value width = arith::ConstantIndexOp::create(b, loc, kPointsPerBlock);
    Value blocks = arith::CeilDivUIOp::create(b, loc, points, width);
    Type elementType =
        getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
    scf::ForallOp blockLoop = forallOver(b, loc, blocks, blockX(context));
    Value blockStart =
        arith::MulIOp::create(b, loc, blockLoop.getInductionVar(0), width);
    auto tileType = MemRefType::get({slices, kPointsPerBlock}, elementType,
                                    MemRefLayoutAttrInterface(), tileSpace);
    Value partials = memref::AllocaOp::create(b, loc, tileType);

    // Partial sums: thread t adds slice t / 32 of element t % 32.
    {
      OpBuilder::InsertionGuard insertion(b);
      scf::ForallOp threadLoop =
          forallOver(b, loc, b.getIndexAttr(threads), threadX(context));
      Value thread = threadLoop.getInductionVar(0);
      Value column = arith::RemUIOp::create(b, loc, thread, width);
      Value slice = arith::DivUIOp::create(b, loc, thread, width);
      Value point = arith::AddIOp::create(b, loc, blockStart, column);
      guard(b, loc, point, points);
      emitter.setPoint(point);
      Value zero =
          arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
      Value partial =
          emitter.reduce(ValueRange{zero}, slice,
                         arith::ConstantIndexOp::create(b, loc, slices))[0];
      memref::StoreOp::create(b, loc, partial, partials,
                              ValueRange{slice, column});
    }
    // Outputs: 32 threads add the slices' partial sums to their element.
    scf::ForallOp threadLoop =
        forallOver(b, loc, b.getIndexAttr(kPointsPerBlock), threadX(context));
    Value column = threadLoop.getInductionVar(0);
    Value point = arith::AddIOp::create(b, loc, blockStart, column);
    guard(b, loc, point, points);
    emitter.setPoint(point);
    OpOperand *init = op.getDpsInitOperand(0);
    Value sum =
        memref::LoadOp::create(b, loc, init->get(), emitter.indicesOf(*init));
    for (int64_t slice = 0; slice < slices; ++slice) {
      Value partial = memref::LoadOp::create(
          b, loc, partials,
          ValueRange{arith::ConstantIndexOp::create(b, loc, slice), column});
      sum = arith::AddFOp::create(b, loc, sum, partial);
    }
    emitter.storeOutputs(sum);
  }

  int64_t threads, minimumSplitLength;
  Attribute tileSpace;
};

struct RetNetGPUDistributeLinalgPass
    : public retnet::impl::RetNetGPUDistributeLinalgBase<
          RetNetGPUDistributeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0 || threads > 1024 || splitReductionLength <= 0) {
      getOperation()->emitError(
          "retnet-gpu-distribute-linalg: threads must be in [1, 1024] and "
          "split-reduction-length positive");
      return signalPassFailure();
    }
    Attribute tileSpace;
    if (workgroupMemory)
      tileSpace = gpu::AddressSpaceAttr::get(
          &getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    RewritePatternSet patterns(&getContext());
    patterns.add<DistributeLinalgPattern>(&getContext(), threads,
                                          splitReductionLength, tileSpace);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
