//===- BufferRoots.cpp - The buffers that memref values view --------------===//

#include "BufferRoots.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// Whether `user` views `value` (and so accesses nothing itself).
static bool isViewOf(Operation *user, Value value) {
  if (auto view = dyn_cast<ViewLikeOpInterface>(user))
    return view.getViewSource() == value;
  return isa<memref::ExtractStridedMetadataOp>(user);
}

/// Walks the users of `roots` through their views: `onView` for each view
/// (before the views of it), `onAccess` for every other user.
static void walkThroughViews(ArrayRef<Value> roots,
                             function_ref<void(Operation *)> onView,
                             function_ref<void(Operation *)> onAccess) {
  SmallVector<Value> worklist(roots.begin(), roots.end());
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (!isViewOf(user, value)) {
        onAccess(user);
        continue;
      }
      onView(user);
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()))
          worklist.push_back(result);
    }
  }
}

SmallVector<Operation *> retnet::accessesThroughViews(Value root) {
  SmallVector<Operation *> accesses;
  walkThroughViews(
      root, [](Operation *) {},
      [&](Operation *access) { accesses.push_back(access); });
  return accesses;
}

SmallVector<Operation *> retnet::viewsThroughViews(ArrayRef<Value> roots) {
  SmallVector<Operation *> views;
  walkThroughViews(
      roots, [&](Operation *view) { views.push_back(view); },
      [](Operation *) {});
  return views;
}

bool retnet::isPureOrAllocation(Operation *op) {
  return isMemoryEffectFree(op) || isa<memref::AllocOp>(op);
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

/// The roots that `root` may be: for the result of an scf.for, those of its
/// initial value and of what the body yields, with view chains followed;
/// `root` itself otherwise (an iteration argument stays itself, so that a
/// buffer allocated in the body stays distinct from it).
static SmallVector<Value> possibleRoots(Value root) {
  SmallVector<Value> roots, worklist = {root};
  llvm::SmallPtrSet<Value, 4> seen;
  while (!worklist.empty()) {
    Value value = retnet::rootBuffer(worklist.pop_back_val());
    if (!seen.insert(value).second)
      continue;
    auto result = dyn_cast<OpResult>(value);
    auto loop = result ? dyn_cast<scf::ForOp>(result.getOwner()) : nullptr;
    if (!loop) {
      roots.push_back(value);
      continue;
    }
    worklist.push_back(loop.getInitArgs()[result.getResultNumber()]);
    worklist.push_back(loop.getYieldedValues()[result.getResultNumber()]);
  }
  return roots;
}

/// mayAlias for roots that are not loop-carried.
static bool mayAliasRoots(Value lhs, Value rhs) {
  if (lhs == rhs)
    return true;
  auto lhsGlobal = lhs.getDefiningOp<memref::GetGlobalOp>();
  auto rhsGlobal = rhs.getDefiningOp<memref::GetGlobalOp>();
  if (lhsGlobal && rhsGlobal)
    return lhsGlobal.getName() == rhsGlobal.getName();
  if (retnet::isDistinctRoot(lhs) && retnet::isDistinctRoot(rhs))
    return false;
  return !allocatedWithin(lhs, rhs) && !allocatedWithin(rhs, lhs);
}

bool retnet::mayAlias(Value lhs, Value rhs) {
  if (lhs == rhs)
    return true;
  SmallVector<Value> rhsRoots = possibleRoots(rhs);
  return llvm::any_of(possibleRoots(lhs), [&](Value lhsRoot) {
    return llvm::any_of(rhsRoots, [&](Value rhsRoot) {
      return mayAliasRoots(lhsRoot, rhsRoot);
    });
  });
}
