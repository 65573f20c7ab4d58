//===- Prologue.h - Small producers recomputed in a consumer's blocks -----===//

#ifndef RETNET_CODEGEN_GPU_PROLOGUE_H
#define RETNET_CODEGEN_GPU_PROLOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retnet {

/// Linalg ops on buffers right before a reduction (a matrix product, the
/// consumer) that compute one of its inputs, row by row, into allocations
/// that nothing else accesses: an RMSNorm before the projection it feeds
/// (the sum of squares, the factor, the normalization), a gate before the
/// product that reads it. Each block of the consumer recomputes the slice
/// that it reads, in workgroup memory, as its first thread phases: the
/// producers' kernels go, at the price of recomputing cheap work once per
/// block of a row.
struct Prologue {
  /// The ops, in program order.
  SmallVector<linalg::LinalgOp> ops;
  /// The consumer's input that they compute (its operand number and value):
  /// the allocation that the last of them writes, or a view of it that only
  /// collapses unit dimensions.
  unsigned inputNumber;
  Value input;
  /// The allocations that only the ops (and the consumer, through its
  /// input) access.
  SmallVector<Value> privateRoots;
};

/// The prologue of `consumer` (whose output buffer `consumerInit`, if not
/// null, fills right before it), if it has one: the longest run of linalg
/// ops right before it (only pure ops, allocations and `consumerInit` in
/// between) that write only private allocations, with one output indexed by
/// every parallel loop through a projected permutation, while their work
/// per row stays within half the consumer's work per block of
/// `pointsPerBlock` outputs, which they then cost at most.
std::optional<Prologue> findPrologue(linalg::LinalgOp consumer,
                                     linalg::FillOp consumerInit,
                                     int64_t pointsPerBlock);

/// Tiles `prologue`'s ops to the slices that `consumerTile` (a block's tile
/// of its consumer) reads, at the rewriter's insertion point (before
/// `consumerTile`, in the block), with the private allocations replaced by
/// static `memref.alloca`s of those slices in memory space `space` (of at
/// most `maxBytes` in all), and makes `consumerTile` read its input from
/// there. Returns the tiled ops in program order, or fails with the IR
/// unchanged: where a slice is not static, is too large, or two ops access
/// different slices of one allocation.
FailureOr<SmallVector<linalg::LinalgOp>>
tilePrologue(RewriterBase &rewriter, const Prologue &prologue,
             linalg::LinalgOp consumerTile, Attribute space, int64_t maxBytes);

/// Erases `prologue`'s ops, once their tiles have replaced them, and the
/// private allocations, their views and their deallocations.
void erasePrologue(RewriterBase &rewriter, const Prologue &prologue);

/// An element-wise linalg op right before `kernel` (a block-mapped
/// `scf.forall` whose body loads its inputs itself) that writes an
/// allocation that only the kernel reads, with `memref.load`, at its
/// block's own slice: some dimensions indexed by block induction variables
/// (the same one for each load), the others static and read at any index.
/// Each block can compute its slice first: a kernel fewer.
struct KernelInput {
  linalg::LinalgOp op;
  /// For each dimension of the op's output, the block induction variable
  /// that indexes it, or null for a dimension read whole.
  SmallVector<Value> blockIndices;
};

/// The kernel inputs right before `kernel`, in program order (only pure ops,
/// allocations and other kernel inputs in between), that it does not write.
SmallVector<KernelInput> findKernelInputs(scf::ForallOp kernel);

/// Computes `input` in the blocks of `kernel`, first, on each block's slice,
/// in memory space `space` (at most `maxBytes`), and makes the kernel load
/// from there; `distribute` spreads the tile over the block's threads. The
/// op and its allocation go. Fails with the IR unchanged where the slice
/// does not fit.
LogicalResult
computeInKernel(RewriterBase &rewriter, scf::ForallOp kernel,
                const KernelInput &input, Attribute space, int64_t maxBytes,
                function_ref<LogicalResult(linalg::LinalgOp)> distribute);

} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_PROLOGUE_H
