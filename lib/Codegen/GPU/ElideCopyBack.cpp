//===- ElideCopyBack.cpp - Update a state in place, not in a copy ---------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockLoops.h"
#include "BufferRoots.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUELIDECOPYBACK
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using retnet::isBlockForall;
using retnet::mayAlias;
using retnet::rootBuffer;

namespace {
/// Whether `op` or an op nested in it may touch the memory of `root`.
bool mayTouch(Operation *op, Value root) {
  if (isMemoryEffectFree(op))
    return false;
  WalkResult walk = op->walk([&](Operation *nested) {
    if (isa<CallOpInterface>(nested))
      return WalkResult::interrupt();
    for (Value operand : nested->getOperands()) {
      if (!isa<BaseMemRefType>(operand.getType()))
        continue;
      if (mayAlias(rootBuffer(operand), root))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}

/// The value that `index` is, or of which it selects a part of its own:
/// `v * W + x mod W` (arith.addi of arith.muli by a constant W and
/// arith.remui by the same W), whose values for different v differ.
Value selector(Value index) {
  auto add = index.getDefiningOp<arith::AddIOp>();
  if (!add)
    return index;
  for (auto [scaled, rest] : {std::pair(add.getLhs(), add.getRhs()),
                              std::pair(add.getRhs(), add.getLhs())}) {
    auto mul = scaled.getDefiningOp<arith::MulIOp>();
    auto rem = rest.getDefiningOp<arith::RemUIOp>();
    if (!mul || !rem)
      continue;
    std::optional<int64_t> width = getConstantIntValue(mul.getRhs());
    std::optional<int64_t> modulus = getConstantIntValue(rem.getRhs());
    if (width && modulus && *width > 0 && *width == *modulus)
      return mul.getLhs();
  }
  return index;
}

/// Whether `indices` select an element of the block of `forall` that no
/// other block selects: each block induction variable (of more than one
/// iteration) is one of them, or selects a part of one of its own
/// (selector).
bool ownedByBlock(ValueRange indices, scf::ForallOp forall) {
  for (auto [block, lower, upper, step] :
       llvm::zip(forall.getInductionVars(), forall.getMixedLowerBound(),
                 forall.getMixedUpperBound(), forall.getMixedStep())) {
    std::optional<int64_t> lowerValue = getConstantIntValue(lower),
                           upperValue = getConstantIntValue(upper),
                           stepValue = getConstantIntValue(step);
    bool single = lowerValue && upperValue && stepValue && *stepValue > 0 &&
                  *upperValue - *lowerValue <= *stepValue;
    Value iv = block;
    if (!single && llvm::none_of(indices, [&](Value index) {
          return selector(index) == iv;
        }))
      return false;
  }
  return true;
}

/// The copy of a whole buffer `source` into `target`, if `op` is one.
std::optional<std::pair<Value, Value>> wholeCopy(Operation *op) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return std::make_pair(copy.getSource(), copy.getTarget());
  auto copy = dyn_cast<linalg::CopyOp>(op);
  if (copy && copy.hasPureBufferSemantics())
    return std::make_pair(copy.getInputs()[0], copy.getOutputs()[0]);
  return std::nullopt;
}

/// The block forall in which `copy` (from `copyBuffer` into `state`) can be
/// undone as described in the pass, with the copies in that it reads from
/// `state` (stores into `copyBuffer`), or null.
scf::ForallOp findUpdate(Operation *copy, Value copyBuffer, Value state,
                         DominanceInfo &dominance,
                         SmallVectorImpl<memref::StoreOp> &copiesIn) {
  auto alloc = copyBuffer.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != copy->getBlock())
    return nullptr;
  scf::ForallOp update;
  for (Operation *user : copyBuffer.getUsers()) {
    if (user == copy || isa<memref::DeallocOp>(user))
      continue;
    Operation *ancestor = copy->getBlock()->findAncestorOpInBlock(*user);
    auto forall = dyn_cast_or_null<scf::ForallOp>(ancestor);
    if (!isBlockForall(forall) || (update && forall != update))
      return nullptr;
    update = forall;
  }
  if (!update || !update->isBeforeInBlock(copy) ||
      !dominance.properlyDominates(state, update))
    return nullptr;
  for (Operation *user : copyBuffer.getUsers()) {
    if (user == copy || isa<memref::DeallocOp>(user))
      continue;
    auto load = dyn_cast<memref::LoadOp>(user);
    auto store = dyn_cast<memref::StoreOp>(user);
    if (!(load && ownedByBlock(load.getIndices(), update)) &&
        !(store && store.getMemRef() == copyBuffer &&
          ownedByBlock(store.getIndices(), update)))
      return nullptr;
  }
  // Reads of the state: only copies in of the block's own slices.
  for (Operation *user : state.getUsers()) {
    if (!update->isProperAncestor(user))
      continue;
    auto load = dyn_cast<memref::LoadOp>(user);
    if (!load || !load->hasOneUse() || !ownedByBlock(load.getIndices(), update))
      return nullptr;
    auto store = dyn_cast<memref::StoreOp>(*load->getUsers().begin());
    if (!store || store.getMemRef() != copyBuffer ||
        store.getValueToStore() != load.getResult() ||
        store.getIndices() != load.getIndices())
      return nullptr;
    copiesIn.push_back(store);
  }
  // Nor does the forall touch the state's memory in any other way.
  Value stateRoot = rootBuffer(state);
  WalkResult walk = update.getBody()->walk([&](Operation *op) {
    auto load = dyn_cast<memref::LoadOp>(op);
    if (load && load.getMemRef() == state)
      return WalkResult::advance();
    auto store = dyn_cast<memref::StoreOp>(op);
    if (store && store.getMemRef() == copyBuffer)
      return WalkResult::advance();
    return op->getNumRegions() == 0 && mayTouch(op, stateRoot)
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return nullptr;
  // Nothing in between touches the state.
  for (Operation *op = update->getNextNode(); op != copy;
       op = op->getNextNode())
    if (mayTouch(op, stateRoot))
      return nullptr;
  return update;
}

struct ElideCopyBack : retnet::impl::RetNetGPUElideCopyBackBase<ElideCopyBack> {
  void runOnOperation() override {
    DominanceInfo dominance(getOperation());
    SmallVector<Operation *> copies;
    getOperation()->walk([&](Operation *op) {
      if (wholeCopy(op))
        copies.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *copy : copies) {
      auto [copyBuffer, state] = *wholeCopy(copy);
      SmallVector<memref::StoreOp> copiesIn;
      if (!findUpdate(copy, copyBuffer, state, dominance, copiesIn))
        continue;
      for (memref::StoreOp store : copiesIn) {
        Operation *load = store.getValueToStore().getDefiningOp();
        rewriter.eraseOp(store);
        rewriter.eraseOp(load);
      }
      rewriter.eraseOp(copy);
      for (Operation *user : llvm::make_early_inc_range(copyBuffer.getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.replaceAllUsesWith(copyBuffer, state);
      rewriter.eraseOp(copyBuffer.getDefiningOp());
      ++numElided;
    }
  }
};
} // namespace
