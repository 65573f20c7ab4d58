//===- BlockBuffers.cpp - A block's own allocations as workgroup buffers --===//

#include "BlockBuffers.h"

#include "BlockLoops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
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

/// The static shape of the workgroup buffer of `alloc`: its own, with each
/// dynamic size replaced by its constant upper bound (a tile of the last,
/// shorter chunk: at most a chunk); none where a size has no such bound.
static std::optional<SmallVector<int64_t>>
boundingShape(memref::AllocOp alloc) {
  SmallVector<int64_t> shape(alloc.getType().getShape());
  ValueRange dynamicSizes = alloc.getDynamicSizes();
  for (int64_t &size : shape) {
    if (!ShapedType::isDynamic(size))
      continue;
    FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
        presburger::BoundType::UB, dynamicSizes.front(),
        /*stopCondition=*/nullptr, /*closedUB=*/true);
    dynamicSizes = dynamicSizes.drop_front();
    if (failed(bound) || *bound < 0)
      return std::nullopt;
    size = std::max<int64_t>(*bound, 1);
  }
  return shape;
}

/// A workgroup buffer of `shape` in `space` for `alloc`, and the view of it
/// that replaces `alloc`: the buffer itself where `alloc`'s shape is
/// static, else its leading elements as a buffer of `alloc`'s (dynamic)
/// shape and identity layout.
static Value workgroupBufferFor(RewriterBase &rewriter, memref::AllocOp alloc,
                                ArrayRef<int64_t> shape, Attribute space) {
  Location loc = alloc.getLoc();
  MemRefType type = alloc.getType();
  auto alloca = memref::AllocaOp::create(
      rewriter, loc,
      MemRefType::get(shape, type.getElementType(), MemRefLayoutAttrInterface(),
                      space),
      alloc.getAlignmentAttr());
  if (type.hasStaticShape())
    return alloca;
  SmallVector<OpFoldResult> sizes = alloc.getMixedSizes();
  SmallVector<OpFoldResult> strides(sizes.size(), rewriter.getIndexAttr(1));
  AffineExpr lhs, rhs;
  bindSymbols(rewriter.getContext(), lhs, rhs);
  for (int64_t dim = static_cast<int64_t>(sizes.size()) - 2; dim >= 0; --dim)
    strides[dim] = affine::makeComposedFoldedAffineApply(
        rewriter, loc, lhs * rhs, {strides[dim + 1], sizes[dim + 1]});
  return memref::ReinterpretCastOp::create(
      rewriter, loc, MemRefType::Builder(type).setMemorySpace(space), alloca,
      rewriter.getIndexAttr(0), sizes, strides);
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
    SmallVector<SmallVector<int64_t>> shapes;
    for (memref::AllocOp alloc : allocs) {
      std::optional<SmallVector<int64_t>> shape = boundingShape(alloc);
      if (!shape || !alloc.getType().getElementType().isIntOrFloat())
        return alloc.emitOpError(
            "in a GPU block needs a shape of numbers with constant upper "
            "bounds, to become a workgroup buffer");
      shapes.push_back(*shape);
      bytes += staticBufferBytes(
          MemRefType::get(*shape, alloc.getType().getElementType()));
    }
    if (bytes > maxBytes)
      return loop->emitOpError()
             << "allocates " << bytes << " bytes per GPU block, more than the "
             << maxBytes << " bytes of workgroup memory that it may use";
    for (auto [alloc, shape] : llvm::zip(allocs, shapes)) {
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.setInsertionPoint(alloc);
      Value buffer = workgroupBufferFor(rewriter, alloc, shape, space);
      rewriter.replaceAllUsesWith(alloc.getResult(), buffer);
      rewriter.eraseOp(alloc);
      retypeViews(rewriter, buffer, space);
    }
  }
  return success();
}
