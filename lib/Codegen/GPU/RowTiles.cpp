//===- RowTiles.cpp - Matrix products over many rows in register tiles ----===//

#include "RowTiles.h"

#include "BufferRoots.h"
#include "LoopSplit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace {
/// Threads along a block's columns: half a warp, so that a warp's loads of
/// a row of the right-hand side cover 16 neighbouring register tiles.
constexpr int64_t kThreadColumns = 16;
/// Outputs along the rows of a thread's register tile.
constexpr int64_t kRowsPerThread = 4;
/// The shortest sum (reduction iterations) worth a register tile.
constexpr int64_t kShortestSum = 64;
/// Blocks that give each multiprocessor of a large GPU (132 on an H100 or
/// H200) one.
constexpr int64_t kRowTileBlocks = 132;
} // namespace

std::optional<retnet::RowTileShape> retnet::rowTileShape(linalg::LinalgOp op,
                                                         int64_t threads) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != 2 || op.getNumReductionLoops() == 0 ||
      threads % kThreadColumns != 0)
    return std::nullopt;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<unsigned> parallel;
  int64_t sumLength = 1;
  for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (iterator == utils::IteratorType::parallel)
      parallel.push_back(dim);
    else if (ShapedType::isDynamic(extents[dim]))
      return std::nullopt;
    else
      sumLength *= extents[dim];
  }
  if (sumLength < kShortestSum)
    return std::nullopt;
  RowTileShape shape;
  bool firstDynamic = ShapedType::isDynamic(extents[parallel[0]]);
  if (firstDynamic == ShapedType::isDynamic(extents[parallel[1]]))
    return std::nullopt;
  shape.rowLoop = parallel[firstDynamic ? 0 : 1];
  shape.columnLoop = parallel[firstDynamic ? 1 : 0];
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    bool rows = map.isFunctionOfDim(shape.rowLoop);
    bool columns = map.isFunctionOfDim(shape.columnLoop);
    // The rows and columns only as whole results (the other loops may be
    // combined: an int8 product's scales at [k floordiv group, n]).
    bool plain = llvm::all_of(map.getResults(), [&](AffineExpr result) {
      return isa<AffineDimExpr>(result) ||
             (!result.isFunctionOfDim(shape.rowLoop) &&
              !result.isFunctionOfDim(shape.columnLoop));
    });
    if (!plain || (op.isDpsInput(&operand)
                       ? rows && columns
                       : !rows || !columns || !map.isProjectedPermutation()))
      return std::nullopt;
  }
  shape.threadColumns = kThreadColumns;
  shape.threadRows = threads / kThreadColumns;
  shape.rowsPerThread = kRowsPerThread;
  shape.columnsPerThread = 0;
  for (int64_t columns : {8, 4}) {
    if (extents[shape.columnLoop] % (kThreadColumns * columns) == 0) {
      shape.columnsPerThread = columns;
      break;
    }
  }
  if (shape.columnsPerThread == 0)
    return std::nullopt;
  shape.vectorColumns =
      vectorWidth(op, shape.columnLoop, shape.columnsPerThread);
  return shape;
}

FailureOr<linalg::LinalgOp>
retnet::interleaveColumns(RewriterBase &rewriter, linalg::LinalgOp op,
                          const RowTileShape &shape) {
  FailureOr<linalg::LinalgOp> split = op;
  if (shape.vectorColumns > 1)
    split = splitLoop(rewriter, op, shape.columnLoop, shape.vectorColumns);
  if (failed(split))
    return failure();
  return splitLoop(rewriter, *split, shape.columnLoop, shape.threadColumns);
}

int64_t retnet::rowTileMinRows(linalg::LinalgOp op, const RowTileShape &shape,
                               int64_t minRows) {
  if (minRows > 0)
    return minRows;
  int64_t columnTiles =
      op.getStaticLoopRanges()[shape.columnLoop] / shape.blockColumns();
  return shape.blockRows() * llvm::divideCeil(kRowTileBlocks, columnTiles);
}

LogicalResult retnet::versionByRows(RewriterBase &rewriter,
                                    linalg::LinalgOp product, unsigned rowLoop,
                                    ArrayRef<linalg::LinalgOp> group,
                                    ArrayRef<Value> privateRoots,
                                    int64_t minRows) {
  Block *block = product->getBlock();
  DenseSet<Operation *> members;
  Operation *first = product, *last = product;
  for (linalg::LinalgOp op : group) {
    if (op->getBlock() != block)
      return failure();
    members.insert(op);
    if (op->isBeforeInBlock(first))
      first = op;
    if (last->isBeforeInBlock(op))
      last = op;
  }
  SmallVector<Operation *> between;
  for (Operation *op = first; op != last->getNextNode();
       op = op->getNextNode()) {
    if (members.contains(op))
      continue;
    if (isa<linalg::LinalgOp>(op) || op->getNumRegions() != 0 ||
        !isPureOrAllocation(op))
      return failure();
    between.push_back(op);
  }
  if (llvm::any_of(privateRoots, [](Value root) {
        return !root.getDefiningOp<memref::AllocOp>();
      }))
    return failure();
  SmallVector<Operation *> privateViews = viewsThroughViews(privateRoots);
  if (llvm::any_of(privateViews, [&](Operation *view) {
        return view->getBlock() == block && last->isBeforeInBlock(view);
      }))
    return failure();

  for (Operation *op : between)
    rewriter.moveOpBefore(op, first);
  // Now only the group's ops, in order.
  SmallVector<Operation *> range;
  for (Operation *op = first; op != last->getNextNode(); op = op->getNextNode())
    range.push_back(op);
  Location loc = product.getLoc();
  rewriter.setInsertionPoint(first);
  OpOperand *output = product.getDpsInitOperand(0);
  std::optional<unsigned> rowDim =
      product.getMatchingIndexingMap(output).getResultPosition(
          rewriter.getAffineDimExpr(rowLoop));
  Value rows = memref::DimOp::create(rewriter, loc, output->get(), *rowDim);
  Value many = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::sge, rows,
      arith::ConstantIndexOp::create(rewriter, loc, minRows));
  auto branch = scf::IfOp::create(rewriter, loc, many, /*withElse=*/true);

  // The copy: fresh private buffers (and their views), freed at its end.
  rewriter.setInsertionPoint(branch.thenBlock()->getTerminator());
  IRMapping mapping;
  SmallVector<Value> fresh;
  for (Value root : privateRoots) {
    Operation *copy = rewriter.clone(*root.getDefiningOp());
    mapping.map(root, copy->getResult(0));
    fresh.push_back(copy->getResult(0));
  }
  for (Operation *view : privateViews)
    rewriter.clone(*view, mapping);
  for (Operation *op : range) {
    Operation *copy = rewriter.clone(*op, mapping);
    if (op == product)
      copy->setAttr(kRowTilesMarker, rewriter.getUnitAttr());
  }
  for (Value buffer : fresh)
    memref::DeallocOp::create(rewriter, loc, buffer);

  // The group itself, where the rows are few.
  Operation *terminator = branch.elseBlock()->getTerminator();
  for (Operation *op : range)
    rewriter.moveOpBefore(op, terminator);
  return success();
}
