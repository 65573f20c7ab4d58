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

private:
  /// Loops over the parallel dimensions from `depth` on; at each point, the
  /// outputs through the reduction loops.
  void emitParallel(OpBuilder &b, unsigned depth) {
    if (depth == parallelDims.size()) {
      storeOutputs(b, emitReduction(b, 0, loadOutputs(b)));
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

  /// Loops over the reduction dimensions from `depth` on, carrying
  /// `current`; returns the final values.
  SmallVector<Value> emitReduction(OpBuilder &b, unsigned depth,
                                   ValueRange current) {
    if (depth == reductionDims.size())
      return computePoint(b, current);
    unsigned dim = reductionDims[depth];
    auto loop = scf::ForOp::create(
        b, loc, zero, sizes[dim], one, current,
        [&](OpBuilder &inner, Location, Value iv, ValueRange carried) {
          ivs[dim] = iv;
          scf::YieldOp::create(inner, loc,
                               emitReduction(inner, depth + 1, carried));
        });
    return SmallVector<Value>(loop.getResults());
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
