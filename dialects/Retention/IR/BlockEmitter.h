//===- BlockEmitter.h - The block formula as linalg on one head -*- C++ -*-===//
//
// Private to dialects/Retention/IR: builds the block formula of retention
// (docs/numerics.md section 1) on the matrices of one head,
//
//   O  = s * ((Q K^T * D) V + xi * (Q S))     D[i,j] = gamma^(i-j) (j <= i)
//   S' = gamma^L S + (K * zeta)^T V           xi_i = gamma^(i+1),
//                                             zeta_j = gamma^(L-1-j)
//
// as linalg, tensor and scf on tensors, and loops over the blocks of a
// sequence. The decompositions of the retention ops and of the chunkwise
// pieces (AggregatedOpInterfaceImpl.cpp) are built from it.
//
//===----------------------------------------------------------------------===//

#ifndef RETENTION_IR_BLOCKEMITTER_H
#define RETENTION_IR_BLOCKEMITTER_H

#include "Retention/IR/RetentionOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "retnet/Utils/LinalgBuilders.h"

namespace mlir::retention {
/// Decay factors of a block of L tokens of one head; the ones not asked for
/// are null.
struct BlockDecay {
  Value mask;       // [L, L]: gamma^(i-j) for j <= i, else 0
  Value queryDecay; // [L]: xi_i = gamma^(i+1)
  Value keyDecay;   // [L]: zeta_j = gamma^(L-1-j)
  Value blockDecay; // scalar: gamma^L
};

/// What a block computes (None: its caller builds the decay it needs).
enum class BlockParts { None = 0, Outputs = 1, State = 2, Both = 3 };

/// Rows per block of the parallel form's output: a block of R rows at
/// token r0 multiplies its queries by the keys of tokens [0, r0 + R) only,
/// so the [T, T] scores above the diagonal blocks are never computed (their
/// mask is zero) and the block's [R, r0 + R] scores stay in cache.
constexpr int64_t kParallelRowBlock = 64;

/// Rows per tile of a block of static length (a chunk) longer than it: as
/// in the parallel form, a tile of rows sees the tokens up to its last row
/// only (a chunk of 64 computes 3/4 of its [64, 64] scores, of 128 5/8).
constexpr int64_t kBlockRowTile = 32;

class BlockEmitter {
public:
  BlockEmitter(ImplicitLocOpBuilder &b, int64_t keyDim, int64_t valueDim,
               Type computeType, Scaling scaling)
      : b(b), keyDim(keyDim), valueDim(valueDim), computeType(computeType),
        scaling(scaling) {}

  /// The head's decay: `gamma` is its tensor<1 x f64> slice.
  void setGamma(Value gamma);

  /// The [rows, columns] matrix of a [1, 1, rows, columns] tile, or the
  /// [rows, columns] matrix at index `chunk` of a [1, 1, N, rows, columns]
  /// tile.
  Value matrixOf(Value tile, Value chunk = Value());
  /// An empty [1, 1, rows, columns] tile of a result of type `type`.
  Value emptyTile(RankedTensorType type, OpFoldResult rows);
  /// The result of type `type` from `matrix`: a [rows, columns] matrix
  /// converted to the element type of `tile` and inserted into it, or the
  /// tile itself when the rows were computed into it.
  Value tileResult(Value matrix, Value tile, RankedTensorType type);
  /// Inserts `matrix` as chunk `chunk` of a [1, 1, N, rows, columns] tile.
  Value insertChunk(Value matrix, Value tile, Value chunk);
  /// Casts a tensor elementwise to `elementType`.
  Value castElements(Value tensor, Type elementType);
  /// A zero tensor of the compute type.
  Value zeros(ArrayRef<OpFoldResult> shape);
  /// An empty tensor.
  Value emptyTensor(ArrayRef<OpFoldResult> shape, Type elementType);

  /// The decay factors of a block of `length` tokens needed for `parts`.
  BlockDecay emitBlockDecay(OpFoldResult length, BlockParts parts);
  /// O of a block of `length` tokens at absolute position `position`, with
  /// the state `state` before the block (null: zero). A block in row tiles
  /// writes them into `destination` ([length, dv] of the compute type; null:
  /// a new tensor), so that they bufferize into the output's own rows.
  Value emitBlockOutput(Value queries, Value keys, Value values, Value state,
                        OpFoldResult length, const BlockDecay &decay,
                        Value position, Value destination = Value());
  /// O of `rows` queries against `width` keys, given transposed ([dk,
  /// width]), and their values: the rows of a block whose decay mask is
  /// [rows, width] (emitBlockOutput: rows = width = the block's length),
  /// accumulated in `destination` (null: a new tensor).
  Value emitRowsOutput(Value queries, Value keysTransposed, Value values,
                       Value state, OpFoldResult rows, OpFoldResult width,
                       const BlockDecay &decay, Value position,
                       Value destination = Value());
  /// O of the parallel form, one block of the whole sequence of `length`
  /// tokens, computed into `output` in row blocks of kParallelRowBlock
  /// causal rows (the decay mask read from one table of `length` powers).
  Value emitParallelOutput(Value queries, Value keys, Value values, Value state,
                           OpFoldResult length, Value position, Value output);
  /// S' of a block from the state `state` before it (null: zero).
  Value emitBlockState(Value keys, Value values, Value state,
                       OpFoldResult length, const BlockDecay &decay);
  /// One token of the recurrent form, at absolute position `position`, from
  /// its [1, d] rows: the state S' = gamma S + k^T v (`decay` = gamma),
  /// updated in place, and the output row s q S' ([dv]), accumulated in the
  /// same pass over the state; returns (output row, S').
  std::pair<Value, Value> emitTokenStep(Value query, Value key, Value value,
                                        Value state, Value decay,
                                        Value position);

  /// The body of one block of `forEachBlock`: (start, length, decay,
  /// carried values) -> the new carried values.
  using BlockBody = function_ref<SmallVector<Value>(
      Value, OpFoldResult, const BlockDecay &, ValueRange)>;
  /// Runs `body` over the blocks of `blockSize` tokens of a sequence of
  /// `length` tokens, carrying `carried`: the full blocks (static size, decay
  /// tables computed once) in an scf.for, then the shorter last block,
  /// possibly empty (none when `blockSize` is 1).
  SmallVector<Value> forEachBlock(OpFoldResult length, int64_t blockSize,
                                  BlockParts parts, ValueRange carried,
                                  BlockBody body);

  /// Rows [start, start + length) of a matrix of width `width`.
  Value sliceRows(Value matrix, OpFoldResult start, OpFoldResult length,
                  int64_t width);
  /// Inserts the rows [start, start + length) of width `width` into
  /// `target`: a matrix, or the [1, 1, rows, width] tile of a result.
  Value insertRows(Value rows, Value target, OpFoldResult start,
                   OpFoldResult length, int64_t width);
  /// The rows [start, start + length) of `target` (as insertRows) as a
  /// matrix: the destination of the rows that insertRows puts back, or null
  /// when `target`'s element type is not the compute type.
  Value extractRows(Value target, OpFoldResult start, OpFoldResult length,
                    int64_t width);

  /// The table p[k] = gamma^k, k < length.
  Value decayPowers(OpFoldResult length);
  /// Sets `decay`'s mask ([rows, width], rows starting at token `start`,
  /// read from the table `powers`) and query decay ([rows]).
  void emitRowsDecay(BlockDecay &decay, Value powers, Value start,
                     OpFoldResult rows, OpFoldResult width);
  /// Keys [length, dk] transposed to [dk, length].
  Value transposeKeys(Value keys, OpFoldResult length);
  /// A tensor of the compute type whose element at indices `ivs` is
  /// `body(ivs)`.
  Value generate(ArrayRef<OpFoldResult> shape, retnet::ElementBodyFn body);

  ImplicitLocOpBuilder &b;
  int64_t keyDim, valueDim;
  Type computeType;
  Scaling scaling;
  /// ln(gamma) of the head, f64.
  Value logGamma;
};
} // namespace mlir::retention

#endif // RETENTION_IR_BLOCKEMITTER_H
