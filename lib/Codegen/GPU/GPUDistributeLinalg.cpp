//===- GPUDistributeLinalg.cpp - Linalg ops over GPU blocks and threads ---===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockBuffers.h"
#include "BlockLoops.h"
#include "BufferRoots.h"
#include "LinalgDistributor.h"
#include "OutputFills.h"
#include "RowTiles.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUDISTRIBUTELINALG
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using retnet::initializingFill;
using retnet::insideBlocks;
using retnet::LinalgDistributor;

namespace {

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
    IRRewriter rewriter(&getContext());
    LinalgDistributor distributor(threads, splitReductionLength, tileSpace,
                                  tensorCores);
    if (failed(computeKernelInputs(rewriter, distributor, tileSpace)) ||
        failed(distributeInBlocks(rewriter, distributor, tileSpace)))
      return signalPassFailure();
    retnet::sinkFillsToFirstAccess(getOperation());
    // Products over many rows, versioned for row tiles, from the last one
    // up (as prologues are claimed below).
    SmallVector<linalg::LinalgOp> ops = undistributedOps();
    DenseSet<Operation *> versioned;
    int64_t rowTiled = 0;
    for (linalg::LinalgOp op : llvm::reverse(ops))
      if (distributor.versionForRows(rewriter, op, rowTileRows, versioned, ops))
        ++rowTiled;
    numRowTiled += rowTiled;
    if (rowTiled != 0)
      ops = undistributedOps();
    if (failed(distributeAll(rewriter, distributor, ops)))
      return signalPassFailure();
  }

private:
  /// The linalg ops on buffers that do not run in blocks yet.
  SmallVector<linalg::LinalgOp> undistributedOps() {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && !insideBlocks(op))
        ops.push_back(op);
    });
    return ops;
  }

  /// Computes the element-wise inputs of the block loops that load them
  /// with memref.load in their blocks, each block its own slice first.
  LogicalResult computeKernelInputs(RewriterBase &rewriter,
                                    const LinalgDistributor &distributor,
                                    Attribute tileSpace) {
    SmallVector<scf::ForallOp> kernels;
    getOperation()->walk([&](scf::ForallOp forall) {
      if (retnet::isBlockForall(forall) && !insideBlocks(forall))
        kernels.push_back(forall);
    });
    bool distributed = true;
    for (scf::ForallOp kernel : kernels)
      for (const retnet::KernelInput &input : retnet::findKernelInputs(kernel))
        if (succeeded(retnet::computeInKernel(
                rewriter, kernel, input, tileSpace, retnet::kPrologueBytes,
                [&](linalg::LinalgOp tile) {
                  if (failed(distributor.distributeInBlock(rewriter, tile)))
                    distributed = false;
                  return success();
                })))
          ++numKernelInputs;
    return success(distributed);
  }

  /// Distributes the linalg ops that block loops hold (those of the
  /// upstream-tiled retention ops) over their blocks' threads, their
  /// blocks' own buffers in `tileSpace`.
  LogicalResult distributeInBlocks(RewriterBase &rewriter,
                                   const LinalgDistributor &distributor,
                                   Attribute tileSpace) {
    if (failed(retnet::promoteBlockAllocations(
            rewriter, getOperation(), tileSpace, retnet::kBlockBufferBytes)))
      return failure();
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          retnet::isBlockForall(op->getParentOfType<scf::ForallOp>()))
        ops.push_back(op);
    });
    // From the last op up, so that a sum takes over the fill before it
    // (distributeInBlock) before that fill is distributed on its own.
    DenseSet<Operation *> takenOver;
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (takenOver.contains(op))
        continue;
      if (failed(distributor.distributeInBlock(rewriter, op, &takenOver)))
        return failure();
    }
    return success();
  }

  /// Distributes `ops`, each with the prologue, fill and epilogues that its
  /// blocks take over.
  LogicalResult distributeAll(RewriterBase &rewriter,
                              const LinalgDistributor &distributor,
                              ArrayRef<linalg::LinalgOp> ops) {
    // Prologues, claimed from the last consumer up: a product takes over
    // the norm before it before the norm's own ops are considered.
    DenseSet<Operation *> takenOver;
    DenseMap<Operation *, retnet::Prologue> prologueOf;
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (takenOver.contains(op) || op->hasAttr(retnet::kRowTilesMarker))
        continue;
      int64_t points = distributor.splitPoints(op);
      std::optional<retnet::Prologue> prologue = retnet::findPrologue(
          op, initializingFill(op), points ? points : threads);
      if (!prologue ||
          llvm::any_of(prologue->ops, [&](linalg::LinalgOp member) {
            return takenOver.contains(member) ||
                   !llvm::is_contained(ops, member);
          }))
        continue;
      for (linalg::LinalgOp member : prologue->ops)
        takenOver.insert(member);
      prologueOf[op] = std::move(*prologue);
    }
    // Fills that the reductions they initialize take over.
    DenseMap<Operation *, linalg::FillOp> initOf;
    for (linalg::LinalgOp op : ops) {
      linalg::FillOp fill = initializingFill(op);
      if (fill && !takenOver.contains(op) && !takenOver.contains(fill)) {
        initOf[op] = fill;
        takenOver.insert(fill);
      }
    }
    for (linalg::LinalgOp op : ops) {
      if (takenOver.contains(op))
        continue;
      auto prologue = prologueOf.find(op);
      ArrayRef<linalg::LinalgOp> prologueOps;
      if (prologue != prologueOf.end()) {
        prologueOps = prologue->second.ops;
        ++numPrologueOps;
      }
      // The ops after `op` that its blocks take over: its epilogues, in a
      // chain, while not already taken over.
      SmallVector<retnet::Epilogue> epilogues =
          LinalgDistributor::epilogueChain(op, prologueOps, takenOver, ops);
      for (const retnet::Epilogue &epilogue : epilogues)
        takenOver.insert(epilogue.op);
      if (failed(distributor.distribute(
              rewriter, op, initOf.lookup(op), epilogues,
              prologue == prologueOf.end() ? nullptr : &prologue->second)))
        return failure();
    }
    return success();
  }
};
} // namespace
