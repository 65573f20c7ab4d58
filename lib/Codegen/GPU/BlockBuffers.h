//===- BlockBuffers.h - A block's own allocations as workgroup buffers ----===//

#ifndef RETNET_CODEGEN_GPU_BLOCKBUFFERS_H
#define RETNET_CODEGEN_GPU_BLOCKBUFFERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// The bytes of a buffer of static shape `type`.
int64_t staticBufferBytes(MemRefType type);

/// Replaces each `memref.alloc` that a block loop of `root` holds outside
/// its thread loops (a tile that upstream tiling fused into the block,
/// bufferized: one buffer per block) by a `memref.alloca` in memory space
/// `space` (workgroup memory; none when the kernels run as CPU loops), the
/// views of it retyped to that space, and erases its deallocations. Where
/// one block's allocations need more than `maxBytes`, the largest go to
/// global memory instead, each block its part of one scratch buffer. Fails,
/// with an error, on an allocation of dynamic shape without a constant
/// upper bound.
LogicalResult promoteBlockAllocations(RewriterBase &rewriter, Operation *root,
                                      Attribute space, int64_t maxBytes);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_BLOCKBUFFERS_H
