//===- ForallToGPULaunch.cpp - Block/thread forall nests to gpu.launch ---===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockLoops.h"

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
using retnet::blockIndices;
using retnet::ForallMapping;
using retnet::getForallMapping;
using retnet::isBlockForall;
using retnet::kWarpThreads;
using retnet::loopIndices;
using retnet::tripCounts;

namespace {
/// The most threads a CUDA block can have.
constexpr int64_t kMaxBlockThreads = 1024;

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

/// The threads a `#gpu.thread` forall, or a linear `#gpu.warp` forall,
/// directly inside `blockLoop` uses: the product of its static extents,
/// times the warp's threads for warps. None if it is not such a loop:
/// normalized, on buffers, threads mapped to `x` or to linear dims.
std::optional<int64_t> threadLoopExtent(scf::ForallOp loop,
                                        scf::ForallOp blockLoop) {
  std::optional<ForallMapping> mapping =
      getForallMapping<gpu::GPUThreadMappingAttr>(loop);
  int64_t extent = 1;
  if (!mapping) {
    mapping = getForallMapping<gpu::GPUWarpMappingAttr>(loop);
    if (!mapping || !mapping->linear)
      return std::nullopt;
    extent = kWarpThreads;
  }
  if (!isNormalized(loop) || !loop.getOutputs().empty() ||
      loop->getParentOfType<scf::ForallOp>() != blockLoop)
    return std::nullopt;
  if (!mapping->linear && (mapping->ids.size() != 1 || mapping->ids[0] != 0))
    return std::nullopt;
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
            rewriter, std::nullopt, launch, {blockSize, 1, 1}, kWarpThreads,
            /*syncAfterDistribute=*/true);
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
