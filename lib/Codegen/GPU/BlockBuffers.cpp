//===- BlockBuffers.cpp - A block's own allocations as workgroup buffers --===//

#include "BlockBuffers.h"

#include "BlockLoops.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"

using namespace mlir;

/// Gives the views of `buffer` (and theirs) memory space `space`.
static void retypeViews(RewriterBase &rewriter, Value buffer, Attribute space) {
  for (Operation *user : buffer.getUsers()) {
    auto view = dyn_cast<ViewLikeOpInterface>(user);
    if (!view || view.getViewSource() != buffer || user->getNumResults() != 1)
      continue;
    Value result = user->getResult(0);
    auto type = dyn_cast<MemRefType>(result.getType());
    if (!type || type.getMemorySpace() == space)
      continue;
    rewriter.modifyOpInPlace(user, [&] {
      result.setType(MemRefType::Builder(type).setMemorySpace(space));
    });
    retypeViews(rewriter, result, space);
  }
}

int64_t retnet::staticBufferBytes(MemRefType type) {
  return type.getNumElements() *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

LogicalResult retnet::promoteBlockAllocations(RewriterBase &rewriter,
                                              Operation *root, Attribute space,
                                              int64_t maxBytes) {
  // In program order, so that errors and rewrites do not depend on
  // pointer values.
  llvm::MapVector<Operation *, SmallVector<memref::AllocOp>> byBlockLoop;
  root->walk([&](memref::AllocOp alloc) {
    Operation *loop = alloc->getParentOfType<scf::ForallOp>();
    if (isBlockForall(loop))
      byBlockLoop[loop].push_back(alloc);
  });
  for (auto &[loop, allocs] : byBlockLoop) {
    int64_t bytes = 0;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
        return alloc.emitOpError(
            "in a GPU block needs a static shape of numbers, to become a "
            "workgroup buffer");
      bytes += staticBufferBytes(type);
    }
    if (bytes > maxBytes)
      return loop->emitOpError()
             << "allocates " << bytes << " bytes per GPU block, more than the "
             << maxBytes << " bytes of workgroup memory that it may use";
    for (memref::AllocOp alloc : allocs) {
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.setInsertionPoint(alloc);
      auto alloca = memref::AllocaOp::create(
          rewriter, alloc.getLoc(),
          MemRefType::Builder(alloc.getType()).setMemorySpace(space),
          alloc.getAlignmentAttr());
      rewriter.replaceAllUsesWith(alloc.getResult(), alloca.getResult());
      rewriter.eraseOp(alloc);
      retypeViews(rewriter, alloca.getResult(), space);
    }
  }
  return success();
}
