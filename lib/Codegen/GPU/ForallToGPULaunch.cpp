//===- ForallToGPULaunch.cpp - Block/thread scf.forall nests to gpu.launch
//-===//

#include "retnet/Codegen/GPU/Passes.h"

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

/// The GPU dimension a forall mapping attribute names, if it is of kind
/// `Mapping` (block or thread) and x, y or z.
template <typename Mapping>
std::optional<unsigned> mappedDim(Attribute attribute) {
  auto mapping = dyn_cast<Mapping>(attribute);
  if (!mapping)
    return std::nullopt;
  unsigned dim = static_cast<unsigned>(mapping.getMappingId());
  if (dim > 2)
    return std::nullopt;
  return dim;
}

bool isBlockForall(scf::ForallOp forall) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() &&
         llvm::all_of(*mapping, [](Attribute attribute) {
           return mappedDim<gpu::GPUBlockMappingAttr>(attribute).has_value();
         });
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
    if (!forall.getOutputs().empty() || !isNormalized(forall))
      return rewriter.notifyMatchFailure(
          forall, "expected a normalized forall on buffers");

    // The block's threads: the widest thread loop inside.
    int64_t blockSize = 1;
    WalkResult walk = forall.getBody()->walk([&](scf::ForallOp inner) {
      std::optional<ArrayAttr> mapping = inner.getMapping();
      std::optional<int64_t> extent =
          inner.getStaticUpperBound().size() == 1
              ? std::optional<int64_t>(inner.getStaticUpperBound()[0])
              : std::nullopt;
      if (!mapping || mapping->size() != 1 ||
          mappedDim<gpu::GPUThreadMappingAttr>((*mapping)[0]) != 0u ||
          !extent || ShapedType::isDynamic(*extent) || !isNormalized(inner) ||
          !inner.getOutputs().empty() ||
          inner->getParentOfType<scf::ForallOp>() != forall)
        return WalkResult::interrupt();
      blockSize = std::max(blockSize, *extent);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted() || blockSize > kMaxBlockThreads)
      return rewriter.notifyMatchFailure(
          forall, "a forall inside a block loop is not a static, "
                  "one-dimensional #gpu.thread<x> loop on buffers of at "
                  "most 1024 threads");

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

    // Grid sizes from the forall's bounds, in mapping order.
    Location loc = forall.getLoc();
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> grid(3, one);
    SmallVector<unsigned> dims;
    for (auto [attribute, bound] :
         llvm::zip(*forall.getMapping(), forall.getMixedUpperBound())) {
      unsigned dim = *mappedDim<gpu::GPUBlockMappingAttr>(attribute);
      dims.push_back(dim);
      grid[dim] = getValueOrCreateConstantIndexOp(rewriter, loc, bound);
    }
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

    gpu::KernelDim3 blockIds = launch.getBlockIds();
    Value blockIdValues[3] = {blockIds.x, blockIds.y, blockIds.z};
    SmallVector<Value> indices;
    for (unsigned dim : dims)
      indices.push_back(blockIdValues[dim]);
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
    DiagnosedSilenceableFailure mapped =
        transform::gpu::mapNestedForallToThreadsImpl(
            rewriter, std::nullopt, launch, {blockSize, 1, 1},
            /*warpSize=*/32, /*syncAfterDistribute=*/true);
    if (!mapped.succeeded()) {
      (void)mapped.silence();
      return launch.emitOpError("could not map its thread loops to threads");
    }
    // The mapping may leave constants after the terminator; it ends the
    // body again.
    terminator->moveBefore(&body, body.end());
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
                       "normalized forall on buffers, outside other "
                       "foralls, whose inner foralls are static "
                       "one-dimensional #gpu.thread<x> loops of at most "
                       "1024 threads and whose workgroup buffers have "
                       "static shapes");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
