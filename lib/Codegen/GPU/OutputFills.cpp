//===- OutputFills.cpp - Fills that initialize the outputs of reductions --===//

#include "OutputFills.h"

#include "BufferRoots.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using retnet::accessesThroughViews;

linalg::FillOp retnet::initializingFill(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return nullptr;
  OpOperand *init = op.getDpsInitOperand(0);
  if (!op.getMatchingIndexingMap(init).isProjectedPermutation() ||
      llvm::is_contained(op.getDpsInputs(), init->get()))
    return nullptr;
  for (Operation *previous = op->getPrevNode(); previous;
       previous = previous->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(previous))
      return fill.hasPureBufferSemantics() &&
                     fill.getDpsInitOperand(0)->get() == init->get()
                 ? fill
                 : nullptr;
    if (!isMemoryEffectFree(previous))
      return nullptr;
  }
  return nullptr;
}

void retnet::sinkFillsToFirstAccess(Operation *root) {
  SmallVector<linalg::FillOp> fills;
  root->walk([&](linalg::FillOp fill) {
    if (fill.hasPureBufferSemantics())
      fills.push_back(fill);
  });
  for (linalg::FillOp fill : fills) {
    Value buffer = fill.getDpsInitOperand(0)->get();
    if (!buffer.getDefiningOp<memref::AllocOp>())
      continue;
    Block *block = fill->getBlock();
    Operation *first = nullptr;
    bool movable = true;
    for (Operation *access : accessesThroughViews(buffer)) {
      Operation *ancestor = block->findAncestorOpInBlock(*access);
      if (!ancestor) {
        movable = false;
        break;
      }
      if (ancestor == fill || ancestor->isBeforeInBlock(fill))
        continue;
      if (!first || ancestor->isBeforeInBlock(first))
        first = ancestor;
    }
    if (movable && first && !isa<memref::DeallocOp>(first))
      fill->moveBefore(first);
  }
}
