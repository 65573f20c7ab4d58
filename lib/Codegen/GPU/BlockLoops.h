//===- BlockLoops.h - scf.forall loops mapped to GPU blocks ---------------===//

#ifndef RETNET_CODEGEN_GPU_BLOCKLOOPS_H
#define RETNET_CODEGEN_GPU_BLOCKLOOPS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::retnet {

/// The threads of a warp (`#gpu.warp` loops count this many per warp).
constexpr int64_t kWarpThreads = 32;

/// Mapping ids of a forall's dimensions: `x`, `y`, `z` (0-2, one GPU
/// dimension each) or linear (`linear_dim_N`, relative index N; all of them
/// one linearized GPU dimension, `linear_dim_0` varying fastest), if every
/// attribute of the mapping is of kind `Mapping` and of one of these two
/// sorts.
struct ForallMapping {
  SmallVector<int64_t> ids;
  bool linear = false;
};
template <typename Mapping>
std::optional<ForallMapping> getForallMapping(scf::ForallOp forall) {
  std::optional<ArrayAttr> attributes = forall.getMapping();
  if (!attributes || attributes->empty())
    return std::nullopt;
  ForallMapping mapping;
  mapping.linear = llvm::isa_and_nonnull<Mapping>((*attributes)[0]) &&
                   cast<Mapping>((*attributes)[0]).isLinearMapping();
  for (Attribute attribute : *attributes) {
    auto id = dyn_cast<Mapping>(attribute);
    if (!id || id.isLinearMapping() != mapping.linear ||
        (!mapping.linear && id.getMappingId() > 2))
      return std::nullopt;
    mapping.ids.push_back(id.getRelativeIndex());
  }
  return mapping;
}

/// Whether `op` is an `scf.forall` mapped to GPU blocks (getForallMapping).
bool isBlockForall(Operation *op);

/// Whether `op` already runs inside GPU blocks (a block-mapped forall or a
/// launch).
bool insideBlocks(Operation *op);

/// The trip counts of `forall`'s loops.
SmallVector<Value> tripCounts(OpBuilder &b, Location loc, scf::ForallOp forall);

/// `forall`'s induction variables at iteration numbers `iterations`.
SmallVector<Value> loopIndices(OpBuilder &b, Location loc, scf::ForallOp forall,
                               ValueRange iterations);

/// The forall's indices from the launch's block ids: the id of each mapped
/// dimension, or, for linear ids, block id x delinearized over the bounds
/// (`linear_dim_0` fastest).
SmallVector<Value> blockIndices(OpBuilder &b, Location loc,
                                const ForallMapping &mapping, ValueRange bounds,
                                ArrayRef<Value> blockIds);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_BLOCKLOOPS_H
