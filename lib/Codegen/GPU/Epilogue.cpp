//===- Epilogue.cpp - Element-wise ops run by their producer's blocks -----===//

#include "Epilogue.h"

#include "BufferRoots.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using retnet::isAllocation;
using retnet::mayAlias;
using retnet::rootBuffer;

namespace {
/// The size of dimension `dim` of `buffer` without new ops: a constant, or
/// the value an allocation was given; null if neither.
OpFoldResult knownSize(Value buffer, unsigned dim) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.isDynamicDim(dim))
    return IntegerAttr::get(IndexType::get(buffer.getContext()),
                            type.getDimSize(dim));
  if (auto alloc = buffer.getDefiningOp<memref::AllocOp>())
    return alloc.getDynamicSizes()[type.getDynamicDimIndex(dim)];
  return OpFoldResult();
}

/// For `view`, `output` itself or a memref.reinterpret_cast of it (identity
/// layout) that only adds dimensions of size 1: for each dimension of
/// `view`, the dimension of `output` it is, or -1 for an added one.
std::optional<SmallVector<int64_t>> unitDimExpansion(Value view, Value output) {
  auto outputType = cast<MemRefType>(output.getType());
  if (view == output)
    return llvm::to_vector(llvm::seq<int64_t>(outputType.getRank()));
  auto cast = view.getDefiningOp<memref::ReinterpretCastOp>();
  if (!cast || cast.getSource() != output ||
      !outputType.getLayout().isIdentity() ||
      cast.getStaticOffsets() != ArrayRef<int64_t>{0})
    return std::nullopt;
  SmallVector<int64_t> outputStrides;
  int64_t outputOffset;
  if (failed(outputType.getStridesAndOffset(outputStrides, outputOffset)))
    return std::nullopt;
  SmallVector<OpFoldResult> sizes = cast.getMixedSizes();
  ArrayRef<int64_t> strides = cast.getStaticStrides();
  SmallVector<int64_t> dims;
  int64_t next = 0;
  for (auto [size, stride] : llvm::zip(sizes, strides)) {
    if (next < outputType.getRank() && !ShapedType::isDynamic(stride) &&
        stride == outputStrides[next]) {
      OpFoldResult outputSize = knownSize(output, next);
      if (outputSize && isEqualConstantIntOrValue(size, outputSize)) {
        dims.push_back(next++);
        continue;
      }
    }
    if (!isConstantIntValue(size, 1))
      return std::nullopt;
    dims.push_back(-1);
  }
  if (next != outputType.getRank())
    return std::nullopt;
  return dims;
}

/// The roots of the buffers among `op`'s operands; only those it writes if
/// `writtenOnly`.
void addRoots(Operation *op, bool writtenOnly,
              llvm::SmallPtrSetImpl<Value> &roots) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  for (OpOperand &operand : op->getOpOperands())
    if (isa<MemRefType>(operand.get().getType()) &&
        (!writtenOnly || (linalgOp && linalgOp.isDpsInit(&operand))))
      roots.insert(rootBuffer(operand.get()));
}

/// What a view of the output indexes with each loop of an epilogue.
struct LoopOutputDims {
  SmallVector<int64_t> dims, pointsPerOutput;
  bool operator==(const LoopOutputDims &other) const {
    return dims == other.dims && pointsPerOutput == other.pointsPerOutput;
  }
};

/// For each loop of `op`, what `operand` (a view of the output with the
/// dimensions `viewDims`) indexes with it, as Epilogue::outputDims and
/// Epilogue::pointsPerOutput; none unless each result of its map is a loop,
/// or a loop `floordiv` a constant, each loop at most once.
std::optional<LoopOutputDims> loopOutputDims(linalg::LinalgOp op,
                                             OpOperand &operand,
                                             ArrayRef<int64_t> viewDims) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  LoopOutputDims loops;
  loops.dims.assign(op.getNumLoops(), retnet::Epilogue::kWholeLoop);
  loops.pointsPerOutput.assign(op.getNumLoops(), 1);
  for (auto [position, result] : llvm::enumerate(map.getResults())) {
    AffineExpr loop = result;
    int64_t points = 1;
    auto quotient = dyn_cast<AffineBinaryOpExpr>(result);
    if (quotient && quotient.getKind() == AffineExprKind::FloorDiv) {
      auto divisor = dyn_cast<AffineConstantExpr>(quotient.getRHS());
      if (!divisor || divisor.getValue() <= 0 || viewDims[position] < 0)
        return std::nullopt;
      loop = quotient.getLHS();
      points = divisor.getValue();
    }
    auto dim = dyn_cast<AffineDimExpr>(loop);
    if (!dim || loops.dims[dim.getPosition()] != retnet::Epilogue::kWholeLoop)
      return std::nullopt;
    loops.dims[dim.getPosition()] = viewDims[position];
    loops.pointsPerOutput[dim.getPosition()] = points;
  }
  return loops;
}
} // namespace

std::optional<retnet::Epilogue>
retnet::findEpilogue(linalg::LinalgOp producer, ArrayRef<Epilogue> earlier,
                     ArrayRef<linalg::LinalgOp> prologue) {
  if (!producer.hasPureBufferSemantics() || producer.getNumDpsInits() != 1)
    return std::nullopt;
  OpOperand *init = producer.getDpsInitOperand(0);
  if (!producer.getMatchingIndexingMap(init).isProjectedPermutation())
    return std::nullopt;
  Value output = init->get();
  Value outputRoot = rootBuffer(output);
  // What the blocks that still run the producer or earlier epilogues
  // access, and what earlier epilogues write, apart from the output.
  llvm::SmallPtrSet<Value, 8> accessed, written;
  addRoots(producer, /*writtenOnly=*/false, accessed);
  for (linalg::LinalgOp op : prologue)
    addRoots(op, /*writtenOnly=*/false, accessed);
  for (const Epilogue &epilogue : earlier) {
    linalg::LinalgOp earlierOp = epilogue.op;
    addRoots(earlierOp, /*writtenOnly=*/false, accessed);
    addRoots(earlierOp, /*writtenOnly=*/true, written);
  }
  written.erase(outputRoot);

  Epilogue epilogue;
  linalg::LinalgOp last = earlier.empty() ? producer : earlier.back().op;
  Operation *next = last->getNextNode();
  for (; next && !isa<linalg::LinalgOp>(next); next = next->getNextNode()) {
    if (next->hasTrait<OpTrait::IsTerminator>() ||
        !retnet::isPureOrAllocation(next))
      return std::nullopt;
    epilogue.between.push_back(next);
  }
  auto op = dyn_cast_or_null<linalg::LinalgOp>(next);
  if (!op || !op.hasPureBufferSemantics() ||
      op.getNumLoops() != op.getNumParallelLoops())
    return std::nullopt;

  std::optional<LoopOutputDims> dims;
  for (OpOperand &operand : op->getOpOperands()) {
    Value value = operand.get();
    if (!isa<MemRefType>(value.getType()))
      continue;
    Value root = rootBuffer(value);
    if (root == outputRoot) {
      // The output, read at one point of its own (or written at the point)
      // that the epilogue runs over.
      std::optional<SmallVector<int64_t>> viewDims =
          unitDimExpansion(value, output);
      if (!viewDims || (op.isDpsInit(&operand) &&
                        !op.getMatchingIndexingMap(&operand).isIdentity()))
        return std::nullopt;
      std::optional<LoopOutputDims> operandDims =
          loopOutputDims(op, operand, *viewDims);
      if (!operandDims || (dims && !(*dims == *operandDims)))
        return std::nullopt;
      dims = operandDims;
      continue;
    }
    // Other memory than the output; blocks must not read what another
    // block's earlier epilogue writes.
    if (mayAlias(root, outputRoot) || written.contains(root))
      return std::nullopt;
    // Nor write what another block still reads.
    if (op.isDpsInit(&operand) &&
        (!isAllocation(root) || accessed.contains(root)))
      return std::nullopt;
  }
  if (!dims)
    return std::nullopt;
  // A block runs the loops that do not index the output whole; a loop read
  // as `loop floordiv K` spans exactly K times its output dimension.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  ArrayRef<int64_t> outputShape = cast<MemRefType>(output.getType()).getShape();
  for (auto [dim, points, range] :
       llvm::zip(dims->dims, dims->pointsPerOutput, ranges)) {
    if (dim == Epilogue::kWholeLoop && ShapedType::isDynamic(range))
      return std::nullopt;
    if (points != 1 && (ShapedType::isDynamic(outputShape[dim]) ||
                        range != points * outputShape[dim]))
      return std::nullopt;
  }
  epilogue.op = op;
  epilogue.outputDims = std::move(dims->dims);
  epilogue.pointsPerOutput = std::move(dims->pointsPerOutput);
  return epilogue;
}

void retnet::hoistBetween(RewriterBase &rewriter, linalg::LinalgOp producer,
                          const Epilogue &epilogue) {
  for (Operation *op : epilogue.between)
    rewriter.moveOpBefore(op, producer);
}

FailureOr<linalg::LinalgOp> retnet::tileEpilogue(RewriterBase &rewriter,
                                                 const Epilogue &epilogue,
                                                 Value output,
                                                 Value outputTile) {
  linalg::LinalgOp op = epilogue.op;
  Location loc = op.getLoc();
  int64_t rank = cast<MemRefType>(output.getType()).getRank();
  SmallVector<OpFoldResult> tileOffsets, tileSizes;
  if (outputTile == output) {
    tileOffsets.assign(rank, rewriter.getIndexAttr(0));
    tileSizes = memref::getMixedSizes(rewriter, loc, output);
  } else {
    auto subview = outputTile.getDefiningOp<memref::SubViewOp>();
    if (!subview || subview.getSource() != output ||
        !llvm::all_of(subview.getStaticStrides(),
                      [](int64_t stride) { return stride == 1; }))
      return failure();
    tileOffsets = subview.getMixedOffsets();
    tileSizes = subview.getMixedSizes();
  }
  SmallVector<Range> loopRanges = op.createLoopRanges(rewriter, loc);
  SmallVector<OpFoldResult> offsets, sizes;
  AffineExpr value = rewriter.getAffineSymbolExpr(0);
  for (auto [dim, points, range] :
       llvm::zip(epilogue.outputDims, epilogue.pointsPerOutput, loopRanges)) {
    if (dim == Epilogue::kWholeLoop) {
      offsets.push_back(range.offset);
      sizes.push_back(range.size);
      continue;
    }
    if (dim == Epilogue::kUnitLoop) {
      offsets.push_back(rewriter.getIndexAttr(0));
      sizes.push_back(rewriter.getIndexAttr(1));
      continue;
    }
    // K consecutive iterations per point of the output tile.
    offsets.push_back(affine::makeComposedFoldedAffineApply(
        rewriter, loc, value * points, {tileOffsets[dim]}));
    sizes.push_back(affine::makeComposedFoldedAffineApply(
        rewriter, loc, value * points, {tileSizes[dim]}));
  }
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(op.getOperation())
          .getTiledImplementation(rewriter, offsets, sizes);
  if (failed(tiled))
    return failure();
  rewriter.eraseOp(op);
  return cast<linalg::LinalgOp>(tiled->tiledOps.front());
}
