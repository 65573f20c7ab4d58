//===- WarpProducts.cpp - Block tiles of products as warp mma tiles -------===//

#include "WarpProducts.h"

#include "BlockLoops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using retnet::kMmaColumns;
using retnet::kMmaRows;
using retnet::kMmaSum;
using retnet::kWarpThreads;
using retnet::WarpTileShape;

namespace {
/// The most accumulators (of 4 registers per thread each) a warp carries.
constexpr int64_t kMostAccumulators = 16;

/// Whether `map` is exactly (dims...) -> (first, second).
bool isPair(AffineMap map, unsigned first, unsigned second) {
  return map.getNumResults() == 2 &&
         map.getResult(0) == getAffineDimExpr(first, map.getContext()) &&
         map.getResult(1) == getAffineDimExpr(second, map.getContext());
}

/// Whether the body of `op` is exactly out + in0 * in1 (either order of
/// each), nothing else applied to any of them.
bool isPlainMultiplyAdd(linalg::LinalgOp op) {
  Block &body = *op.getBlock();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto multiply = dyn_cast<arith::MulFOp>(&body.front());
  auto add = dyn_cast_or_null<arith::AddFOp>(body.front().getNextNode());
  if (!multiply || !add ||
      body.getTerminator()->getOperand(0) != add.getResult())
    return false;
  auto operandsAre = [](Operation *op, Value a, Value b) {
    Value first = op->getOperand(0), second = op->getOperand(1);
    return (first == a && second == b) || (first == b && second == a);
  };
  return operandsAre(multiply, body.getArgument(0), body.getArgument(1)) &&
         operandsAre(add, body.getArgument(2), multiply.getResult());
}

/// Whether `type` is a memref whose innermost stride is 1, as the
/// fragments' loads and stores need.
bool hasUnitInnerStride(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(memref.getStridesAndOffset(strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

/// The warps' split of a block's tile of blockRows x blockColumns: two rows
/// of warps where each warp still gets whole mma tiles, else one.
std::optional<WarpTileShape> splitBlock(int64_t warps, int64_t blockRows,
                                        int64_t blockColumns) {
  WarpTileShape shape;
  shape.warpRows = (warps % 2 == 0 && blockRows % (2 * kMmaRows) == 0) ? 2 : 1;
  shape.warpColumns = warps / shape.warpRows;
  if (blockRows % (shape.warpRows * kMmaRows) != 0 ||
      blockColumns % (shape.warpColumns * kMmaColumns) != 0)
    return std::nullopt;
  shape.tileRows = blockRows / shape.warpRows;
  shape.tileColumns = blockColumns / shape.warpColumns;
  if ((shape.tileRows / kMmaRows) * (shape.tileColumns / kMmaColumns) >
      kMostAccumulators)
    return std::nullopt;
  return shape;
}
} // namespace

std::optional<WarpTileShape>
retnet::warpTileShape(linalg::LinalgOp op, const BlockTile &block,
                      int64_t threads, std::optional<Value> initial) {
  if (op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      threads % kWarpThreads != 0)
    return std::nullopt;
  if (llvm::any_of(op->getOperandTypes(), [](Type type) {
        return !getElementTypeOrSelf(type).isF32();
      }))
    return std::nullopt;
  FloatAttr initialValue;
  if (initial && !matchPattern(*initial, m_Constant(&initialValue)))
    return std::nullopt;
  if (!isPlainMultiplyAdd(op) ||
      !llvm::all_of(op->getOperandTypes(), hasUnitInnerStride))
    return std::nullopt;
  unsigned sum = 3 - block.rowLoop - block.columnLoop;
  std::optional<WarpTileShape> shape =
      splitBlock(threads / kWarpThreads, block.rows, block.columns);
  if (!shape)
    return std::nullopt;
  shape->sumLength = op.getStaticLoopRanges()[sum];
  if (ShapedType::isDynamic(shape->sumLength) ||
      shape->sumLength % kMmaSum != 0 ||
      !isPair(op.getIndexingMapsArray()[2], block.rowLoop, block.columnLoop))
    return std::nullopt;
  // Which input indexes the rows (the left-hand side), and how each input
  // is indexed.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto isRowInput = [&](AffineMap map) {
    return isPair(map, block.rowLoop, sum) || isPair(map, sum, block.rowLoop);
  };
  shape->lhs = isRowInput(maps[0]) ? 0 : 1;
  shape->rhs = 1 - shape->lhs;
  AffineMap lhsMap = maps[shape->lhs], rhsMap = maps[shape->rhs];
  shape->lhsTransposed = isPair(lhsMap, sum, block.rowLoop);
  shape->rhsTransposed = isPair(rhsMap, block.columnLoop, sum);
  if (!isRowInput(lhsMap) ||
      !(shape->rhsTransposed || isPair(rhsMap, sum, block.columnLoop)))
    return std::nullopt;
  return shape;
}

void retnet::lowerToWarpProducts(RewriterBase &rewriter, linalg::LinalgOp tile,
                                 const WarpTileShape &shape,
                                 std::optional<Value> initial) {
  Location loc = tile.getLoc();
  MLIRContext *context = rewriter.getContext();
  Value lhs = tile.getDpsInputs()[shape.lhs];
  Value rhs = tile.getDpsInputs()[shape.rhs];
  Value output = tile.getDpsInits()[0];
  Type f32 = rewriter.getF32Type();
  auto accumulatorType = VectorType::get({kMmaRows, kMmaColumns}, f32);
  auto lhsType = VectorType::get({kMmaRows, kMmaSum}, f32);
  auto rhsType = VectorType::get({kMmaColumns, kMmaSum}, f32);
  int64_t tileRows = shape.tileRows / kMmaRows;
  int64_t tileColumns = shape.tileColumns / kMmaColumns;

  rewriter.setInsertionPoint(tile);
  auto warp = scf::ForallOp::create(
      rewriter, loc,
      ArrayRef<OpFoldResult>{
          rewriter.getIndexAttr(shape.warpRows * shape.warpColumns)},
      ValueRange(),
      rewriter.getArrayAttr(
          {gpu::GPUWarpMappingAttr::get(context, gpu::MappingId::LinearDim0)}));
  rewriter.setInsertionPoint(warp.getBody()->getTerminator());
  auto position = affine::AffineDelinearizeIndexOp::create(
      rewriter, loc, warp.getInductionVars()[0],
      ArrayRef<int64_t>{shape.warpRows, shape.warpColumns});
  auto offset = [&](Value base, int64_t scale, int64_t add) -> Value {
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    return affine::AffineApplyOp::create(rewriter, loc, d0 * scale + add,
                                         ValueRange{base});
  };
  SmallVector<Value> rowOffsets, columnOffsets;
  for (int64_t i = 0; i < tileRows; ++i)
    rowOffsets.push_back(
        offset(position.getResult(0), shape.tileRows, i * kMmaRows));
  for (int64_t j = 0; j < tileColumns; ++j)
    columnOffsets.push_back(
        offset(position.getResult(1), shape.tileColumns, j * kMmaColumns));

  Value zero =
      arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
  SmallVector<bool> inBounds(2, true);
  SmallVector<Value> accumulators;
  for (Value row : rowOffsets)
    for (Value column : columnOffsets) {
      FloatAttr value;
      if (initial && matchPattern(*initial, m_Constant(&value))) {
        accumulators.push_back(arith::ConstantOp::create(
            rewriter, loc, DenseElementsAttr::get(accumulatorType, value)));
        continue;
      }
      accumulators.push_back(vector::TransferReadOp::create(
          rewriter, loc, accumulatorType, output, ValueRange{row, column}, zero,
          inBounds));
    }

  AffineExpr m, n, k;
  bindDims(context, m, n, k);
  SmallVector<SmallVector<AffineExpr>> maps = {{m, k}, {n, k}, {m, n}};
  SmallVector<vector::IteratorType> iterators = {
      vector::IteratorType::parallel, vector::IteratorType::parallel,
      vector::IteratorType::reduction};
  AffineMap transposed =
      AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, context);
  auto sumLoop = scf::ForOp::create(
      rewriter, loc, arith::ConstantIndexOp::create(rewriter, loc, 0),
      arith::ConstantIndexOp::create(rewriter, loc, shape.sumLength),
      arith::ConstantIndexOp::create(rewriter, loc, kMmaSum), accumulators,
      [&](OpBuilder &b, Location loc, Value step, ValueRange carried) {
        SmallVector<Value> lhsSlices, rhsSlices, sums;
        // A slice at (outer, step) of an operand read as [outer, sum]:
        // through the transposing map where it is indexed [sum, outer].
        auto readSlice = [&](VectorType type, Value operand, Value outer,
                             bool asIndexed) -> Value {
          if (asIndexed)
            return vector::TransferReadOp::create(
                b, loc, type, operand, ValueRange{outer, step}, zero, inBounds);
          return vector::TransferReadOp::create(b, loc, type, operand,
                                                ValueRange{step, outer}, zero,
                                                transposed, inBounds);
        };
        for (Value row : rowOffsets)
          lhsSlices.push_back(
              readSlice(lhsType, lhs, row, !shape.lhsTransposed));
        for (Value column : columnOffsets)
          rhsSlices.push_back(
              readSlice(rhsType, rhs, column, shape.rhsTransposed));
        for (auto [i, lhsSlice] : llvm::enumerate(lhsSlices))
          for (auto [j, rhsSlice] : llvm::enumerate(rhsSlices))
            sums.push_back(vector::ContractionOp::create(
                b, loc, lhsSlice, rhsSlice, carried[i * tileColumns + j],
                SmallVector<ArrayRef<AffineExpr>>(maps.begin(), maps.end()),
                iterators));
        scf::YieldOp::create(b, loc, sums);
      });
  for (auto [i, row] : llvm::enumerate(rowOffsets))
    for (auto [j, column] : llvm::enumerate(columnOffsets))
      vector::TransferWriteOp::create(
          rewriter, loc, sumLoop.getResult(i * tileColumns + j), output,
          ValueRange{row, column}, inBounds);
  rewriter.eraseOp(tile);
}

FailureOr<linalg::LinalgOp> retnet::splitFullBlocks(
    RewriterBase &rewriter, linalg::LinalgOp block, const RowTileShape &shape,
    const WarpTileShape &warpShape, std::optional<Value> initial) {
  Location loc = block.getLoc();
  OpOperand *output = block.getDpsInitOperand(0);
  std::optional<unsigned> rowDim =
      block.getMatchingIndexingMap(output).getResultPosition(
          rewriter.getAffineDimExpr(shape.rowLoop));
  if (!rowDim)
    return failure();
  rewriter.setInsertionPoint(block);
  Value rows = memref::DimOp::create(rewriter, loc, output->get(), *rowDim);
  Value full = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::eq, rows,
      arith::ConstantIndexOp::create(rewriter, loc, shape.blockRows()));
  auto branch = scf::IfOp::create(rewriter, loc, full, /*withElse=*/true);
  rewriter.setInsertionPoint(branch.thenBlock()->getTerminator());
  auto tensorCoreTile = cast<linalg::LinalgOp>(rewriter.clone(*block));
  lowerToWarpProducts(rewriter, tensorCoreTile, warpShape, initial);
  rewriter.moveOpBefore(block, branch.elseBlock()->getTerminator());
  return block;
}
