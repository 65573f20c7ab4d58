//===- PrefetchStreams.cpp - Prefetch the streams that loops read --------===//

#include "retnet/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETPREFETCHSTREAMS
#include "retnet/Codegen/CPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

static constexpr int64_t kCacheLineBytes = 64;
/// The most prefetches one read gets (a register tile's row of 16 lines).
static constexpr int64_t kMaxPrefetchesPerRead = 16;

/// Whether `loop` streams: it carries a vector (the reduction loop of a
/// register tile, its accumulators in registers) or is innermost (such as
/// the conversion of a thread block's narrow weights to f32).
static bool isStreamingLoop(scf::ForOp loop) {
  if (llvm::any_of(loop.getRegionIterArgs(),
                   [](Value arg) { return isa<VectorType>(arg.getType()); }))
    return true;
  return !loop.getBody()
              ->walk(
                  [](LoopLikeOpInterface) { return WalkResult::interrupt(); })
              .wasInterrupted();
}

/// Whether `memref` views a buffer that the function allocated (such as a
/// thread block's weights converted to f32): written just before, in cache.
static bool isAllocatedLocally(Value memref) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(memref)) {
      auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
      OpOperand *init = loop ? loop.getTiedLoopInit(arg) : nullptr;
      if (!init)
        return false;
      memref = init->get();
      continue;
    }
    Operation *def = memref.getDefiningOp();
    if (isa<memref::AllocOp, memref::AllocaOp>(def))
      return true;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return false;
    memref = view.getViewSource();
  }
}

/// The cache lines of a subview of static `shape` with `lineElements`
/// elements a line, as offsets from its first element, one per line of each
/// innermost row; empty if there are more than kMaxPrefetchesPerRead.
static SmallVector<SmallVector<int64_t>> cacheLines(ArrayRef<int64_t> shape,
                                                    int64_t lineElements) {
  SmallVector<SmallVector<int64_t>> result;
  SmallVector<int64_t> position(shape.size(), 0);
  while (position.front() < shape.front()) {
    if (static_cast<int64_t>(result.size()) == kMaxPrefetchesPerRead)
      return {};
    result.push_back(position);
    position.back() += lineElements;
    for (size_t d = shape.size() - 1; d > 0 && position[d] >= shape[d]; --d) {
      position[d] = 0;
      ++position[d - 1];
    }
  }
  return result;
}

namespace {
/// A read of the body of a streaming loop that walks through memory: a
/// `vector.transfer_read` of a unit-stride `memref.subview` whose offset in
/// dimension `dim` is the loop's induction variable, `lines` cache lines
/// long.
struct Stream {
  memref::SubViewOp view;
  int64_t dim;
  int64_t step;
  SmallVector<SmallVector<int64_t>> lines;

  static std::optional<Stream> match(vector::TransferReadOp read,
                                     scf::ForOp loop) {
    auto view = read.getBase().getDefiningOp<memref::SubViewOp>();
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (!view || !step || *step <= 0 || !view.hasUnitStride() ||
        isAllocatedLocally(view.getSource()) ||
        !view.getType().hasStaticShape() ||
        view.getType().getRank() != view.getSourceType().getRank())
      return std::nullopt;
    MemRefType source = view.getSourceType();
    int64_t elementBytes = source.getElementTypeBitWidth() / 8;
    if (elementBytes == 0 ||
        read.getVectorType().getNumElements() * elementBytes < kCacheLineBytes)
      return std::nullopt;
    auto [strides, offset] = source.getStridesAndOffset();
    if (strides.back() != 1)
      return std::nullopt;
    std::optional<int64_t> dim;
    for (auto [index, value] : llvm::enumerate(view.getMixedOffsets()))
      if (dyn_cast<Value>(value) == loop.getInductionVar())
        dim = index;
    if (!dim || ShapedType::isDynamic(strides[*dim]) || strides[*dim] <= 0)
      return std::nullopt;
    SmallVector<SmallVector<int64_t>> lines =
        cacheLines(view.getType().getShape(), kCacheLineBytes / elementBytes);
    if (lines.empty())
      return std::nullopt;
    return Stream{view, static_cast<int64_t>(*dim), *step, std::move(lines)};
  }
};
} // namespace

/// Prefetches the lines of `stream` that its loop reads `iterations` later,
/// before `read`.
static void prefetchAhead(OpBuilder &b, vector::TransferReadOp read,
                          Stream &stream, int64_t iterations) {
  Location loc = read.getLoc();
  b.setInsertionPoint(read);
  SmallVector<Value> first =
      getValueOrCreateConstantIndexOp(b, loc, stream.view.getMixedOffsets());
  auto add = [&](Value value, int64_t offset) -> Value {
    if (offset == 0)
      return value;
    return b.createOrFold<arith::AddIOp>(
        loc, value, arith::ConstantIndexOp::create(b, loc, offset));
  };
  first[stream.dim] = add(first[stream.dim], iterations * stream.step);
  // Each index once, however many lines share it.
  DenseMap<std::pair<size_t, int64_t>, Value> indexAt;
  for (ArrayRef<int64_t> line : stream.lines) {
    SmallVector<Value> indices;
    for (auto [dim, offset] : llvm::enumerate(line)) {
      Value &index = indexAt[{dim, offset}];
      if (!index)
        index = add(first[dim], offset);
      indices.push_back(index);
    }
    memref::PrefetchOp::create(b, loc, stream.view.getSource(), indices,
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
  }
}

namespace {
struct RetNetPrefetchStreamsPass
    : public retnet::impl::RetNetPrefetchStreamsBase<
          RetNetPrefetchStreamsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (distance < 0) {
      getOperation()->emitError()
          << "retnet-prefetch-streams: distance must be a number of bytes, "
             "or 0";
      return signalPassFailure();
    }
    if (distance == 0)
      return;
    OpBuilder b(&getContext());
    getOperation()->walk([&](scf::ForOp loop) {
      if (!isStreamingLoop(loop))
        return;
      SmallVector<std::pair<vector::TransferReadOp, Stream>> streams;
      int64_t linesPerIteration = 0;
      for (auto read : loop.getBody()->getOps<vector::TransferReadOp>()) {
        if (std::optional<Stream> stream = Stream::match(read, loop)) {
          linesPerIteration += stream->lines.size();
          streams.emplace_back(read, std::move(*stream));
        }
      }
      if (streams.empty())
        return;
      // The loop keeps `distance` bytes of its streams in flight.
      int64_t iterations =
          llvm::divideCeil(distance, linesPerIteration * kCacheLineBytes);
      for (auto &[read, stream] : streams)
        prefetchAhead(b, read, stream, iterations);
      numPrefetched += streams.size();
    });
  }
};
} // namespace
