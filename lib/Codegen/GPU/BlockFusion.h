//===- BlockFusion.h - Element-wise producers fused in GPU blocks ---------===//

#ifndef RETNET_CODEGEN_GPU_BLOCKFUSION_H
#define RETNET_CODEGEN_GPU_BLOCKFUSION_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Shrinks what the tiled retention ops keep per GPU block (on tensors,
/// before bufferization), so that a block of a large head fits in its
/// workgroup memory:
///
/// - a transpose becomes a linalg.generic, so that its consumers read the
///   transposed operand through their indexing maps instead (after the
///   fusion below);
/// - a slice of an element-wise op's result is computed from slices of its
///   inputs instead (upstream tensor::replaceExtractSliceWithTiledProducer):
///   a row tile's scores mask is made for that tile only; a slice of the
///   whole result is the result itself (a decay vector in a loop of row
///   tiles is not made again per tile);
/// - an element-wise producer is fused into its consumer (upstream
///   linalg::fuseElementwiseOps) where that repeats no arithmetic but
///   loads and cheap per-element work: a producer that reads data and only
///   converts or copies it (an operand converted or transposed) into a sum,
///   and any producer
///   into an element-wise consumer that reads each of its elements once (a
///   mask into the scores it multiplies). A producer with several such
///   consumers is copied for each of them.
///
/// Producers whose payload reads their own outputs are never fused: a sum
/// with loops the producer does not have would read them back modified.
void fuseInBlocks(RewriterBase &rewriter, Operation *root);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_BLOCKFUSION_H
