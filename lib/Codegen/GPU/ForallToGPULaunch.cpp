//===- ForallToGPULaunch.cpp - Block/thread forall nests to gpu.launch ---===//

#include "retnet/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETFORALLTOGPULAUNCH
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
/// The most threads a CUDA block can have.
constexpr int64_t kMaxBlockThreads = 1024;

/// Mapping ids of a forall's dimensions: `x`, `y`, `z` (0-2, one GPU
/// dimension each) or linear (`linear_dim_N`, relative index N; all of them
/// one linearized GPU dimension, `linear_dim_0` varying fastest), if every
/// attribute of the mapping is of kind `Mapping` and of one of these two
/// sorts.
struct ForallMapping {
  SmallVector<int64_t> ids;
  bool linear = false;
};
template <typename Mapping>
std::optional<ForallMapping> getForallMapping(scf::ForallOp forall) {
  std::optional<ArrayAttr> attributes = forall.getMapping();
  if (!attributes || attributes->empty())
    return std::nullopt;
  ForallMapping mapping;
  mapping.linear = llvm::isa_and_nonnull<Mapping>((*attributes)[0]) &&
                   cast<Mapping>((*attributes)[0]).isLinearMapping();
  for (Attribute attribute : *attributes) {
    auto id = dyn_cast<Mapping>(attribute);
    if (!id || id.isLinearMapping() != mapping.linear ||
        (!mapping.linear && id.getMappingId() > 2))
      return std::nullopt;
    mapping.ids.push_back(id.getRelativeIndex());
  }
  return mapping;
}

bool isBlockForall(scf::ForallOp forall) {
  return getForallMapping<gpu::GPUBlockMappingAttr>(forall).has_value();
}

bool isNormalized(scf::ForallOp forall) {
  auto isConstant = [](OpFoldResult value, int64_t expected) {
    std::optional<int64_t> constant = getConstantIntValue(value);
    return constant && *constant == expected;
  };
  return llvm::all_of(forall.getMixedLowerBound(),
                      [&](OpFoldResult v) { return isConstant(v, 0); }) &&
         llvm::all_of(forall.getMixedStep(),
                      [&](OpFoldResult v) { return isConstant(v, 1); });
}

/// The trip counts of `forall`'s loops.
SmallVector<Value> tripCounts(OpBuilder &b, Location loc,
                              scf::ForallOp forall) {
  AffineExpr lower, upper, step;
  bindSymbols(b.getContext(), lower, upper, step);
  SmallVector<Value> counts;
  for (auto [lb, ub, st] :
       llvm::zip(forall.getMixedLowerBound(), forall.getMixedUpperBound(),
                 forall.getMixedStep()))
    counts.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(
            b, loc, (upper - lower).ceilDiv(step), {lb, ub, st})));
  return counts;
}

/// `forall`'s induction variables at iteration numbers `iterations`.
SmallVector<Value> loopIndices(OpBuilder &b, Location loc, scf::ForallOp forall,
                               ValueRange iterations) {
  AffineExpr lower, step, iteration;
  bindSymbols(b.getContext(), lower, step, iteration);
  SmallVector<Value> indices;
  for (auto [lb, st, it] : llvm::zip(forall.getMixedLowerBound(),
                                     forall.getMixedStep(), iterations))
    indices.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(b, loc, lower + iteration * step,
                                              {lb, st, it})));
  return indices;
}

/// The threads a `#gpu.thread` forall directly inside `blockLoop` uses: the
/// product of its static extents. None if it is not such a loop: normalized,
/// on buffers, mapped to `x` or to linear dims.
std::optional<int64_t> threadLoopExtent(scf::ForallOp loop,
                                        scf::ForallOp blockLoop) {
  std::optional<ForallMapping> mapping =
      getForallMapping<gpu::GPUThreadMappingAttr>(loop);
  if (!mapping || !isNormalized(loop) || !loop.getOutputs().empty() ||
      loop->getParentOfType<scf::ForallOp>() != blockLoop)
    return std::nullopt;
  if (!mapping->linear && (mapping->ids.size() != 1 || mapping->ids[0] != 0))
    return std::nullopt;
  int64_t extent = 1;
  for (int64_t bound : loop.getStaticUpperBound()) {
    if (ShapedType::isDynamic(bound))
      return std::nullopt;
    extent *= bound;
  }
  return extent;
}

/// The launch grid (x, y, z) of a block forall with upper bounds `bounds`:
/// one dimension per mapping id, or, for linear ids, their product in x.
SmallVector<Value> gridOf(OpBuilder &b, Location loc,
                          const ForallMapping &mapping, ValueRange bounds) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> grid(3, one);
  for (auto [id, bound] : llvm::zip(mapping.ids, bounds)) {
    if (!mapping.linear)
      grid[id] = bound;
    else
      grid[0] = grid[0] == one ? bound
                               : arith::MulIOp::create(b, loc, grid[0], bound);
  }
  return grid;
}

/// The forall's indices from the launch's block ids: the id of each mapped
/// dimension, or, for linear ids, block id x delinearized over the bounds
/// (`linear_dim_0` fastest).
SmallVector<Value> blockIndices(OpBuilder &b, Location loc,
                                const ForallMapping &mapping, ValueRange bounds,
                                ArrayRef<Value> blockIds) {
  SmallVector<Value> indices;
  if (!mapping.linear) {
    for (int64_t id : mapping.ids)
      indices.push_back(blockIds[id]);
    return indices;
  }
  // Forall dims from the slowest (highest linear id) to the fastest.
  SmallVector<unsigned> order = llvm::to_vector(
      llvm::seq<unsigned>(0, static_cast<unsigned>(mapping.ids.size())));
  llvm::sort(order, [&](unsigned lhs, unsigned rhs) {
    return mapping.ids[lhs] > mapping.ids[rhs];
  });
  SmallVector<Value> basis;
  for (unsigned dim : order)
    basis.push_back(bounds[dim]);
  auto delinearized = affine::AffineDelinearizeIndexOp::create(
      b, loc, blockIds[0], basis, /*hasOuterBound=*/true);
  indices.resize(mapping.ids.size());
  for (auto [position, dim] : llvm::enumerate(order))
    indices[dim] = delinearized.getResult(position);
  return indices;
}

/// Rewrites an `scf.forall` mapped to GPU blocks (outside any other forall
/// or launch) into a `gpu.launch`: its indices become block ids, the
/// one-dimensional `#gpu.thread<x>` foralls inside become code guarded by
/// `thread_id.x < extent` followed by `gpu.barrier`, and static workgroup
/// `memref.alloca`s become workgroup attributions of the launch.
struct ForallToLaunchPattern : public OpRewritePattern<scf::ForallOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ForallOp forall,
                                PatternRewriter &rewriter) const override {
    if (!isBlockForall(forall) || forall->getParentOfType<scf::ForallOp>() ||
        forall->getParentOfType<gpu::LaunchOp>())
      return failure();
    if (!forall.getOutputs().empty())
      return rewriter.notifyMatchFailure(forall,
                                         "expected a forall on buffers");

    // The block's threads: the most threads a thread loop inside uses.
    int64_t blockSize = 1;
    WalkResult walk = forall.getBody()->walk([&](scf::ForallOp inner) {
      std::optional<int64_t> extent = threadLoopExtent(inner, forall);
      if (!extent)
        return WalkResult::interrupt();
      blockSize = std::max(blockSize, *extent);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted() || blockSize > kMaxBlockThreads)
      return rewriter.notifyMatchFailure(
          forall, "a forall inside a block loop is not a static #gpu.thread "
                  "loop on buffers (x, or linear dims) of at most 1024 "
                  "threads");

    SmallVector<memref::AllocaOp> workgroupBuffers;
    forall.getBody()->walk([&](memref::AllocaOp alloca) {
      auto space = dyn_cast_if_present<gpu::AddressSpaceAttr>(
          alloca.getType().getMemorySpace());
      if (space && space.getValue() == gpu::AddressSpace::Workgroup)
        workgroupBuffers.push_back(alloca);
    });
    SmallVector<Type> workgroupTypes;
    for (memref::AllocaOp alloca : workgroupBuffers) {
      if (!alloca.getType().hasStaticShape())
        return rewriter.notifyMatchFailure(
            alloca, "workgroup buffers must have static shapes");
      workgroupTypes.push_back(alloca.getType());
    }

    Location loc = forall.getLoc();
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    ForallMapping mapping = *getForallMapping<gpu::GPUBlockMappingAttr>(forall);
    SmallVector<Value> bounds = tripCounts(rewriter, loc, forall);
    SmallVector<Value> grid = gridOf(rewriter, loc, mapping, bounds);
    Value threads = arith::ConstantIndexOp::create(rewriter, loc, blockSize);
    // An empty grid (a dynamic size of zero) is no launch at all: CUDA
    // rejects grids without blocks.
    Value blocks = one;
    for (Value size : grid)
      if (!getConstantIntValue(size))
        blocks = arith::MulIOp::create(rewriter, loc, blocks, size);
    if (blocks != one) {
      Value nonEmpty = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::ne, blocks,
          arith::ConstantIndexOp::create(rewriter, loc, 0));
      auto guard = scf::IfOp::create(rewriter, loc, nonEmpty,
                                     /*withElseRegion=*/false);
      rewriter.setInsertionPoint(guard.thenBlock()->getTerminator());
    }
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, grid[0], grid[1], grid[2], threads, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, workgroupTypes);
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToEnd(&body);
    auto terminator = gpu::TerminatorOp::create(rewriter, loc);

    rewriter.setInsertionPoint(terminator);
    gpu::KernelDim3 blockIds = launch.getBlockIds();
    SmallVector<Value> indices =
        loopIndices(rewriter, loc, forall,
                    blockIndices(rewriter, loc, mapping, bounds,
                                 {blockIds.x, blockIds.y, blockIds.z}));
    Block *forallBody = forall.getBody();
    rewriter.eraseOp(forallBody->getTerminator());
    rewriter.inlineBlockBefore(forallBody, terminator, indices);
    rewriter.eraseOp(forall);

    for (auto [alloca, attribution] :
         llvm::zip(workgroupBuffers, launch.getWorkgroupAttributions()))
      rewriter.replaceOp(alloca, attribution);

    // The thread loops: upstream's mapping to thread ids, each loop
    // predicated to its extent and followed by a barrier. Every thread must
    // reach the barriers: by this pass's contract (that of
    // convert-retention-to-gpu and retnet-gpu-distribute-linalg), thread
    // loops sit in code that is uniform across the block.
    rewriter.setInsertionPointToStart(&body);
    DiagnosedSilenceableFailure mapped =
        transform::gpu::mapNestedForallToThreadsImpl(
            rewriter, std::nullopt, launch, {blockSize, 1, 1},
            /*warpSize=*/32, /*syncAfterDistribute=*/true);
    if (!mapped.succeeded()) {
      (void)mapped.silence();
      return launch.emitOpError("could not map its thread loops to threads");
    }
    return success();
  }
};

struct RetNetForallToGPULaunchPass
    : public retnet::impl::RetNetForallToGPULaunchBase<
          RetNetForallToGPULaunchPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ForallToLaunchPattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    // Whatever is left mapped to blocks could not be converted.
    WalkResult result = getOperation()->walk([](scf::ForallOp forall) {
      if (!isBlockForall(forall))
        return WalkResult::advance();
      forall.emitError("cannot map this forall to a gpu.launch: expected a "
                       "forall on buffers, outside other "
                       "foralls, whose inner foralls are static "
                       "#gpu.thread loops (x, or linear dims) of at most "
                       "1024 threads and whose workgroup buffers have "
                       "static shapes");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
