//===- BlockFusion.cpp - Element-wise producers fused in GPU blocks -------===//

#include "BlockFusion.h"

#include "BlockLoops.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"

using namespace mlir;

namespace {
/// Whether `op` computes from data (an input indexed by all of its loops),
/// not from its indices alone as a decay vector does.
bool readsData(linalg::GenericOp op) {
  return llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *input) {
    AffineMap map = op.getMatchingIndexingMap(input);
    return map.isPermutation() && map.getNumDims() == op.getNumLoops();
  });
}

/// Whether the payload of `op` only converts or copies its inputs: fused
/// into a sum, it repeats loads and conversions, no arithmetic (a scaled
/// operand stays a tile of its own, which keeps the sum a plain product).
bool onlyConverts(linalg::GenericOp op) {
  return llvm::all_of(
      op.getBlock()->without_terminator(),
      [](Operation &inner) { return isa<CastOpInterface>(inner); });
}

/// Whether `op` is element-wise and its payload reads none of its outputs.
bool isElementwiseProducer(linalg::GenericOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() &&
         llvm::none_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
           return op.payloadUsesValueFromOperand(&init);
         });
}

/// The element-wise producer of `input` (a generic consumer's input) that
/// fuseInBlocks fuses into it, or null.
linalg::GenericOp fusableProducer(OpOperand *input) {
  auto consumer = cast<linalg::GenericOp>(input->getOwner());
  auto producer = input->get().getDefiningOp<linalg::GenericOp>();
  if (!producer || !isElementwiseProducer(producer) ||
      !linalg::areElementwiseOpsFusable(input))
    return nullptr;
  if (consumer.getNumReductionLoops() > 0)
    return readsData(producer) && onlyConverts(producer) ? producer : nullptr;
  AffineMap map = consumer.getMatchingIndexingMap(input);
  return map.isPermutation() && map.getNumDims() == consumer.getNumLoops()
             ? producer
             : nullptr;
}

/// Fuses one fusable producer into one consumer in `block`; returns
/// whether it did.
bool fuseOneProducer(RewriterBase &rewriter, scf::ForallOp block) {
  bool fused = false;
  block.walk([&](linalg::GenericOp consumer) {
    for (OpOperand *input : consumer.getDpsInputOperands()) {
      linalg::GenericOp producer = fusableProducer(input);
      if (!producer)
        continue;
      rewriter.setInsertionPoint(consumer);
      if (!producer->hasOneUse()) {
        // A copy of its own for this consumer.
        unsigned resultNumber = cast<OpResult>(input->get()).getResultNumber();
        auto copy = cast<linalg::GenericOp>(rewriter.clone(*producer));
        rewriter.modifyOpInPlace(
            consumer, [&] { input->set(copy->getResult(resultNumber)); });
        producer = copy;
      }
      FailureOr<linalg::ElementwiseOpFusionResult> result =
          linalg::fuseElementwiseOps(rewriter, input);
      if (failed(result))
        continue;
      for (auto [original, replacement] : result->replacements)
        rewriter.replaceAllUsesWith(original, replacement);
      rewriter.eraseOp(consumer);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
      fused = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return fused;
}

/// Whether `slice` takes all of its static source, unchanged.
bool isWholeSlice(tensor::ExtractSliceOp slice) {
  RankedTensorType source = slice.getSourceType();
  return source.hasStaticShape() && source == slice.getType() &&
         llvm::all_of(slice.getStaticOffsets(),
                      [](int64_t offset) { return offset == 0; });
}

/// Replaces one slice of an element-wise generic's result in `block` by
/// that generic on slices of its inputs; returns whether it did.
bool tileOneSlicedProducer(RewriterBase &rewriter, scf::ForallOp block) {
  bool tiled = false;
  block.walk([&](tensor::ExtractSliceOp slice) {
    auto producer = slice.getSource().getDefiningOp<linalg::GenericOp>();
    if (!producer || !isElementwiseProducer(producer) ||
        !block->isProperAncestor(producer) ||
        slice.getSourceType().getRank() != slice.getType().getRank() ||
        !slice.hasUnitStride())
      return WalkResult::advance();
    // A slice of the whole result (left by tiling on a loop that the
    // producer does not have) is the result itself: not made again.
    if (isWholeSlice(slice)) {
      rewriter.replaceOp(slice, slice.getSource());
      tiled = true;
      return WalkResult::interrupt();
    }
    rewriter.setInsertionPoint(slice);
    FailureOr<TilingResult> result =
        tensor::replaceExtractSliceWithTiledProducer(
            rewriter, slice, cast<OpResult>(slice.getSource()));
    if (failed(result))
      return WalkResult::advance();
    rewriter.replaceOp(slice, result->tiledValues[0]);
    if (producer->use_empty())
      rewriter.eraseOp(producer);
    tiled = true;
    return WalkResult::interrupt();
  });
  return tiled;
}
} // namespace

void retnet::fuseInBlocks(RewriterBase &rewriter, Operation *root) {
  SmallVector<scf::ForallOp> blocks;
  root->walk([&](scf::ForallOp forall) {
    if (isBlockForall(forall))
      blocks.push_back(forall);
  });
  for (scf::ForallOp block : blocks) {
    SmallVector<linalg::TransposeOp> transposes;
    block.walk([&](linalg::TransposeOp op) { transposes.push_back(op); });
    for (linalg::TransposeOp transpose : transposes) {
      rewriter.setInsertionPoint(transpose);
      (void)linalg::generalizeNamedOp(rewriter, transpose);
    }
    while (tileOneSlicedProducer(rewriter, block) ||
           fuseOneProducer(rewriter, block)) {
    }
  }
}
