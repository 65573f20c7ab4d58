//===- ThreadTileLowering.h - One thread's linalg tile as scalar loops ----===//

#ifndef RETNET_CODEGEN_GPU_THREADTILELOWERING_H
#define RETNET_CODEGEN_GPU_THREADTILELOWERING_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Replaces `op` (on buffers; in practice the tile of one GPU thread) by
/// scf.for loops over its parallel dimensions in which each point loads its
/// outputs once, carries them in registers (iter_args) through scf.for
/// loops over the reduction dimensions, and stores them once.
///
/// Custom rather than convert-linalg-to-loops: that lowering loads and
/// stores the outputs at every reduction step, and on GPU buffers (kernel
/// arguments that may alias) LLVM cannot keep them in registers.
void lowerToRegisterLoops(RewriterBase &rewriter, linalg::LinalgOp op);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_THREADTILELOWERING_H
