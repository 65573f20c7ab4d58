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

/// `buffer` (of `alloc`'s bounding shape, in memory space `space`) as the
/// buffer that replaces `alloc`: itself where `alloc`'s shape is static,
/// else its leading elements as a buffer of `alloc`'s (dynamic) shape and
/// identity layout.
static Value asAllocShape(RewriterBase &rewriter, memref::AllocOp alloc,
                          Value buffer, Attribute space) {
  MemRefType type = alloc.getType();
  if (type.hasStaticShape())
    return buffer;
  Location loc = alloc.getLoc();
  SmallVector<OpFoldResult> sizes = alloc.getMixedSizes();
  SmallVector<OpFoldResult> strides(sizes.size(), rewriter.getIndexAttr(1));
  AffineExpr lhs, rhs;
  bindSymbols(rewriter.getContext(), lhs, rhs);
  for (int64_t dim = static_cast<int64_t>(sizes.size()) - 2; dim >= 0; --dim)
    strides[dim] = affine::makeComposedFoldedAffineApply(
        rewriter, loc, lhs * rhs, {strides[dim + 1], sizes[dim + 1]});
  return memref::ReinterpretCastOp::create(
      rewriter, loc, MemRefType::Builder(type).setMemorySpace(space), buffer,
      rewriter.getIndexAttr(0), sizes, strides);
}

/// A workgroup buffer of `shape` in `space` for `alloc`, as asAllocShape.
static Value workgroupBufferFor(RewriterBase &rewriter, memref::AllocOp alloc,
                                ArrayRef<int64_t> shape, Attribute space) {
  auto alloca = memref::AllocaOp::create(
      rewriter, alloc.getLoc(),
      MemRefType::get(shape, alloc.getType().getElementType(),
                      MemRefLayoutAttrInterface(), space),
      alloc.getAlignmentAttr());
  return asAllocShape(rewriter, alloc, alloca, space);
}

/// A global buffer of `shape` for `alloc` in block loop `loop`, as
/// asAllocShape: this block's part of a scratch allocation made before the
/// loop, one part per block, and freed after it.
static Value globalBufferFor(RewriterBase &rewriter, memref::AllocOp alloc,
                             ArrayRef<int64_t> shape, scf::ForallOp loop) {
  Location loc = alloc.getLoc();
  auto boundedType = MemRefType::get(shape, alloc.getType().getElementType());
  int64_t partBytes = llvm::alignTo(retnet::staticBufferBytes(boundedType), 64);
  // The blocks, and this block's place among them, row-major.
  MLIRContext *context = rewriter.getContext();
  AffineExpr lower, upper, step;
  bindSymbols(context, lower, upper, step);
  rewriter.setInsertionPoint(loop);
  OpFoldResult blocks = rewriter.getIndexAttr(1);
  SmallVector<OpFoldResult> counts;
  for (auto [lb, ub, st] :
       llvm::zip(loop.getMixedLowerBound(), loop.getMixedUpperBound(),
                 loop.getMixedStep()))
    counts.push_back(affine::makeComposedFoldedAffineApply(
        rewriter, loc, (upper - lower).ceilDiv(step), {lb, ub, st}));
  AffineExpr lhs, rhs;
  bindSymbols(context, lhs, rhs);
  for (OpFoldResult count : counts)
    blocks = affine::makeComposedFoldedAffineApply(rewriter, loc, lhs * rhs,
                                                   {blocks, count});
  Value bytes = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      affine::makeComposedFoldedAffineApply(rewriter, loc, lhs * partBytes,
                                            {blocks}));
  auto scratch = memref::AllocOp::create(
      rewriter, loc,
      MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type()), bytes,
      rewriter.getI64IntegerAttr(64));
  rewriter.setInsertionPointAfter(loop);
  memref::DeallocOp::create(rewriter, loc, scratch);

  rewriter.setInsertionPoint(alloc);
  OpFoldResult block = rewriter.getIndexAttr(0);
  AffineExpr id, position;
  bindSymbols(context, position, lower, step, upper, id);
  for (auto [iv, lb, st, count] :
       llvm::zip(loop.getInductionVars(), loop.getMixedLowerBound(),
                 loop.getMixedStep(), counts))
    block = affine::makeComposedFoldedAffineApply(
        rewriter, loc, position * upper + (id - lower).floorDiv(step),
        {block, lb, st, count, iv});
  Value shift = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      affine::makeComposedFoldedAffineApply(rewriter, loc, lhs * partBytes,
                                            {block}));
  auto part = memref::ViewOp::create(rewriter, loc, boundedType, scratch, shift,
                                     ValueRange());
  return asAllocShape(rewriter, alloc, part, Attribute());
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
    int64_t total = 0;
    SmallVector<SmallVector<int64_t>> shapes;
    SmallVector<int64_t> bytes;
    for (memref::AllocOp alloc : allocs) {
      std::optional<SmallVector<int64_t>> shape = boundingShape(alloc);
      if (!shape || !alloc.getType().getElementType().isIntOrFloat())
        return alloc.emitOpError(
            "in a GPU block needs a shape of numbers with constant upper "
            "bounds, to become a workgroup buffer");
      shapes.push_back(*shape);
      bytes.push_back(staticBufferBytes(
          MemRefType::get(*shape, alloc.getType().getElementType())));
      total += bytes.back();
    }
    // The largest buffers go to global memory while the rest do not fit
    // (a chunk's output rows in f32 before their conversion, a large
    // chunk's scores in f64): slower, but every block size compiles. Ties
    // in program order.
    SmallVector<unsigned> bySize = llvm::to_vector(
        llvm::seq<unsigned>(0, static_cast<unsigned>(allocs.size())));
    llvm::sort(bySize, [&](unsigned a, unsigned b) {
      return std::make_pair(-bytes[a], a) < std::make_pair(-bytes[b], b);
    });
    llvm::SmallDenseSet<unsigned> global;
    for (unsigned i : bySize) {
      if (total <= maxBytes)
        break;
      global.insert(i);
      total -= bytes[i];
    }
    for (auto [i, alloc] : llvm::enumerate(allocs)) {
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.setInsertionPoint(alloc);
      Value buffer =
          global.contains(i)
              ? globalBufferFor(rewriter, alloc, shapes[i],
                                cast<scf::ForallOp>(loop))
              : workgroupBufferFor(rewriter, alloc, shapes[i], space);
      rewriter.replaceAllUsesWith(alloc.getResult(), buffer);
      rewriter.eraseOp(alloc);
      if (!global.contains(i))
        retypeViews(rewriter, buffer, space);
    }
  }
  return success();
}
