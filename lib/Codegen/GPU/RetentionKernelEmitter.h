//===- RetentionKernelEmitter.h - GPU retention kernels ------*- C++ -*-===//
//
// Private to lib/Codegen/GPU: the emitter of convert-retention-to-gpu. Its
// phases (RetentionKernelPhases.cpp) and the strategy of each block length
// (RetentionKernelForms.cpp) build the kernels; the scalar maths comes from
// Retention/IR/RetentionMath.h, shared with the CPU decomposition.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_CODEGEN_GPU_RETENTIONKERNELEMITTER_H
#define RETNET_CODEGEN_GPU_RETENTIONKERNELEMITTER_H

#include "Retention/IR/RetentionOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::retnet {
using retention::RetentionOpInterface;

/// Shorthand for the body of a per-element loop: (builder, location, element
/// index).
using ElementFn = function_ref<void(OpBuilder &, Location, Value)>;

/// Where a block keeps its per-row decay factors (workgroup memory, `[3, L]`).
enum FactorRow : int64_t { QueryDecayRow = 0, KeyDecayRow = 1, ScaleRow = 2 };

/// The static workgroup memory of a block that CUDA grants without opting
/// in (48 KiB).
constexpr int64_t kWorkgroupBytes = 48 * 1024;

/// Bytes of the workgroup tiles of a block with tiles of `tile` tokens.
inline int64_t tileBytes(int64_t tile, Type computeType) {
  // Tiles beyond 2^20 tokens are far beyond any workgroup memory; the bound
  // keeps the arithmetic from overflowing.
  if (tile > (int64_t(1) << 20))
    return INT64_MAX;
  return (tile * tile + 3 * tile) * computeType.getIntOrFloatBitWidth() / 8;
}

/// Emits the GPU form of one retention op on buffers: `scf.forall` loops over
/// blocks (batch x heads, and query tiles for the parallel form) whose bodies
/// are sequences of *phases*, each an `scf.forall` over the threads of the
/// block in which every thread handles the elements `e = t, t + N, ...` of
/// the phase. A phase only reads what earlier phases wrote, so the end of
/// each thread loop is the only synchronisation needed (a barrier on the GPU,
/// nothing when the loops run on a CPU).
/// The options of convert-retention-to-gpu that shape the kernels.
struct KernelOptions {
  int64_t threads, parallelTile;
  /// The memory space of block tiles (workgroup memory, or none when the
  /// kernels run as CPU loops).
  Attribute workgroupSpace;
};

/// What the kernels of one op compute on: its heads, widths, element type
/// and output scaling.
struct KernelShape {
  int64_t heads, keyDim, valueDim;
  Type elementType;
  bool scaled;
};

class RetentionKernelEmitter {
public:
  RetentionKernelEmitter(ImplicitLocOpBuilder &b, const KernelOptions &options,
                         const KernelShape &shape)
      : b(b), threads(options.threads), parallelTile(options.parallelTile),
        workgroupSpace(options.workgroupSpace), heads(shape.heads),
        keyDim(shape.keyDim), valueDim(shape.valueDim),
        computeType(retention::getStateElementType(shape.elementType)),
        elementType(shape.elementType), scaled(shape.scaled) {}

  /// The results of a parallel op.
  SmallVector<Value> emit(RetentionOpInterface op);

  /// The chunk size the kernels can use for `requested`: itself if its tiles
  /// fit a block's workgroup memory, else the largest power of two that does
  /// (the chunkwise formula gives the same result for any chunk size, up to
  /// rounding).
  static int64_t fittingChunkSize(int64_t requested, Type computeType);

private:
  Value index(OpBuilder &builder, Location loc, int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value index(int64_t value) { return index(b, b.getLoc(), value); }
  Value floatConstant(OpBuilder &builder, Location loc, Type type,
                      double value) {
    return arith::ConstantOp::create(builder, loc,
                                     builder.getFloatAttr(type, value));
  }
  /// `exp(exponent * lnGamma)` in f64, converted to the compute type.
  Value decayPower(OpBuilder &builder, Location loc, Value exponentIndex);
  /// The output scale of absolute position `position`.
  Value outputScale(OpBuilder &builder, Location loc, Value position);
  /// Loads `memref[indices]` and converts it to the compute type.
  Value load(OpBuilder &builder, Location loc, Value memref,
             ValueRange indices);
  /// Head-local indices [batch, head, row, column].
  SmallVector<Value> at(Value row, Value column) {
    return {batchIndex, headIndex, row, column};
  }
  /// A `dk x dv` state: `buffer[batch, head]`.
  struct StateRef {
    Value buffer;
    explicit operator bool() const { return static_cast<bool>(buffer); }
  };
  StateRef headState(Value buffer) { return {buffer}; }
  SmallVector<Value> at(const StateRef &ref, Value row, Value column) {
    return at(row, column);
  }
  /// `sum_{i < count} term(i)` in the compute type.
  Value sum(OpBuilder &builder, Location loc, Value count,
            function_ref<Value(OpBuilder &, Location, Value)> term);

  /// Runs `body` for every element index in [0, count) over the block's
  /// threads.
  void forEachElement(Value count, ElementFn body);
  /// Splits element `e` of a `rows x columns` phase into (row, column).
  std::pair<Value, Value> split(OpBuilder &builder, Location loc, Value e,
                                int64_t columns);
  Value workgroupBuffer(ArrayRef<int64_t> shape);

  /// An `scf.forall` over blocks with the given mapping; `body` gets the
  /// block indices.
  void forEachBlock(ArrayRef<OpFoldResult> sizes, ArrayRef<gpu::MappingId> dims,
                    function_ref<void(ValueRange)> body);
  void selectHead(Value batch, Value head);
  /// Start and length of tile `tileIndex` of `tileSize` tokens of the
  /// sequence (the last tile may be shorter).
  std::pair<Value, Value> tileBounds(Value tileIndex, Value tileSize);
  /// A loop, uniform across the block, over tiles [0, count) of `tileSize`
  /// tokens; `body` gets the tile's index, start and length.
  void forEachTile(Value count, Value tileSize,
                   function_ref<void(Value, Value, Value)> body);

  /// The operands as read-only buffers, the result as a tensor.
  Value toBuffer(Value tensor);
  Value toTensor(Value buffer, Type type);
  /// A buffer [B, H, dims...] of `type`; `dynamic` gives the dynamic sizes
  /// after B.
  Value allocate(ArrayRef<int64_t> dims, Type type, ValueRange dynamic = {});

  // Phases; see emitParallel.
  void initializeState();
  void computeRowFactors(Value factors, Value rowStart, Value rows,
                         Value queryDecayBase, Value keyDecayEnd);
  void computeScores(Value scores, Value qStart, Value qLength, Value kStart,
                     Value kLength);
  void computeOutputs(Value scores, Value factors, Value qStart, Value qLength,
                      Value kStart, Value kLength, Value accumulate,
                      bool finish, StateRef stateBefore);
  void updateState(Value factors, Value kStart, Value kLength,
                   Value stateFactor, StateRef target);

  void emitParallel();

  ImplicitLocOpBuilder &b;
  int64_t threads, parallelTile;
  Attribute workgroupSpace;
  int64_t heads, keyDim, valueDim;
  Type computeType, elementType;
  bool scaled;

  // Buffers: inputs in the element type, the state in the compute type.
  Value queries, keys, values, gammas, initialState, output, state, accumulator;
  Value length, batch, position;
  // The head being emitted: its block indices and ln(gamma) in f64.
  Value batchIndex, headIndex, logGamma;
};
} // namespace mlir::retnet

#endif // RETNET_CODEGEN_GPU_RETENTIONKERNELEMITTER_H
