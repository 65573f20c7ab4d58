//===- MergeIndependentKernels.cpp - Independent block loops as one -------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockLoops.h"
#include "BufferRoots.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUMERGEINDEPENDENTKERNELS
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using retnet::getForallMapping;
using retnet::mayAlias;
using retnet::rootBuffer;

namespace {
/// The roots of the buffers a block loop reads and writes (its own
/// workgroup buffers aside).
struct Accesses {
  llvm::SmallPtrSet<Value, 8> reads, writes;

  bool conflictsWith(const Accesses &other) const {
    auto overlap = [](const llvm::SmallPtrSetImpl<Value> &lhs,
                      const llvm::SmallPtrSetImpl<Value> &rhs) {
      return llvm::any_of(lhs, [&](Value a) {
        return llvm::any_of(rhs, [&](Value b) { return mayAlias(a, b); });
      });
    };
    return overlap(writes, other.reads) || overlap(writes, other.writes) ||
           overlap(other.writes, reads);
  }
};

/// A block loop that can merge with others: on buffers, outside other
/// loops, mapped to linear block dims, without workgroup buffers; and the
/// buffers it accesses, if all of its accesses are known.
std::optional<Accesses> mergeableLoop(Operation *op) {
  auto forall = dyn_cast<scf::ForallOp>(op);
  if (!forall || !forall.getOutputs().empty() ||
      forall->getParentOfType<scf::ForallOp>())
    return std::nullopt;
  std::optional<retnet::ForallMapping> mapping =
      getForallMapping<gpu::GPUBlockMappingAttr>(forall);
  if (!mapping || !mapping->linear)
    return std::nullopt;
  Accesses accesses;
  WalkResult walk = forall.getBody()->walk([&](Operation *nested) {
    if (isa<memref::AllocaOp>(nested))
      return WalkResult::interrupt();
    if (auto load = dyn_cast<memref::LoadOp>(nested)) {
      accesses.reads.insert(rootBuffer(load.getMemRef()));
      return WalkResult::advance();
    }
    if (auto store = dyn_cast<memref::StoreOp>(nested)) {
      accesses.writes.insert(rootBuffer(store.getMemRef()));
      return WalkResult::advance();
    }
    if (nested->getNumRegions() != 0 || isMemoryEffectFree(nested))
      return WalkResult::advance();
    // Anything else with memory effects: reads and writes all its buffers.
    bool hasBuffers = false;
    for (Value operand : nested->getOperands())
      if (isa<BaseMemRefType>(operand.getType())) {
        accesses.reads.insert(rootBuffer(operand));
        accesses.writes.insert(rootBuffer(operand));
        hasBuffers = true;
      }
    return hasBuffers ? WalkResult::advance() : WalkResult::interrupt();
  });
  if (walk.wasInterrupted())
    return std::nullopt;
  return accesses;
}

/// Replaces the block loops `loops` (in order, independent, with nothing
/// but `between` in between) by one over the sum of their blocks, which it
/// returns.
scf::ForallOp mergeLoops(RewriterBase &rewriter,
                         SmallVector<scf::ForallOp> loops,
                         ArrayRef<Operation *> between) {
  scf::ForallOp first = loops.front();
  for (Operation *op : between)
    rewriter.moveOpBefore(op, first);
  Location loc = first.getLoc();
  rewriter.setInsertionPoint(first);
  SmallVector<SmallVector<Value>> counts;
  SmallVector<Value> starts = {
      arith::ConstantIndexOp::create(rewriter, loc, 0)};
  for (scf::ForallOp loop : loops) {
    counts.push_back(retnet::tripCounts(rewriter, loc, loop));
    Value blocks = starts.back();
    Value product = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (Value count : counts.back())
      product = arith::MulIOp::create(rewriter, loc, product, count);
    starts.push_back(arith::AddIOp::create(rewriter, loc, blocks, product));
  }
  auto mapping = gpu::GPUBlockMappingAttr::get(rewriter.getContext(),
                                               gpu::MappingId::LinearDim0);
  auto merged = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{starts.back()}, ValueRange{},
      rewriter.getArrayAttr({mapping}));
  Value id = merged.getInductionVars().front();

  // Block `id` runs loop k for starts[k] <= id < starts[k + 1]: a chain of
  // conditions, the last loop in the innermost else.
  rewriter.setInsertionPoint(merged.getTerminator());
  for (auto [k, loop] : llvm::enumerate(loops)) {
    Block *target;
    if (k + 1 < loops.size()) {
      Value inLoop = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::ult, id, starts[k + 1]);
      auto branch = scf::IfOp::create(rewriter, loc, inLoop,
                                      /*withElseRegion=*/true);
      target = branch.thenBlock();
      rewriter.setInsertionPoint(target->getTerminator());
    } else {
      target = rewriter.getInsertionBlock();
    }
    Value local = arith::SubIOp::create(rewriter, loc, id, starts[k]);
    SmallVector<Value> indices = retnet::loopIndices(
        rewriter, loc, loop,
        retnet::blockIndices(rewriter, loc,
                             *getForallMapping<gpu::GPUBlockMappingAttr>(loop),
                             counts[k], {local}));
    Block *body = loop.getBody();
    rewriter.eraseOp(body->getTerminator());
    rewriter.inlineBlockBefore(body, rewriter.getInsertionBlock(),
                               rewriter.getInsertionPoint(), indices);
    if (k + 1 < loops.size()) {
      auto branch = cast<scf::IfOp>(target->getParentOp());
      rewriter.setInsertionPoint(branch.elseBlock()->getTerminator());
    }
    rewriter.eraseOp(loop);
  }
  return merged;
}

struct MergeIndependentKernels
    : retnet::impl::RetNetGPUMergeIndependentKernelsBase<
          MergeIndependentKernels> {
  void runOnOperation() override {
    // Blocks outside block loops (merging inlines the loops' own bodies).
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) {
      Operation *parent = block->getParentOp();
      if (!block->empty() && !isa<scf::ForallOp>(parent) &&
          !parent->getParentOfType<scf::ForallOp>())
        blocks.push_back(block);
    });
    IRRewriter rewriter(&getContext());
    for (Block *block : blocks) {
      for (Operation *op = &block->front(); op; op = op->getNextNode()) {
        std::optional<Accesses> first = mergeableLoop(op);
        if (!first)
          continue;
        SmallVector<scf::ForallOp> loops = {cast<scf::ForallOp>(op)};
        SmallVector<Accesses> accesses = {*first};
        SmallVector<Operation *> between, pending;
        for (Operation *next = op->getNextNode(); next;
             next = next->getNextNode()) {
          if (!next->hasTrait<OpTrait::IsTerminator>() &&
              retnet::isPureOrAllocation(next)) {
            pending.push_back(next);
            continue;
          }
          std::optional<Accesses> nextAccesses = mergeableLoop(next);
          if (!nextAccesses ||
              llvm::any_of(accesses, [&](const Accesses &earlier) {
                return earlier.conflictsWith(*nextAccesses);
              }))
            break;
          loops.push_back(cast<scf::ForallOp>(next));
          accesses.push_back(*nextAccesses);
          between.append(pending);
          pending.clear();
        }
        if (loops.size() < 2)
          continue;
        // Scanning goes on after the merged loop.
        op = mergeLoops(rewriter, loops, between);
        numMerged += loops.size() - 1;
      }
    }
  }
};
} // namespace
