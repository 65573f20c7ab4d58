//===- BlockProductRows.h - Products in GPU blocks tiled by rows ----------===//

#ifndef RETNET_CODEGEN_GPU_BLOCKPRODUCTROWS_H
#define RETNET_CODEGEN_GPU_BLOCKPRODUCTROWS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Tiles each matrix product in a GPU block (on tensors, before
/// fuseInBlocks) whose output has a static number of rows greater than
/// `rows`, a multiple of them, into an scf.for over row tiles of `rows`
/// (upstream tileConsumerAndFuseProducersUsingSCF), its element-wise producers
/// and the fill it starts from fused into each tile: a chunk's state (K *
/// zeta)^T V of dk rows becomes dk / rows products whose scaled keys are a
/// [C, rows] tile. A block's warps then hold a tile's output in their mma
/// accumulators (f32, static: retnet-gpu-distribute-linalg), with its
/// scaled operand made once per tile in workgroup memory, not once per
/// term of the sum.
void tileBlockProductRows(RewriterBase &rewriter, Operation *root,
                          int64_t rows);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_BLOCKPRODUCTROWS_H
