//===- Prologue.cpp - Small producers recomputed in a consumer's blocks ---===//

#include "Prologue.h"

#include "BlockBuffers.h"
#include "BufferRoots.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using retnet::accessesThroughViews;
using retnet::isAllocation;
using retnet::rootBuffer;
using retnet::staticBufferBytes;

namespace {
/// A slice of a buffer: offsets and sizes of each dimension.
struct Slice {
  SmallVector<OpFoldResult> offsets, sizes;

  bool operator==(const Slice &other) const {
    auto equal = [](ArrayRef<OpFoldResult> lhs, ArrayRef<OpFoldResult> rhs) {
      return lhs.size() == rhs.size() &&
             llvm::all_of(llvm::zip(lhs, rhs), [](auto pair) {
               return isEqualConstantIntOrValue(std::get<0>(pair),
                                                std::get<1>(pair));
             });
    };
    return equal(offsets, other.offsets) && equal(sizes, other.sizes);
  }
};

/// The slice of `buffer` that `value` is: `buffer` itself (of static shape)
/// or a subview of it with unit strides.
std::optional<Slice> sliceOf(Value value, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  MLIRContext *context = buffer.getContext();
  if (value == buffer) {
    if (!type.hasStaticShape())
      return std::nullopt;
    return Slice{
        SmallVector<OpFoldResult>(type.getRank(),
                                  IntegerAttr::get(IndexType::get(context), 0)),
        getAsIndexOpFoldResult(context, type.getShape())};
  }
  auto subview = value.getDefiningOp<memref::SubViewOp>();
  if (!subview || subview.getSource() != buffer ||
      !llvm::all_of(subview.getStaticStrides(),
                    [](int64_t stride) { return stride == 1; }))
    return std::nullopt;
  return Slice{subview.getMixedOffsets(), subview.getMixedSizes()};
}

/// For `view`, a collapse of `root` whose groups each have at most one
/// dimension that is not of static size 1: for each dimension of `root`,
/// the dimension of `view` that it is part of and whether it carries that
/// dimension's extent (the others are unit dimensions). None otherwise;
/// the identity for `root` itself.
std::optional<SmallVector<std::pair<int64_t, bool>>> unitCollapse(Value view,
                                                                  Value root) {
  auto type = cast<MemRefType>(root.getType());
  SmallVector<std::pair<int64_t, bool>> dims;
  if (view == root) {
    for (int64_t dim = 0; dim < type.getRank(); ++dim)
      dims.push_back({dim, true});
    return dims;
  }
  auto collapse = view.getDefiningOp<memref::CollapseShapeOp>();
  if (!collapse || collapse.getSrc() != root)
    return std::nullopt;
  for (auto [viewDim, group] :
       llvm::enumerate(collapse.getReassociationIndices())) {
    auto carrier = llvm::find_if(
        group, [&](int64_t dim) { return type.getDimSize(dim) != 1; });
    if (carrier != group.end() &&
        llvm::any_of(llvm::make_range(std::next(carrier), group.end()),
                     [&](int64_t dim) { return type.getDimSize(dim) != 1; }))
      return std::nullopt;
    int64_t carrying = carrier == group.end() ? group.back() : *carrier;
    for (int64_t dim : group)
      dims.push_back({static_cast<int64_t>(viewDim), dim == carrying});
  }
  return dims;
}

/// Whether `op` writes one buffer, an allocation itself, indexed by all its
/// parallel loops and no reduction loop through a projected permutation:
/// then a slice of that buffer is the output of a tile of its loops.
bool tileableByOutput(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return false;
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap map = op.getMatchingIndexingMap(init);
  if (!isAllocation(init->get()) || !map.isProjectedPermutation())
    return false;
  for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
    if (map.isFunctionOfDim(dim) != (iterator == utils::IteratorType::parallel))
      return false;
  return true;
}

/// The points of `op` per row of a dynamic batch: its static loop extents
/// multiplied, a dynamic one counted as 1.
int64_t rowWork(linalg::LinalgOp op) {
  int64_t work = 1;
  for (int64_t extent : op.getStaticLoopRanges())
    if (!ShapedType::isDynamic(extent))
      work *= extent;
  return work;
}

/// `reversed` (the candidate ops, last first) as the prologue of
/// `consumer`, if what they write is private to them and the consumer's
/// input.
std::optional<retnet::Prologue>
asPrologue(linalg::LinalgOp consumer, ArrayRef<linalg::LinalgOp> reversed) {
  llvm::SmallSetVector<Value, 8> written;
  llvm::SmallPtrSet<Operation *, 8> members;
  for (linalg::LinalgOp op : reversed) {
    written.insert(op.getDpsInitOperand(0)->get());
    members.insert(op);
  }
  std::optional<unsigned> inputNumber;
  Value inputRoot;
  for (OpOperand &operand : consumer->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    Value root = rootBuffer(operand.get());
    if (!written.contains(root))
      continue;
    if (inputNumber || consumer.isDpsInit(&operand) ||
        !unitCollapse(operand.get(), root))
      return std::nullopt;
    inputNumber = operand.getOperandNumber();
    inputRoot = root;
  }
  if (!inputNumber)
    return std::nullopt;
  for (Value root : written)
    for (Operation *access : accessesThroughViews(root))
      if (!isa<memref::DeallocOp>(access) && !members.contains(access) &&
          !(access == consumer && root == inputRoot))
        return std::nullopt;
  // The consumer's blocks recompute the ops after it has written: they must
  // not read what it writes.
  Value consumerOutput = rootBuffer(consumer.getDpsInitOperand(0)->get());
  for (linalg::LinalgOp op : reversed)
    for (Value operand : op->getOperands())
      if (isa<MemRefType>(operand.getType()) &&
          retnet::mayAlias(rootBuffer(operand), consumerOutput))
        return std::nullopt;
  retnet::Prologue prologue;
  prologue.ops.assign(reversed.rbegin(), reversed.rend());
  prologue.inputNumber = *inputNumber;
  prologue.input = consumer->getOperand(*inputNumber);
  prologue.privateRoots.assign(written.begin(), written.end());
  return prologue;
}

/// Records the ops that a rewriter creates in `block` (not those nested in
/// them).
struct CreatedOps : public RewriterBase::Listener {
  explicit CreatedOps(Block *block) : block(block) {}
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint previous) override {
    if (!previous.isSet() && op->getBlock() == block)
      ops.push_back(op);
  }
  Block *block;
  SmallVector<Operation *> ops;
};
} // namespace

std::optional<retnet::Prologue>
retnet::findPrologue(linalg::LinalgOp consumer, linalg::FillOp consumerInit,
                     int64_t pointsPerBlock) {
  if (!consumer.hasPureBufferSemantics() ||
      consumer.getNumReductionLoops() == 0 || consumer.getNumDpsInits() != 1)
    return std::nullopt;
  int64_t consumerWork = pointsPerBlock;
  for (auto [extent, iterator] : llvm::zip(consumer.getStaticLoopRanges(),
                                           consumer.getIteratorTypesArray()))
    if (iterator == utils::IteratorType::reduction) {
      if (ShapedType::isDynamic(extent))
        return std::nullopt;
      consumerWork *= extent;
    }

  // The longest run of ops before the consumer that write only allocations
  // that it or the ops after them read, while the work stays small.
  llvm::SmallPtrSet<Value, 8> candidates;
  for (OpOperand *input : consumer.getDpsInputOperands())
    if (Value root = rootBuffer(input->get()); isAllocation(root))
      candidates.insert(root);
  SmallVector<linalg::LinalgOp> reversed;
  int64_t work = 0;
  for (Operation *previous = consumer->getPrevNode(); previous;
       previous = previous->getPrevNode()) {
    if (previous == consumerInit.getOperation() ||
        retnet::isPureOrAllocation(previous))
      continue;
    auto op = dyn_cast<linalg::LinalgOp>(previous);
    if (!op || !tileableByOutput(op) ||
        !candidates.contains(op.getDpsInitOperand(0)->get()))
      break;
    work += rowWork(op);
    if (2 * work > consumerWork)
      break;
    reversed.push_back(op);
    for (Value operand : op->getOperands())
      if (isa<MemRefType>(operand.getType()))
        if (Value root = rootBuffer(operand); isAllocation(root))
          candidates.insert(root);
  }
  // Without its earliest ops while what they write is read elsewhere.
  for (; !reversed.empty(); reversed.pop_back())
    if (std::optional<Prologue> prologue = asPrologue(consumer, reversed))
      return prologue;
  return std::nullopt;
}

namespace {
/// Tiles of producers and the workgroup buffers of their slices.
struct TiledProducers {
  /// In program order.
  SmallVector<linalg::LinalgOp> tiles;
  DenseMap<Value, Value> buffers;
};

/// Tiles `ops` (linalg ops writing `privateRoots`) to the slices that
/// produce `outputSlice` of `outputRoot`, last first, before
/// `insertBefore`, with each private root replaced by a static buffer of
/// its slice in memory space `space` (at most `maxBytes` in all). Fails
/// with the IR unchanged where a slice is not static or too large, or two
/// ops access different slices of one root.
FailureOr<TiledProducers>
tileProducers(ArrayRef<linalg::LinalgOp> ops, ArrayRef<Value> privateRoots,
              Value outputRoot, const Slice &outputSlice,
              Operation *insertBefore, Attribute space, int64_t maxBytes) {
  CreatedOps created(insertBefore->getBlock());
  IRRewriter builder(insertBefore->getContext(), &created);
  auto undo = [&]() {
    for (Operation *op : llvm::reverse(created.ops))
      builder.eraseOp(op);
    return failure();
  };
  DenseMap<Value, Slice> slices = {{outputRoot, outputSlice}};
  SmallVector<std::pair<OpOperand *, Value>> privateAccesses;
  TiledProducers result;
  for (linalg::LinalgOp op : llvm::reverse(ops)) {
    Location loc = op.getLoc();
    OpOperand *init = op.getDpsInitOperand(0);
    auto output = slices.find(init->get());
    if (output == slices.end())
      return undo();
    size_t firstCreated = created.ops.size();
    builder.setInsertionPoint(insertBefore);
    SmallVector<OpFoldResult> offsets, sizes;
    for (Range range : op.createLoopRanges(builder, loc)) {
      offsets.push_back(range.offset);
      sizes.push_back(range.size);
    }
    for (auto [position, result] :
         llvm::enumerate(op.getMatchingIndexingMap(init).getResults())) {
      unsigned dim = cast<AffineDimExpr>(result).getPosition();
      offsets[dim] = output->second.offsets[position];
      sizes[dim] = output->second.sizes[position];
    }
    FailureOr<TilingResult> tiled =
        cast<TilingInterface>(op.getOperation())
            .getTiledImplementation(builder, offsets, sizes);
    if (failed(tiled) || created.ops.size() == firstCreated)
      return undo();
    insertBefore = created.ops[firstCreated];
    auto tile = cast<linalg::LinalgOp>(tiled->tiledOps.front());
    result.tiles.insert(result.tiles.begin(), tile);
    for (OpOperand &operand : tile->getOpOperands()) {
      Value value = operand.get();
      if (!isa<MemRefType>(value.getType()))
        continue;
      Value root = rootBuffer(value);
      if (!llvm::is_contained(privateRoots, root))
        continue;
      std::optional<Slice> slice = sliceOf(value, root);
      if (!slice)
        return undo();
      auto [known, inserted] = slices.try_emplace(root, *slice);
      if (!inserted && !(known->second == *slice))
        return undo();
      privateAccesses.push_back({&operand, root});
    }
  }

  // Static buffers of the slices, within the budget.
  int64_t bytes = 0;
  SmallVector<std::pair<Value, MemRefType>> bufferTypes;
  for (Value root : privateRoots) {
    auto slice = slices.find(root);
    if (slice == slices.end())
      return undo();
    std::optional<SmallVector<int64_t>> shape =
        getConstantIntValues(slice->second.sizes);
    auto type = cast<MemRefType>(root.getType());
    if (!shape || !type.getElementType().isIntOrFloat())
      return undo();
    auto bufferType = MemRefType::get(*shape, type.getElementType(),
                                      MemRefLayoutAttrInterface(), space);
    bytes += staticBufferBytes(bufferType);
    bufferTypes.push_back({root, bufferType});
  }
  if (bytes > maxBytes)
    return undo();
  builder.setInsertionPoint(insertBefore);
  for (auto [root, type] : bufferTypes)
    result.buffers[root] =
        memref::AllocaOp::create(builder, root.getLoc(), type);
  for (auto &[operand, root] : privateAccesses) {
    Value buffer = result.buffers[root];
    OpOperand *access = operand;
    builder.modifyOpInPlace(access->getOwner(), [&] { access->set(buffer); });
  }
  return result;
}
} // namespace

FailureOr<SmallVector<linalg::LinalgOp>>
retnet::tilePrologue(RewriterBase &rewriter, const Prologue &prologue,
                     linalg::LinalgOp consumerTile, Attribute space,
                     int64_t maxBytes) {
  Value inputRoot = rootBuffer(prologue.input);
  std::optional<SmallVector<std::pair<int64_t, bool>>> collapsed =
      unitCollapse(prologue.input, inputRoot);
  std::optional<Slice> viewSlice =
      sliceOf(consumerTile->getOperand(prologue.inputNumber), prologue.input);
  if (!collapsed || !viewSlice)
    return failure();
  // The slice of the input's allocation that the block reads.
  MLIRContext *context = rewriter.getContext();
  OpFoldResult zero = IntegerAttr::get(IndexType::get(context), 0);
  OpFoldResult one = IntegerAttr::get(IndexType::get(context), 1);
  Slice inputSlice;
  for (auto [viewDim, carries] : *collapsed) {
    inputSlice.offsets.push_back(carries ? viewSlice->offsets[viewDim] : zero);
    inputSlice.sizes.push_back(carries ? viewSlice->sizes[viewDim] : one);
  }
  FailureOr<TiledProducers> tiled =
      tileProducers(prologue.ops, prologue.privateRoots, inputRoot, inputSlice,
                    consumerTile, space, maxBytes);
  if (failed(tiled))
    return failure();
  rewriter.setInsertionPoint(consumerTile);
  Value input = tiled->buffers[inputRoot];
  if (auto collapse = prologue.input.getDefiningOp<memref::CollapseShapeOp>())
    input = memref::CollapseShapeOp::create(rewriter, collapse.getLoc(), input,
                                            collapse.getReassociationIndices());
  rewriter.modifyOpInPlace(consumerTile, [&] {
    consumerTile->setOperand(prologue.inputNumber, input);
  });
  return tiled->tiles;
}

/// Replaces `dim`, the size of a dimension of `root` (an allocation) or of
/// a unitCollapse view of it, by the size that the allocation was given.
static void replaceDimOfAllocation(RewriterBase &rewriter, memref::DimOp dim,
                                   Value root) {
  std::optional<int64_t> index = dim.getConstantIndex();
  std::optional<SmallVector<std::pair<int64_t, bool>>> collapsed =
      unitCollapse(dim.getSource(), root);
  if (!index || !collapsed)
    return;
  auto carrier = llvm::find_if(*collapsed, [&](auto dims) {
    return dims.first == *index && dims.second;
  });
  if (carrier == collapsed->end())
    return;
  int64_t rootDim = carrier - collapsed->begin();
  auto type = cast<MemRefType>(root.getType());
  rewriter.setInsertionPoint(dim);
  Value size = type.isDynamicDim(rootDim)
                   ? root.getDefiningOp<memref::AllocOp>()
                         .getDynamicSizes()[type.getDynamicDimIndex(rootDim)]
                   : Value(arith::ConstantIndexOp::create(
                         rewriter, dim.getLoc(), type.getDimSize(rootDim)));
  rewriter.replaceOp(dim, size);
}

void retnet::erasePrologue(RewriterBase &rewriter, const Prologue &prologue) {
  for (linalg::LinalgOp op : llvm::reverse(prologue.ops))
    rewriter.eraseOp(op);
  // Sizes read through the input's view (by the tiling of the consumer's
  // loops) come from the allocation's operands instead.
  Value inputRoot = rootBuffer(prologue.input);
  if (inputRoot.getDefiningOp<memref::AllocOp>())
    for (Operation *user : llvm::to_vector(prologue.input.getUsers()))
      if (auto dim = dyn_cast<memref::DimOp>(user))
        replaceDimOfAllocation(rewriter, dim, inputRoot);
  for (Value root : prologue.privateRoots) {
    if (!root.getDefiningOp<memref::AllocOp>())
      continue;
    for (Operation *user : llvm::to_vector(root.getUsers()))
      if (auto dim = dyn_cast<memref::DimOp>(user))
        replaceDimOfAllocation(rewriter, dim, root);
    // Views (each before its users) and deallocations.
    SmallVector<Operation *> unused;
    SmallVector<Value> worklist = {root};
    bool onlyViews = true;
    while (!worklist.empty() && onlyViews) {
      Value value = worklist.pop_back_val();
      for (Operation *user : value.getUsers()) {
        if (isa<memref::DeallocOp>(user)) {
          unused.push_back(user);
        } else if (isa<ViewLikeOpInterface>(user) &&
                   user->getNumResults() == 1) {
          unused.push_back(user);
          worklist.push_back(user->getResult(0));
        } else {
          onlyViews = false;
        }
      }
    }
    if (!onlyViews)
      continue;
    for (Operation *op : llvm::reverse(unused))
      rewriter.eraseOp(op);
    rewriter.eraseOp(root.getDefiningOp());
  }
}

/// For `buffer`, read by `kernel` only through `memref.load`s directly:
/// for each dimension, the block induction variable that every load uses as
/// its index there, or null for a static dimension read at any index.
static std::optional<SmallVector<Value>>
blockSlice(scf::ForallOp kernel, Value buffer, ArrayRef<Operation *> loads) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<Value> blocks = kernel.getInductionVars();
  std::optional<SmallVector<Value>> dims;
  for (Operation *op : loads) {
    auto load = cast<memref::LoadOp>(op);
    SmallVector<Value> loadDims;
    for (auto [dim, index] : llvm::enumerate(load.getIndices())) {
      bool block = llvm::is_contained(blocks, index);
      if (!block && type.isDynamicDim(dim))
        return std::nullopt;
      loadDims.push_back(block ? index : Value());
    }
    if (dims && *dims != loadDims)
      return std::nullopt;
    dims = std::move(loadDims);
  }
  return dims;
}

SmallVector<retnet::KernelInput>
retnet::findKernelInputs(scf::ForallOp kernel) {
  // The roots that the kernel writes.
  SmallVector<Value> written;
  kernel.getBody()->walk([&](Operation *op) {
    if (auto store = dyn_cast<memref::StoreOp>(op))
      written.push_back(rootBuffer(store.getMemRef()));
    else if (!isa<memref::LoadOp>(op) && !isMemoryEffectFree(op) &&
             op->getNumRegions() == 0)
      for (Value operand : op->getOperands())
        if (isa<MemRefType>(operand.getType()))
          written.push_back(rootBuffer(operand));
  });
  SmallVector<KernelInput> inputs;
  for (Operation *previous = kernel->getPrevNode(); previous;
       previous = previous->getPrevNode()) {
    if (retnet::isPureOrAllocation(previous))
      continue;
    auto op = dyn_cast<linalg::LinalgOp>(previous);
    if (!op || !tileableByOutput(op) || op.getNumReductionLoops() != 0)
      break;
    Value output = op.getDpsInitOperand(0)->get();
    SmallVector<Operation *> loads;
    bool onlyLoads = true;
    for (Operation *access : accessesThroughViews(output)) {
      if (access == op.getOperation() || isa<memref::DeallocOp>(access))
        continue;
      auto load = dyn_cast<memref::LoadOp>(access);
      if (!load || load.getMemRef() != output ||
          !kernel->isProperAncestor(load)) {
        onlyLoads = false;
        break;
      }
      loads.push_back(load);
    }
    std::optional<SmallVector<Value>> dims;
    if (onlyLoads && !loads.empty())
      dims = blockSlice(kernel, output, loads);
    bool readsWritten = llvm::any_of(op->getOperands(), [&](Value operand) {
      return isa<MemRefType>(operand.getType()) &&
             llvm::any_of(written, [&](Value root) {
               return retnet::mayAlias(rootBuffer(operand), root);
             });
    });
    if (!dims || readsWritten)
      break;
    inputs.insert(inputs.begin(), KernelInput{op, std::move(*dims)});
  }
  return inputs;
}

LogicalResult retnet::computeInKernel(
    RewriterBase &rewriter, scf::ForallOp kernel, const KernelInput &input,
    Attribute space, int64_t maxBytes,
    function_ref<LogicalResult(linalg::LinalgOp)> distribute) {
  linalg::LinalgOp op = input.op;
  Value output = op.getDpsInitOperand(0)->get();
  auto type = cast<MemRefType>(output.getType());
  Slice slice;
  for (auto [dim, block] : llvm::enumerate(input.blockIndices)) {
    slice.offsets.push_back(block ? OpFoldResult(block)
                                  : rewriter.getIndexAttr(0));
    slice.sizes.push_back(
        rewriter.getIndexAttr(block ? 1 : type.getDimSize(dim)));
  }
  FailureOr<TiledProducers> tiled =
      tileProducers({op}, {output}, output, slice, &kernel.getBody()->front(),
                    space, maxBytes);
  if (failed(tiled))
    return failure();
  if (failed(distribute(tiled->tiles.front())))
    return failure();
  // The kernel's loads, from the block's slice.
  Value buffer = tiled->buffers[output];
  for (Operation *user : llvm::to_vector(output.getUsers())) {
    auto load = dyn_cast<memref::LoadOp>(user);
    if (!load)
      continue;
    rewriter.setInsertionPoint(load);
    SmallVector<Value> indices;
    for (auto [index, block] : llvm::zip(load.getIndices(), input.blockIndices))
      indices.push_back(
          block ? arith::ConstantIndexOp::create(rewriter, load.getLoc(), 0)
                : index);
    rewriter.replaceOpWithNewOp<memref::LoadOp>(load, buffer, indices);
  }
  rewriter.eraseOp(op);
  for (Operation *user : llvm::to_vector(output.getUsers()))
    rewriter.eraseOp(user);
  rewriter.eraseOp(output.getDefiningOp());
  return success();
}
