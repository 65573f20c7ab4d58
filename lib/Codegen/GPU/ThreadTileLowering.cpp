//===- ThreadTileLowering.cpp - One thread's linalg tile as scalar loops --===//

#include "ThreadTileLowering.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace {
/// Emits the loops of one linalg op with its outputs carried in registers.
class RegisterLoopEmitter {
public:
  RegisterLoopEmitter(OpBuilder &b, linalg::LinalgOp op)
      : op(op), loc(op.getLoc()) {
    for (Range range : op.createLoopRanges(b, loc))
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
    for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      (iterator == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(dim);
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    ivs.assign(sizes.size(), zero);
  }

  void emit(OpBuilder &b) { emitParallel(b, 0); }

  /// Emits the whole tile as one register tile: its parallel dimensions
  /// have at most `bounds` iterations each (static), and every point's
  /// outputs (`initial`, if given, else loaded) ride through one nest of
  /// reduction loops, so that the inputs a point shares with others load
  /// once per reduction step.
  void emitTile(OpBuilder &b, ArrayRef<int64_t> bounds,
                std::optional<Value> initial) {
    // Per parallel dimension: each index, clamped into the tile (loads stay
    // in bounds on a partial tile) and whether it lies inside.
    SmallVector<SmallVector<Value>> clamped(sizes.size()), inside(sizes.size());
    Value nonEmpty;
    for (unsigned dim : parallelDims) {
      std::optional<int64_t> size = getConstantIntValue(sizes[dim]);
      Value last;
      if (!size) {
        Value positive = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sgt, sizes[dim], zero);
        nonEmpty = nonEmpty ? arith::AndIOp::create(b, loc, nonEmpty, positive)
                            : positive;
        last = arith::SubIOp::create(b, loc, sizes[dim], one);
      }
      for (int64_t index = 0; index < (size ? *size : bounds[dim]); ++index) {
        Value constant = arith::ConstantIndexOp::create(b, loc, index);
        clamped[dim].push_back(
            size ? constant : arith::MinSIOp::create(b, loc, constant, last));
        inside[dim].push_back(
            size ? Value()
                 : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                         constant, sizes[dim]));
      }
    }
    if (nonEmpty) {
      auto guard = scf::IfOp::create(b, loc, nonEmpty, /*withElse=*/false);
      b.setInsertionPointToStart(guard.thenBlock());
    }
    SmallVector<SmallVector<int64_t>> points = tilePoints(clamped);
    auto atPoint = [&](ArrayRef<int64_t> point) {
      for (auto [dim, index] : llvm::zip(parallelDims, point))
        ivs[dim] = clamped[dim][index];
    };
    SmallVector<Value> outputs;
    for (ArrayRef<int64_t> point : points) {
      atPoint(point);
      if (initial)
        outputs.append(op.getNumDpsInits(), *initial);
      else
        llvm::append_range(outputs, loadOutputs(b));
    }
    unsigned perPoint = op.getNumDpsInits();
    outputs =
        emitReduction(b, 0, outputs, [&](OpBuilder &inner, ValueRange current) {
          SmallVector<Value> next;
          for (auto [number, point] : llvm::enumerate(points)) {
            atPoint(point);
            llvm::append_range(
                next, computePoint(inner,
                                   current.slice(number * perPoint, perPoint)));
          }
          return next;
        });
    for (auto [number, point] : llvm::enumerate(points)) {
      atPoint(point);
      Value pointInside;
      for (auto [dim, index] : llvm::zip(parallelDims, point))
        if (Value in = inside[dim][index])
          pointInside =
              pointInside ? arith::AndIOp::create(b, loc, pointInside, in) : in;
      OpBuilder::InsertionGuard guard(b);
      if (pointInside) {
        auto store = scf::IfOp::create(b, loc, pointInside, /*withElse=*/false);
        b.setInsertionPointToStart(store.thenBlock());
      }
      storeOutputs(b, ValueRange(outputs).slice(number * perPoint, perPoint));
    }
  }

private:
  /// Loops over the parallel dimensions from `depth` on; at each point, the
  /// outputs through the reduction loops.
  void emitParallel(OpBuilder &b, unsigned depth) {
    if (depth == parallelDims.size()) {
      storeOutputs(b, emitReduction(b, 0, loadOutputs(b),
                                    [&](OpBuilder &inner, ValueRange current) {
                                      return computePoint(inner, current);
                                    }));
      return;
    }
    unsigned dim = parallelDims[depth];
    scf::ForOp::create(b, loc, zero, sizes[dim], one, ValueRange{},
                       [&](OpBuilder &inner, Location, Value iv, ValueRange) {
                         ivs[dim] = iv;
                         emitParallel(inner, depth + 1);
                         scf::YieldOp::create(inner, loc);
                       });
  }

  using StepFn =
      function_ref<SmallVector<Value>(OpBuilder &, ValueRange current)>;

  /// Loops over the reduction dimensions from `depth` on, carrying
  /// `current`, which `step` updates at each innermost iteration; returns
  /// the final values.
  SmallVector<Value> emitReduction(OpBuilder &b, unsigned depth,
                                   ValueRange current, StepFn step) {
    if (depth == reductionDims.size())
      return step(b, current);
    unsigned dim = reductionDims[depth];
    auto loop = scf::ForOp::create(
        b, loc, zero, sizes[dim], one, current,
        [&](OpBuilder &inner, Location, Value iv, ValueRange carried) {
          ivs[dim] = iv;
          scf::YieldOp::create(inner, loc,
                               emitReduction(inner, depth + 1, carried, step));
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The points of a tile with `indices[dim].size()` iterations along each
  /// parallel dimension (index numbers per parallel dimension, the last
  /// fastest).
  SmallVector<SmallVector<int64_t>>
  tilePoints(ArrayRef<SmallVector<Value>> indices) {
    SmallVector<SmallVector<int64_t>> points = {{}};
    for (unsigned dim : parallelDims) {
      SmallVector<SmallVector<int64_t>> longer;
      for (ArrayRef<int64_t> point : points)
        for (int64_t index = 0, e = indices[dim].size(); index < e; ++index) {
          longer.emplace_back(point);
          longer.back().push_back(index);
        }
      points = std::move(longer);
    }
    return points;
  }

  /// Indices of `operand` at the current loop indices.
  SmallVector<Value> indicesOf(OpBuilder &b, OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<OpFoldResult> dims(ivs.begin(), ivs.end());
    SmallVector<Value> indices;
    for (unsigned result = 0; result < map.getNumResults(); ++result)
      indices.push_back(
          affine::makeComposedAffineApply(b, loc, map.getSubMap({result}), dims)
              .getResult());
    return indices;
  }

  /// The outputs at the current point (a zero where the payload does not
  /// read them).
  SmallVector<Value> loadOutputs(OpBuilder &b) {
    SmallVector<Value> values;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      BlockArgument argument = op.getMatchingBlockArgument(&init);
      if (argument.use_empty())
        values.push_back(arith::ConstantOp::create(
            b, loc, b.getZeroAttr(argument.getType())));
      else
        values.push_back(
            memref::LoadOp::create(b, loc, init.get(), indicesOf(b, init)));
    }
    return values;
  }

  void storeOutputs(OpBuilder &b, ValueRange values) {
    for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), values))
      memref::StoreOp::create(b, loc, value, init.get(), indicesOf(b, init));
  }

  /// The payload at the current loop indices on output values `current`.
  SmallVector<Value> computePoint(OpBuilder &b, ValueRange current) {
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value value = input->get();
      if (isa<MemRefType>(value.getType()))
        value = memref::LoadOp::create(b, loc, value, indicesOf(b, *input));
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
      b.clone(payloadOp, mapping);
    }
    SmallVector<Value> results;
    for (Value yielded : payload->getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(yielded));
    return results;
  }

  linalg::LinalgOp op;
  Location loc;
  SmallVector<Value> sizes;
  SmallVector<unsigned> parallelDims, reductionDims;
  Value zero, one;
  SmallVector<Value> ivs;
};
} // namespace

void mlir::retnet::lowerToRegisterLoops(RewriterBase &rewriter,
                                        linalg::LinalgOp op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  RegisterLoopEmitter(rewriter, op).emit(rewriter);
  rewriter.eraseOp(op);
}

void mlir::retnet::lowerToRegisterTile(RewriterBase &rewriter,
                                       linalg::LinalgOp op,
                                       ArrayRef<int64_t> bounds,
                                       std::optional<Value> initial) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  RegisterLoopEmitter(rewriter, op).emitTile(rewriter, bounds, initial);
  rewriter.eraseOp(op);
}
