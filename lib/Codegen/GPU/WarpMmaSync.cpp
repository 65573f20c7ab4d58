//===- WarpMmaSync.cpp - Warp tiles of products to mma.sync ---------------===//

#include "retnet/Codegen/GPU/Passes.h"

#include "BlockLoops.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUWARPMMASYNC
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
/// The f32 bits below a tf32 mantissa (10 bits of the 23).
constexpr uint32_t kDroppedBits = 13;

/// `value` (a vector of f32) rounded to tf32: half of the dropped part
/// added, then the dropped bits cleared. Magnitudes round to nearest, ties
/// away from zero.
Value roundToTF32(OpBuilder &b, Location loc, Value value) {
  auto floatType = cast<VectorType>(value.getType());
  VectorType bitsType = floatType.clone(b.getI32Type());
  auto splat = [&](uint32_t bits) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(bitsType, b.getI32IntegerAttr(bits).getValue()));
  };
  Value bits = arith::BitcastOp::create(b, loc, bitsType, value);
  Value rounded =
      arith::AddIOp::create(b, loc, bits, splat(1u << (kDroppedBits - 1)));
  Value kept = arith::AndIOp::create(b, loc, rounded,
                                     splat(~((1u << kDroppedBits) - 1)));
  return arith::BitcastOp::create(b, loc, floatType, kept);
}

/// `value`'s tf32 high part and the tf32 rounding of what it leaves.
std::pair<Value, Value> splitTF32(OpBuilder &b, Location loc, Value value) {
  Value high = roundToTF32(b, loc, value);
  Value rest = arith::SubFOp::create(b, loc, value, high);
  return {high, roundToTF32(b, loc, rest)};
}

/// The tf32 high and low parts of fragments, each split once.
using FragmentSplits = DenseMap<Value, std::pair<Value, Value>>;

/// Rewrites `mma` (an f32 nvgpu.mma.sync that is not tf32 yet) into tf32
/// mma.sync: three on the operands' high and low parts (`splits`, right
/// after each fragment), or with `single`, one on the operands as they are.
void splitF32MmaSync(RewriterBase &rewriter, nvgpu::MmaSyncOp mma, bool single,
                     FragmentSplits &splits) {
  rewriter.setInsertionPoint(mma);
  Location loc = mma.getLoc();
  std::array<int64_t, 3> shape = mma.getMmaShapeAsArray();
  Value sum = mma.getMatrixC();
  if (single) {
    sum = nvgpu::MmaSyncOp::create(rewriter, loc, mma.getMatrixA(),
                                   mma.getMatrixB(), sum, shape,
                                   /*tf32Enabled=*/true);
  } else {
    auto split = [&](Value fragment) {
      auto [entry, fresh] = splits.try_emplace(fragment);
      if (fresh) {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointAfterValue(fragment);
        entry->second = splitTF32(rewriter, loc, fragment);
      }
      return entry->second;
    };
    auto [aHigh, aLow] = split(mma.getMatrixA());
    auto [bHigh, bLow] = split(mma.getMatrixB());
    for (auto [a, b] : {std::pair(aLow, bHigh), std::pair(aHigh, bLow),
                        std::pair(aHigh, bHigh)})
      sum = nvgpu::MmaSyncOp::create(rewriter, loc, a, b, sum, shape,
                                     /*tf32Enabled=*/true);
  }
  rewriter.replaceOp(mma, sum);
}

/// Copies the vector constants that `loop` uses from outside into it:
/// upstream's conversion follows every use of a value it converts, and a
/// constant shared with other loops would take them into its slice.
void sinkVectorConstants(RewriterBase &rewriter, scf::ForallOp loop) {
  DenseMap<Value, Value> copies;
  loop->walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      auto constant = operand.get().getDefiningOp<arith::ConstantOp>();
      if (!constant || !isa<VectorType>(constant.getType()) ||
          loop->isProperAncestor(constant))
        continue;
      Value &copy = copies[constant];
      if (!copy) {
        rewriter.setInsertionPointToStart(loop.getBody());
        copy = rewriter.clone(*constant)->getResult(0);
      }
      rewriter.modifyOpInPlace(op, [&] { operand.set(copy); });
    }
  });
}

struct WarpMmaSync : retnet::impl::RetNetGPUWarpMmaSyncBase<WarpMmaSync> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForallOp> warpLoops;
    getOperation()->walk([&](scf::ForallOp forall) {
      if (retnet::getForallMapping<gpu::GPUWarpMappingAttr>(forall))
        warpLoops.push_back(forall);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp loop : warpLoops) {
      RewritePatternSet patterns(&getContext());
      populatePrepareVectorToMMAPatterns(patterns, /*useNvGpu=*/true);
      if (failed(applyPatternsGreedily(loop, std::move(patterns))))
        return signalPassFailure();
      // After the greedy driver, which hoists constants out of the loop.
      sinkVectorConstants(rewriter, loop);
      // The conversion leaves the vector ops it replaced, dead, and the
      // loops' old accumulators: they go before any that is left is taken
      // for one it could not convert.
      RewritePatternSet cleanup(&getContext());
      scf::ForOp::getCanonicalizationPatterns(cleanup, &getContext());
      if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, loop)) ||
          failed(applyPatternsGreedily(loop, std::move(cleanup))))
        return signalPassFailure();
      WalkResult left = loop->walk([](vector::ContractionOp contract) {
        contract.emitOpError("of a warp tile could not become mma.sync");
        return WalkResult::interrupt();
      });
      if (left.wasInterrupted())
        return signalPassFailure();
      SmallVector<nvgpu::MmaSyncOp> products;
      loop->walk([&](nvgpu::MmaSyncOp mma) {
        auto isF32 = [](Value value) {
          return cast<VectorType>(value.getType()).getElementType().isF32();
        };
        if (!mma.getTf32Enabled() && isF32(mma.getMatrixA()) &&
            isF32(mma.getMatrixB()))
          products.push_back(mma);
      });
      FragmentSplits splits;
      for (nvgpu::MmaSyncOp mma : products)
        splitF32MmaSync(rewriter, mma, tf32, splits);
      if (!tf32)
        numSplit += products.size();
      ++numWarpLoops;
    }
  }
};
} // namespace
