//===- BufferRoots.h - The buffers that memref values view ----------------===//

#ifndef RETNET_CODEGEN_GPU_BUFFERROOTS_H
#define RETNET_CODEGEN_GPU_BUFFERROOTS_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::retnet {

/// The buffer that a memref value views: through view-like ops and the
/// base buffer of `memref.extract_strided_metadata`.
Value rootBuffer(Value buffer);

/// Whether `root` is a `memref.alloc` or `memref.alloca`.
bool isAllocation(Value root);

/// Whether `root` is known memory of its own: an allocation, a global (the
/// compiler's constant tables) or an argument of a function (distinct
/// function arguments are distinct buffers, as One-Shot Bufferize takes
/// them to be).
bool isDistinctRoot(Value root);

/// Whether buffers with the roots `lhs` and `rhs` may share memory: the same
/// root, or one that is not known memory of its own (isDistinctRoot),
/// unless the other is an allocation made in the region of that block
/// argument after it was bound (a loop's buffer of this iteration and the
/// loop's carried buffer). The result of an scf.for is any of the buffers
/// that its body yields or that it starts from.
bool mayAlias(Value lhs, Value rhs);

/// The ops that use `root` other than through views (view-like ops and
/// `memref.extract_strided_metadata`, which are followed to their users).
SmallVector<Operation *> accessesThroughViews(Value root);

/// The views of `roots` (as accessesThroughViews follows them), directly or
/// through other views, each after the one that it views.
SmallVector<Operation *> viewsThroughViews(ArrayRef<Value> roots);

/// Whether `op` may lie between ops that one kernel takes over: it has no
/// memory effects, or it is a `memref.alloc`.
bool isPureOrAllocation(Operation *op);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_BUFFERROOTS_H
