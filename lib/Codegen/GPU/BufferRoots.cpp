//===- BufferRoots.cpp - The buffers that memref values view --------------===//

#include "BufferRoots.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

Value retnet::rootBuffer(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      buffer = view.getViewSource();
      continue;
    }
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def)) {
      buffer = metadata.getSource();
      continue;
    }
    break;
  }
  return buffer;
}

bool retnet::isAllocation(Value root) {
  return root.getDefiningOp<memref::AllocOp>() ||
         root.getDefiningOp<memref::AllocaOp>();
}

bool retnet::isDistinctRoot(Value root) {
  if (isAllocation(root) || root.getDefiningOp<memref::GetGlobalOp>())
    return true;
  auto argument = dyn_cast<BlockArgument>(root);
  return argument && argument.getOwner()->isEntryBlock() &&
         isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
}

/// Whether `allocation` is made after `argument` was bound, in its region:
/// then it is fresh memory that the argument cannot be.
static bool allocatedWithin(Value allocation, Value argument) {
  return isa<BlockArgument>(argument) && retnet::isAllocation(allocation) &&
         argument.getParentRegion()->isAncestor(allocation.getParentRegion());
}

bool retnet::mayAlias(Value lhs, Value rhs) {
  if (lhs == rhs)
    return true;
  auto lhsGlobal = lhs.getDefiningOp<memref::GetGlobalOp>();
  auto rhsGlobal = rhs.getDefiningOp<memref::GetGlobalOp>();
  if (lhsGlobal && rhsGlobal)
    return lhsGlobal.getName() == rhsGlobal.getName();
  if (isDistinctRoot(lhs) && isDistinctRoot(rhs))
    return false;
  return !allocatedWithin(lhs, rhs) && !allocatedWithin(rhs, lhs);
}
