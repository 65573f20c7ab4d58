//===- OutputFills.h - Fills that initialize the outputs of reductions ----===//

#ifndef RETNET_CODEGEN_GPU_OUTPUTFILLS_H
#define RETNET_CODEGEN_GPU_OUTPUTFILLS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::retnet {

/// The fill that initializes `op`'s only output buffer, a reduction's, right
/// before it (nothing in between has memory effects), or null. `op`'s
/// blocks can fill their own output tiles instead, a kernel fewer.
linalg::FillOp initializingFill(linalg::LinalgOp op);

/// Moves each fill of a fresh allocation in `root` down to right before the
/// first op after it that accesses the allocation (through views), so that
/// the op that it initializes can take it over (initializingFill,
/// findPrologue).
void sinkFillsToFirstAccess(Operation *root);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_OUTPUTFILLS_H
