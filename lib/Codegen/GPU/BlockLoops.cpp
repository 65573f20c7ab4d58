//===- BlockLoops.cpp - scf.forall loops mapped to GPU blocks -------------===//

#include "BlockLoops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"

using namespace mlir;

bool retnet::isBlockForall(Operation *op) {
  auto forall = dyn_cast_or_null<scf::ForallOp>(op);
  return forall &&
         getForallMapping<gpu::GPUBlockMappingAttr>(forall).has_value();
}

bool retnet::insideBlocks(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    if (isa<gpu::LaunchOp, gpu::GPUFuncOp>(parent))
      return true;
    auto forall = dyn_cast<scf::ForallOp>(parent);
    if (forall && forall.getMapping() &&
        llvm::any_of(*forall.getMapping(),
                     llvm::IsaPred<gpu::GPUBlockMappingAttr>))
      return true;
  }
  return false;
}

SmallVector<Value> retnet::tripCounts(OpBuilder &b, Location loc,
                                      scf::ForallOp forall) {
  AffineExpr lower, upper, step;
  bindSymbols(b.getContext(), lower, upper, step);
  SmallVector<Value> counts;
  for (auto [lb, ub, st] :
       llvm::zip(forall.getMixedLowerBound(), forall.getMixedUpperBound(),
                 forall.getMixedStep()))
    counts.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(
            b, loc, (upper - lower).ceilDiv(step), {lb, ub, st})));
  return counts;
}

SmallVector<Value> retnet::loopIndices(OpBuilder &b, Location loc,
                                       scf::ForallOp forall,
                                       ValueRange iterations) {
  AffineExpr lower, step, iteration;
  bindSymbols(b.getContext(), lower, step, iteration);
  SmallVector<Value> indices;
  for (auto [lb, st, it] : llvm::zip(forall.getMixedLowerBound(),
                                     forall.getMixedStep(), iterations))
    indices.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(b, loc, lower + iteration * step,
                                              {lb, st, it})));
  return indices;
}

SmallVector<Value> retnet::blockIndices(OpBuilder &b, Location loc,
                                        const ForallMapping &mapping,
                                        ValueRange bounds,
                                        ArrayRef<Value> blockIds) {
  SmallVector<Value> indices;
  if (!mapping.linear) {
    for (int64_t id : mapping.ids)
      indices.push_back(blockIds[id]);
    return indices;
  }
  // Forall dims from the slowest (highest linear id) to the fastest.
  SmallVector<unsigned> order = llvm::to_vector(
      llvm::seq<unsigned>(0, static_cast<unsigned>(mapping.ids.size())));
  llvm::sort(order, [&](unsigned lhs, unsigned rhs) {
    return mapping.ids[lhs] > mapping.ids[rhs];
  });
  SmallVector<Value> basis;
  for (unsigned dim : order)
    basis.push_back(bounds[dim]);
  auto delinearized = affine::AffineDelinearizeIndexOp::create(
      b, loc, blockIds[0], basis, /*hasOuterBound=*/true);
  indices.resize(mapping.ids.size());
  for (auto [position, dim] : llvm::enumerate(order))
    indices[dim] = delinearized.getResult(position);
  return indices;
}
