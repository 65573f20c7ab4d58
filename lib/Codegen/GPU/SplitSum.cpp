//===- SplitSum.cpp - Long sums split into partial sums over slices -------===//

#include "SplitSum.h"

#include "LoopSplit.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace {
unsigned firstReductionLoop(linalg::LinalgOp op) {
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  return reductions.front();
}

/// Loop positions in the partial sums: the parallel loops first, then the
/// slice loop, then the reduction loops (the first one becoming kk).
struct SplitLoops {
  explicit SplitLoops(linalg::LinalgOp op) {
    MLIRContext *context = op.getContext();
    SmallVector<unsigned> parallel, reduction;
    op.getParallelDims(parallel);
    op.getReductionDims(reduction);
    numParallel = parallel.size();
    newPosition.resize(op.getNumLoops());
    for (auto [position, dim] : llvm::enumerate(parallel))
      newPosition[dim] = position;
    for (auto [position, dim] : llvm::enumerate(reduction))
      newPosition[dim] = numParallel + 1 + position;
    for (unsigned position : newPosition)
      replacements.push_back(getAffineDimExpr(position, context));
  }
  unsigned sliceLoop() const { return numParallel; }
  unsigned numLoops() const { return newPosition.size() + 1; }
  /// The nest as the split of loop `first` into (kk, s).
  retnet::LoopSplit asLoopSplit(unsigned first, int64_t slices) const {
    return {first, slices, newPosition, sliceLoop(), numLoops()};
  }

  unsigned numParallel;
  SmallVector<unsigned> newPosition;
  SmallVector<AffineExpr> replacements;
};

} // namespace

/// Whether `init`, an output of `op`, is written once per term: indexed by
/// every loop, each by itself.
static bool isTermOutput(linalg::LinalgOp op, OpOperand &init) {
  AffineMap map = op.getMatchingIndexingMap(&init);
  return map.getNumResults() == op.getNumLoops() && map.isPermutation();
}

/// The output of `op` that sums over its reduction loops, if all others are
/// term outputs (isTermOutput) on buffers.
static OpOperand *sumOutput(linalg::LinalgOp op) {
  OpOperand *sum = nullptr;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    if (isTermOutput(op, init) && isa<MemRefType>(init.get().getType()))
      continue;
    if (sum)
      return nullptr;
    sum = &init;
  }
  return sum;
}

bool mlir::retnet::isSplittableSum(linalg::LinalgOp op, int64_t minimumLength,
                                   int64_t slices) {
  OpOperand *sum = sumOutput(op);
  if (!sum || op.getNumReductionLoops() == 0)
    return false;
  SmallVector<Operation *> combiners;
  unsigned sumNumber = sum->getOperandNumber() - op.getNumDpsInputs();
  if (!matchReduction(op.getRegionOutputArgs(), sumNumber, combiners) ||
      combiners.size() != 1 || !isa<arith::AddFOp>(combiners.front()))
    return false;
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t total = 1;
  for (auto [size, iterator] : llvm::zip(sizes, op.getIteratorTypesArray())) {
    if (iterator != utils::IteratorType::reduction)
      continue;
    if (ShapedType::isDynamic(size))
      return false;
    total *= size;
  }
  unsigned first = firstReductionLoop(op);
  if (total < minimumLength || sizes[first] % slices != 0)
    return false;
  // The sum is indexed by parallel loops only; inputs index the first
  // reduction loop by itself, and at least one does.
  AffineMap sumMap = op.getMatchingIndexingMap(sum);
  for (unsigned dim = 0; dim < sumMap.getNumDims(); ++dim)
    if (op.getIteratorTypesArray()[dim] == utils::IteratorType::reduction &&
        sumMap.isFunctionOfDim(dim))
      return false;
  bool indexed = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(first))
      continue;
    std::optional<unsigned> position = retnet::resultOfDim(map, first);
    if (!position || !isa<MemRefType>(input->get().getType()) ||
        llvm::count_if(map.getResults(), [&](AffineExpr result) {
          return result.isFunctionOfDim(first);
        }) != 1)
      return false;
    indexed = true;
  }
  return indexed;
}

mlir::retnet::SplitSum mlir::retnet::splitSum(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              ArrayRef<int64_t> pointTile,
                                              int64_t slices, Attribute space) {
  Location loc = op.getLoc();
  MLIRContext *context = rewriter.getContext();
  SplitLoops loops(op);
  unsigned first = firstReductionLoop(op);
  SmallVector<Range> ranges = op.createLoopRanges(rewriter, loc);
  OpOperand *init = sumOutput(op);
  Type elementType = getElementTypeOrSelf(init->get().getType());

  // The partial sums: [parallel sizes of the tile..., slices].
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> sizes;
  SmallVector<unsigned> parallel;
  op.getParallelDims(parallel);
  for (unsigned dim : parallel) {
    shape.push_back(pointTile[dim]);
    sizes.push_back(ranges[dim].size);
  }
  shape.push_back(slices);
  sizes.push_back(rewriter.getIndexAttr(slices));
  Value tile = memref::AllocaOp::create(
      rewriter, loc,
      MemRefType::get(shape, elementType, MemRefLayoutAttrInterface(), space));
  SmallVector<OpFoldResult> zeros(shape.size(), rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> ones(shape.size(), rewriter.getIndexAttr(1));
  Value partials =
      memref::SubViewOp::create(rewriter, loc, tile, zeros, sizes, ones);

  Value zero = arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getZeroAttr(elementType));
  auto fill = linalg::FillOp::create(rewriter, loc, ValueRange{zero},
                                     ValueRange{partials});

  retnet::LoopSplit split = loops.asLoopSplit(first, slices);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto [value, map] = retnet::splitOperand(rewriter, op, input, split);
    inputs.push_back(value);
    maps.push_back(map);
  }
  // Outputs in order: the partial sums for the sum, the term outputs split
  // as the inputs are.
  AffineMap pointMap =
      AffineMap::getMultiDimIdentityMap(loops.numParallel + 1, context);
  SmallVector<Value> outputs;
  for (OpOperand &output : op.getDpsInitsMutable()) {
    if (&output == init) {
      outputs.push_back(partials);
      maps.push_back(
          AffineMap::get(loops.numLoops(), 0, pointMap.getResults(), context));
      continue;
    }
    auto [value, map] = retnet::splitOperand(rewriter, op, &output, split);
    outputs.push_back(value);
    maps.push_back(map);
  }
  SmallVector<utils::IteratorType> iterators(loops.numParallel + 1,
                                             utils::IteratorType::parallel);
  iterators.append(op.getNumReductionLoops(), utils::IteratorType::reduction);
  auto partial = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, inputs, outputs, maps, iterators,
      [&](OpBuilder &b, Location bodyLoc, ValueRange arguments) {
        linalg::YieldOp::create(
            b, bodyLoc,
            retnet::clonePayloadForSplit(b, bodyLoc, op, arguments, split));
      });

  AffineMap outputMap = op.getMatchingIndexingMap(init).replaceDimsAndSymbols(
      loops.replacements, {}, loops.numParallel + 1, 0);
  SmallVector<utils::IteratorType> mergeIterators(
      loops.numParallel, utils::IteratorType::parallel);
  mergeIterators.push_back(utils::IteratorType::reduction);
  auto merge = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange{partials}, ValueRange{init->get()},
      ArrayRef<AffineMap>{pointMap, outputMap}, mergeIterators,
      [&](OpBuilder &b, Location bodyLoc, ValueRange arguments) {
        linalg::YieldOp::create(b, bodyLoc,
                                ValueRange{arith::AddFOp::create(
                                    b, bodyLoc, arguments[1], arguments[0])});
      });
  rewriter.eraseOp(op);
  return {cast<linalg::LinalgOp>(fill.getOperation()),
          cast<linalg::LinalgOp>(partial.getOperation()),
          cast<linalg::LinalgOp>(merge.getOperation())};
}
