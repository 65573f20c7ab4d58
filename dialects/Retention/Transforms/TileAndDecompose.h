//===- TileAndDecompose.h - Retention ops to linalg on tiles ----*- C++ -*-===//

#ifndef RETENTION_TRANSFORMS_TILEANDDECOMPOSE_H
#define RETENTION_TRANSFORMS_TILEANDDECOMPOSE_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::retention {

/// How tileAndDecompose tiles.
struct TileAndDecomposeOptions {
  /// Value columns per tile of a retention op, where it divides its value
  /// width (0: all of them).
  int64_t valueTile = 0;
  /// State rows and columns per tile of a chunk_scan, where they divide
  /// its state's (0: all of them).
  int64_t stateRowTile = 0, stateColumnTile = 0;
  /// The mapping of the tile loop, one attribute per tiled dimension (for
  /// example `#gpu.block` ids); none when empty.
  SmallVector<Attribute> mapping;
  /// Whether the linalg producers of q, k and v that feed nothing else are
  /// fused into the tile loop.
  bool fuseProducers = true;
};

/// Lowers `op`, a retention op or a chunkwise piece, to linalg, tensor and
/// scf with upstream mechanisms: tile-and-fuse through its TilingInterface
/// (`scf::tileConsumerAndFuseProducersUsingSCF`) into an `scf.forall` of
/// tiles of one batch row and one head (and one chunk for the pieces over
/// chunks; `options.valueTile` value columns), the producers of q, k and v
/// that feed nothing else fused into the loop, the final state updated in
/// place where the initial state allows it; then each tile decomposed
/// through `linalg::AggregatedOpInterface` (the per-head maths of
/// dialects/Retention/IR/AggregatedOpInterfaceImpl.cpp). `op` is replaced.
LogicalResult tileAndDecompose(RewriterBase &rewriter, Operation *op,
                               const TileAndDecomposeOptions &options = {});

} // namespace mlir::retention

#endif // RETENTION_TRANSFORMS_TILEANDDECOMPOSE_H
