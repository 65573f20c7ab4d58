//===- RetentionToGPU.cpp - convert-retention-to-gpu ----------------------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockFusion.h"
#include "BlockLoops.h"
#include "BlockProductRows.h"
#include "ForallTiling.h"

#include "Retention/Transforms/FormConversion.h"
#include "Retention/Transforms/TileAndDecompose.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_CONVERTRETENTIONTOGPU
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retention;

namespace {
/// The static workgroup memory of a block that CUDA grants without opting
/// in (48 KiB).
constexpr int64_t kWorkgroupBytes = 48 * 1024;

/// Bytes of a chunk's `[C, C]` scores and three `[C]` vectors of decay
/// factors in `computeType`: what a block of chunk_outputs keeps in
/// workgroup memory at the least.
int64_t chunkTileBytes(int64_t chunk, Type computeType) {
  // Chunks beyond 2^20 tokens are far beyond any workgroup memory; the
  // bound keeps the arithmetic from overflowing.
  if (chunk > (int64_t(1) << 20))
    return INT64_MAX;
  return (chunk * chunk + 3 * chunk) * computeType.getIntOrFloatBitWidth() / 8;
}

/// The chunk size for `requested`: itself if its tiles fit a block's
/// workgroup memory, else the largest power of two that does (the
/// chunkwise formula gives the same result for any chunk size, up to
/// rounding).
int64_t fittingChunkSize(int64_t requested, Type computeType) {
  int64_t chunkSize = requested;
  while (chunkSize > 1 &&
         chunkTileBytes(chunkSize, computeType) > kWorkgroupBytes)
    chunkSize = llvm::PowerOf2Ceil(chunkSize) / 2;
  return chunkSize;
}

/// The rows of a tile of a product in a block: those of chunk_outputs' row
/// tiles, two rows of 16-row warp tiles.
constexpr int64_t kProductRowTile = 32;

/// The most value columns of a block of the token-by-token kernel: a
/// warp's worth.
constexpr int64_t kTokenBlockColumns = 32;
/// The most workgroup memory for the state of a block whose op has no
/// initial state (its state starts at zero in a buffer of the block's own).
constexpr int64_t kScratchStateBytes = 16 * 1024;

/// The largest divisor of `size` that is at most `limit` (and 1 at least).
int64_t largestDivisor(int64_t size, int64_t limit) {
  int64_t divisor = std::max<int64_t>(std::min(size, limit), 1);
  while (size % divisor != 0)
    --divisor;
  return divisor;
}

/// The value columns of a block of the token-by-token kernel: the most, up
/// to kTokenBlockColumns, that divide the value width and whose scratch
/// state (if any) fits kScratchStateBytes.
int64_t tokenBlockColumns(RetentionOpInterface op) {
  int64_t limit = kTokenBlockColumns;
  if (!op.getInitialStateValue()) {
    int64_t columnBytes =
        op.getKeyDim() *
        getStateElementType(op.getElementType()).getIntOrFloatBitWidth() / 8;
    limit = std::min(limit, kScratchStateBytes / columnBytes);
  }
  return largestDivisor(op.getValueDim(), limit);
}

/// The mapping of a tile loop over (batch rows, heads, a third dimension)
/// to `#gpu.block` z, y and x.
SmallVector<Attribute> blocksZYX(MLIRContext *context) {
  return llvm::map_to_vector(
      ArrayRef<gpu::MappingId>{gpu::MappingId::DimZ, gpu::MappingId::DimY,
                               gpu::MappingId::DimX},
      [&](gpu::MappingId id) -> Attribute {
        return gpu::GPUBlockMappingAttr::get(context, id);
      });
}

/// Lowers a retention op of blocks of one token (the recurrent form) with
/// the upstream tiling that the CPU uses: one block per (batch row, head,
/// group of value columns), mapped to `#gpu.block` z, y and x, whose body is
/// the per-head decomposition (its tokens in order, each a state update and
/// the output's sum over the state's rows); retnet-gpu-distribute-linalg
/// then spreads each linalg op of a block over its threads.
struct TileTokenByToken
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (op.getBlockLength() != 1)
      return failure();
    retention::TileAndDecomposeOptions options;
    // The producers of q, k and v (per-head rotations) join each block
    // where its slices are static (a decoding step's single token), so that
    // their tiles fit the block's workgroup memory.
    options.fuseProducers = !op.getQueries().getType().isDynamicDim(2);
    options.valueTile = tokenBlockColumns(op);
    options.mapping = blocksZYX(rewriter.getContext());
    if (options.valueTile == op.getValueDim())
      options.mapping.erase(options.mapping.begin());
    return retention::tileAndDecompose(rewriter, op, options);
  }
};

/// Lowers chunk_scan with upstream tiling, as the recurrent form: one block
/// per (batch row, head, tile of state elements: up to 32 columns and as
/// many rows as the block's threads allow), mapped to linear `#gpu.block`
/// ids; in the block, each chunk's starting state goes out and the state
/// tile (the block's own workgroup buffer) is updated in place, one thread
/// per element.
struct TileChunkScan : public OpRewritePattern<ChunkScanOp> {
  TileChunkScan(MLIRContext *context, int64_t threads)
      : OpRewritePattern(context), threads(threads) {}

  LogicalResult matchAndRewrite(ChunkScanOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType deltas = op.getDeltas().getType();
    int64_t rows = deltas.getDimSize(3), columns = deltas.getDimSize(4);
    retention::TileAndDecomposeOptions options;
    options.stateColumnTile = largestDivisor(columns, kTokenBlockColumns);
    options.stateRowTile =
        largestDivisor(rows, threads / options.stateColumnTile);
    // A block id per tiled loop: batch, heads, and rows and columns where
    // they split.
    options.mapping = retnet::linearMapping(
        rewriter.getContext(),
        {1, 1, options.stateRowTile < rows, options.stateColumnTile < columns},
        /*blocks=*/true);
    return retention::tileAndDecompose(rewriter, op, options);
  }

  int64_t threads;
};

/// Lowers a chunk-parallel piece of the chunkwise form (`chunk_states` or
/// `chunk_outputs`) with upstream tiling: one block per (batch row, head,
/// chunk), mapped to `#gpu.block` z, y and x, whose body is the chunk's
/// decomposition: its contribution to the state, (K * zeta)^T V, or its
/// outputs from its starting state, as linalg.
template <typename PieceOp>
struct TileChunkPiece : public OpRewritePattern<PieceOp> {
  using OpRewritePattern<PieceOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(PieceOp op,
                                PatternRewriter &rewriter) const override {
    retention::TileAndDecomposeOptions options;
    options.mapping = blocksZYX(rewriter.getContext());
    return retention::tileAndDecompose(rewriter, op, options);
  }
};

/// Chunkwise ops whose block tiles need more workgroup memory than a block
/// has run with the largest chunk size that fits (the same result up to
/// rounding), then are split into their chunk-parallel pieces.
LogicalResult splitChunkwise(Operation *root) {
  IRRewriter rewriter(root->getContext());
  root->walk([&](ChunkwiseOp op) {
    Type computeType =
        getStateElementType(op.getQ().getType().getElementType());
    int64_t fitting = fittingChunkSize(op.getChunkSize(), computeType);
    if (fitting == static_cast<int64_t>(op.getChunkSize()))
      return;
    rewriter.setInsertionPoint(op);
    rewriter.replaceOp(
        op,
        ChunkwiseOp::create(rewriter, op.getLoc(), op, fitting)->getResults());
  });
  RewritePatternSet patterns(root->getContext());
  populateSplitChunkwisePatterns(patterns);
  walkAndApplyPatterns(root, std::move(patterns));
  // chunk_outputs given as such cannot change its chunk size (its starting
  // states are per chunk): its scores tile must fit as it is.
  WalkResult walk = root->walk([&](ChunkOutputsOp op) {
    Type computeType =
        getStateElementType(op.getQ().getType().getElementType());
    if (chunkTileBytes(op.getChunkSize(), computeType) <= kWorkgroupBytes)
      return WalkResult::advance();
    op.emitOpError() << "chunk_size " << op.getChunkSize()
                     << " needs more than the " << kWorkgroupBytes
                     << " bytes of workgroup memory of a block";
    return WalkResult::interrupt();
  });
  return failure(walk.wasInterrupted());
}
struct ConvertRetentionToGPUPass
    : public retnet::impl::ConvertRetentionToGPUBase<
          ConvertRetentionToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0 || threads > 1024 || parallelTile <= 0) {
      getOperation()->emitError(
          "convert-retention-to-gpu: threads must be in [1, 1024] and "
          "parallel-tile positive");
      return signalPassFailure();
    }
    // The parallel form's chunks in f64 (the widest compute type) must fit
    // a block's workgroup memory.
    if (chunkTileBytes(parallelTile, Float64Type::get(&getContext())) >
        kWorkgroupBytes) {
      getOperation()->emitError()
          << "convert-retention-to-gpu: parallel-tile "
          << static_cast<int64_t>(parallelTile) << " needs more than the "
          << kWorkgroupBytes
          << " bytes of workgroup memory of a block (at most 64)";
      return signalPassFailure();
    }
    // The parallel form runs as the chunkwise form's pieces, with chunks of
    // parallel-tile tokens: the same result up to rounding, with the
    // products below the diagonal's chunks summed once into chunk states
    // (O(T C) work instead of O(T^2)); blocks per chunk fill the GPU as the
    // parallel form's query tiles would.
    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](RetentionOpInterface op) {
      if (!op.getBlockLength())
        (void)rewriteToForm(rewriter, op, RetentionForm::Chunkwise,
                            parallelTile);
    });
    if (failed(splitChunkwise(getOperation())))
      return signalPassFailure();
    RewritePatternSet tilingPatterns(&getContext());
    tilingPatterns.add<TileTokenByToken>(&getContext());
    tilingPatterns.add<TileChunkScan>(&getContext(), threads);
    tilingPatterns
        .add<TileChunkPiece<ChunkStatesOp>, TileChunkPiece<ChunkOutputsOp>>(
            &getContext());
    walkAndApplyPatterns(getOperation(), std::move(tilingPatterns));
    retnet::tileBlockProductRows(rewriter, getOperation(), kProductRowTile);
    retnet::fuseInBlocks(rewriter, getOperation());
    WalkResult untiled = getOperation()->walk([](Operation *op) {
      if (!isa<RetentionOpInterface, ChunkScanOp, ChunkStatesOp,
               ChunkOutputsOp>(op))
        return WalkResult::advance();
      op->emitOpError("could not be tiled onto GPU blocks");
      return WalkResult::interrupt();
    });
    if (untiled.wasInterrupted())
      return signalPassFailure();
  }
};
} // namespace
