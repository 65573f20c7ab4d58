//===- AggregatedOpInterfaceImpl.cpp - Retention decomposed into linalg ---===//
//
// linalg::AggregatedOpInterface for the retention ops and the chunkwise
// pieces: an op whose batch and heads are both static 1 (a tile of
// TilingInterface) decomposes into linalg, tensor and scf on the matrices of
// that head, built by BlockEmitter (the one place of the block formula):
//
// - retention ops: blocks of getBlockLength() tokens, one block of the whole
//   sequence (parallel; its output in causal row blocks), an scf.for over
//   tokens, each one pass over the state (recurrent: the block formula of
//   one token as the recurrence), or an scf.for over full chunks of static
//   size then one shorter block (chunkwise);
// - chunk_states: the state part of the formula per chunk, from zero;
// - chunk_outputs: the output part per chunk, from the chunk's start state;
// - chunk_scan: an scf.for over chunks on a tile of state elements.
//
// f16 and bf16 are computed in f32, f64 in f64.
//
//===----------------------------------------------------------------------===//

#include "BlockEmitter.h"

#include "Retention/IR/RetentionMath.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::retention;

namespace {
/// Whether batch and heads of the [B, H, ...] type `type` are both static 1.
bool isOneHead(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.getDimSize(0) == 1 && tensor.getDimSize(1) == 1;
}

Type computeTypeOf(Value tensor) {
  return getStateElementType(
      cast<RankedTensorType>(tensor.getType()).getElementType());
}

/// The head's queries, keys or values as a compute-type matrix.
Value inputMatrix(BlockEmitter &e, Value tile) {
  return e.castElements(e.matrixOf(tile), e.computeType);
}

/// The recurrent form on one head, token by token (emitTokenStep): one
/// pass over the state, carried in place, per token. The inputs' and the
/// output's rows convert between their element type and the compute type
/// one token at a time, so that no whole-sequence matrix of the compute
/// type is made (a GPU block keeps its temporaries in workgroup memory).
SmallVector<Value> emitRecurrence(BlockEmitter &e, Value queries, Value keys,
                                  Value values, Value state, Value output,
                                  OpFoldResult length, Value offset) {
  ImplicitLocOpBuilder &b = e.b;
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value gamma = buildDecayPower(b, b.getLoc(), e.logGamma, one, e.computeType);
  auto loop = scf::ForOp::create(
      b, zero, getValueOrCreateConstantIndexOp(b, b.getLoc(), length), one,
      ValueRange{output, state});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value token = loop.getInductionVar();
  ValueRange carried = loop.getRegionIterArgs();
  OpFoldResult row = b.getIndexAttr(1);
  auto inputRow = [&](Value matrix, int64_t width) {
    return e.castElements(e.sliceRows(matrix, token, row, width),
                          e.computeType);
  };
  auto [rowOut, next] =
      e.emitTokenStep(inputRow(queries, e.keyDim), inputRow(keys, e.keyDim),
                      inputRow(values, e.valueDim), carried[1], gamma,
                      arith::AddIOp::create(b, offset, token));
  rowOut = e.castElements(
      rowOut, cast<RankedTensorType>(output.getType()).getElementType());
  scf::YieldOp::create(
      b, ValueRange{e.insertRows(rowOut, carried[0], token, row, e.valueDim),
                    next});
  return loop.getResults();
}

/// Blocks of `blockLength` tokens on one head (the chunkwise form): the
/// block formula per block, the state carried in place.
SmallVector<Value> emitBlocks(BlockEmitter &e, Value queries, Value keys,
                              Value values, Value state, Value output,
                              OpFoldResult length, int64_t blockLength,
                              Value offset) {
  ImplicitLocOpBuilder &b = e.b;
  return e.forEachBlock(
      length, blockLength, BlockParts::Both, ValueRange{output, state},
      [&](Value start, OpFoldResult rows, const BlockDecay &decay,
          ValueRange carried) -> SmallVector<Value> {
        Value position = arith::AddIOp::create(b, offset, start);
        Value blockKeys = e.sliceRows(keys, start, rows, e.keyDim);
        Value blockValues = e.sliceRows(values, start, rows, e.valueDim);
        Value out = e.emitBlockOutput(
            e.sliceRows(queries, start, rows, e.keyDim), blockKeys, blockValues,
            carried[1], rows, decay, position,
            e.extractRows(carried[0], start, rows, e.valueDim));
        Value next =
            e.emitBlockState(blockKeys, blockValues, carried[1], rows, decay);
        return {e.insertRows(out, carried[0], start, rows, e.valueDim), next};
      });
}

SmallVector<Value> decomposeRetention(ImplicitLocOpBuilder &b,
                                      RetentionOpInterface op) {
  BlockEmitter e(b, op.getKeyDim(), op.getValueDim(),
                 computeTypeOf(op.getQueries()), op.getScalingKind());
  e.setGamma(op.getGammaValue());
  // The recurrent form converts its rows one token at a time.
  std::optional<int64_t> blockLength = op.getBlockLength();
  bool tokenByToken = blockLength == 1;
  auto input = [&](Value tile) {
    return tokenByToken ? e.matrixOf(tile) : inputMatrix(e, tile);
  };
  Value queries = input(op.getQueries());
  Value keys = input(op.getKeys());
  Value values = input(op.getValues());
  Value state;
  if (Value initialState = op.getInitialStateValue())
    state = e.matrixOf(initialState);
  Value offset = op.getOffsetValue();
  if (!offset)
    offset = arith::ConstantIndexOp::create(b, 0);

  // The output's rows are computed in place into the result's tile when no
  // conversion follows or each row converts as it is made (after tiling,
  // into the tile of the loop's shared output), else into a matrix of the
  // compute type.
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), queries, 0);
  RankedTensorType outputType = op.getOutputValue().getType();
  Value outputTile = e.emptyTile(outputType, length);
  Value output =
      outputType.getElementType() == e.computeType || tokenByToken
          ? outputTile
          : e.emptyTensor({length, b.getIndexAttr(e.valueDim)}, e.computeType);

  if (!blockLength) {
    output = e.emitParallelOutput(queries, keys, values, state, length, offset,
                                  output);
    if (op.getFinalStateValue())
      state = e.emitBlockState(keys, values, state, length,
                               e.emitBlockDecay(length, BlockParts::State));
  } else {
    if (!state)
      state = e.zeros({b.getIndexAttr(e.keyDim), b.getIndexAttr(e.valueDim)});
    SmallVector<Value> results =
        *blockLength == 1 ? emitRecurrence(e, queries, keys, values, state,
                                           output, length, offset)
                          : emitBlocks(e, queries, keys, values, state, output,
                                       length, *blockLength, offset);
    output = results[0];
    state = results[1];
  }

  SmallVector<Value> replacements = {
      e.tileResult(output, outputTile, outputType)};
  if (Value finalState = op.getFinalStateValue()) {
    // The final state goes where the initial state was: its matrix was
    // extracted from that tile, so the update bufferizes in place.
    auto stateType = cast<RankedTensorType>(finalState.getType());
    Value initialState = op.getInitialStateValue();
    Value stateTile = initialState && initialState.getType() == stateType
                          ? initialState
                          : e.emptyTile(stateType, b.getIndexAttr(e.keyDim));
    replacements.push_back(e.tileResult(state, stateTile, stateType));
  }
  return replacements;
}

/// The chunk index of the block that starts at token `start`.
Value chunkIndex(ImplicitLocOpBuilder &b, Value start, int64_t chunkSize) {
  return arith::DivUIOp::create(b, start,
                                arith::ConstantIndexOp::create(b, chunkSize));
}

/// `update(carried)` for a block of `rows` tokens; for a block of dynamic
/// size (the last block of a sequence, which may be empty: then it has no
/// chunk) only where `rows` is not zero, else `carried`.
Value unlessEmpty(ImplicitLocOpBuilder &b, OpFoldResult rows, Value carried,
                  function_ref<Value()> update) {
  if (getConstantIntValue(rows))
    return update();
  Value nonEmpty = arith::CmpIOp::create(
      b, arith::CmpIPredicate::ne,
      getValueOrCreateConstantIndexOp(b, b.getLoc(), rows),
      arith::ConstantIndexOp::create(b, 0));
  auto guard =
      scf::IfOp::create(b, carried.getType(), nonEmpty, /*withElse=*/true);
  OpBuilder::InsertionGuard insertion(b);
  b.setInsertionPointToStart(guard.thenBlock());
  scf::YieldOp::create(b, update());
  b.setInsertionPointToStart(guard.elseBlock());
  scf::YieldOp::create(b, carried);
  return guard.getResult(0);
}

/// A [1, 1, N, dk, dv] tensor of the compute type shaped like `like`.
Value emptyChunkStates(BlockEmitter &e, Value like) {
  ImplicitLocOpBuilder &b = e.b;
  OpFoldResult one = b.getIndexAttr(1);
  return e.emptyTensor({one, one, tensor::getMixedSize(b, b.getLoc(), like, 2),
                        b.getIndexAttr(e.keyDim), b.getIndexAttr(e.valueDim)},
                       e.computeType);
}

Value castTo(ImplicitLocOpBuilder &b, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, type, value);
}

SmallVector<Value> decomposeChunkStates(ImplicitLocOpBuilder &b,
                                        ChunkStatesOp op) {
  RankedTensorType deltasType = op.getDeltas().getType();
  BlockEmitter e(b, deltasType.getDimSize(3), deltasType.getDimSize(4),
                 deltasType.getElementType(), Scaling::none);
  e.setGamma(op.getGamma());
  // The inputs convert to the compute type a chunk at a time, so that a
  // chunk's temporaries are all that a tile holds (a GPU block keeps them
  // in workgroup memory).
  Value keys = e.matrixOf(op.getK());
  Value values = e.matrixOf(op.getV());
  auto chunkRows = [&](Value matrix, Value start, OpFoldResult rows,
                       int64_t width) {
    return e.castElements(e.sliceRows(matrix, start, rows, width),
                          e.computeType);
  };
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), keys, 0);
  int64_t chunkSize = op.getChunkSize();
  Value deltas = e.forEachBlock(
      length, chunkSize, BlockParts::State, emptyChunkStates(e, op.getDeltas()),
      [&](Value start, OpFoldResult rows, const BlockDecay &decay,
          ValueRange carried) -> SmallVector<Value> {
        return {unlessEmpty(b, rows, carried[0], [&] {
          Value delta = e.emitBlockState(
              chunkRows(keys, start, rows, e.keyDim),
              chunkRows(values, start, rows, e.valueDim), Value(), rows, decay);
          return e.insertChunk(delta, carried[0],
                               chunkIndex(b, start, chunkSize));
        })};
      })[0];
  return {castTo(b, deltas, deltasType)};
}

SmallVector<Value> decomposeChunkOutputs(ImplicitLocOpBuilder &b,
                                         ChunkOutputsOp op) {
  RankedTensorType outputType = op.getOutput().getType();
  Type computeType = computeTypeOf(op.getQ());
  BlockEmitter e(b, op.getQ().getType().getDimSize(3), outputType.getDimSize(3),
                 computeType, op.getScaling());
  e.setGamma(op.getGamma());
  Value queries = inputMatrix(e, op.getQ());
  Value keys = inputMatrix(e, op.getK());
  Value values = inputMatrix(e, op.getV());
  Value offset = op.getOffset();
  if (!offset)
    offset = arith::ConstantIndexOp::create(b, 0);
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), queries, 0);
  Value outputTile = e.emptyTile(outputType, length);
  Value output =
      outputType.getElementType() == computeType
          ? outputTile
          : e.emptyTensor({length, b.getIndexAttr(e.valueDim)}, computeType);
  int64_t chunkSize = op.getChunkSize();
  output = e.forEachBlock(
      length, chunkSize, BlockParts::Outputs, output,
      [&](Value start, OpFoldResult rows, const BlockDecay &decay,
          ValueRange carried) -> SmallVector<Value> {
        return {unlessEmpty(b, rows, carried[0], [&] {
          Value state =
              e.matrixOf(op.getStarts(), chunkIndex(b, start, chunkSize));
          Value rowsOut = e.emitBlockOutput(
              e.sliceRows(queries, start, rows, e.keyDim),
              e.sliceRows(keys, start, rows, e.keyDim),
              e.sliceRows(values, start, rows, e.valueDim), state, rows, decay,
              arith::AddIOp::create(b, offset, start),
              e.extractRows(carried[0], start, rows, e.valueDim));
          return e.insertRows(rowsOut, carried[0], start, rows, e.valueDim);
        })};
      })[0];
  return {e.tileResult(output, outputTile, outputType)};
}

SmallVector<Value> decomposeChunkScan(ImplicitLocOpBuilder &b, ChunkScanOp op) {
  // starts[c] = S, S = gamma^(L_c) S + deltas[c] over the chunks, on a
  // [rows, columns] tile of state elements.
  RankedTensorType deltasType = op.getDeltas().getType();
  BlockEmitter e(b, deltasType.getDimSize(3), deltasType.getDimSize(4),
                 deltasType.getElementType(), Scaling::none);
  e.setGamma(op.getGamma());
  OpFoldResult rows = b.getIndexAttr(e.keyDim),
               columns = b.getIndexAttr(e.valueDim);
  Value state = op.getInitialState() ? e.matrixOf(op.getInitialState())
                                     : e.zeros({rows, columns});
  Value chunks = tensor::DimOp::create(b, op.getDeltas(), 2);
  Value chunkSize = arith::ConstantIndexOp::create(b, op.getChunkSize());
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  auto loop = scf::ForOp::create(
      b, zero, chunks, one,
      ValueRange{emptyChunkStates(e, op.getDeltas()), state});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value chunk = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    Value start = arith::MulIOp::create(b, chunk, chunkSize);
    Value chunkLength = arith::MinUIOp::create(
        b, chunkSize, arith::SubIOp::create(b, op.getLength(), start));
    Value decay =
        buildDecayPower(b, b.getLoc(), e.logGamma, chunkLength, e.computeType);
    Value starts = e.insertChunk(carried[1], carried[0], chunk);
    // In place: each element reads and writes only itself.
    Value next = retnet::buildElementwise(
        b, b.getLoc(), carried[1],
        ValueRange{e.matrixOf(op.getDeltas(), chunk)},
        {b.getMultiDimIdentityMap(2)},
        [&](OpBuilder &builder, Location loc, ValueRange args) {
          return arith::AddFOp::create(
              builder, loc, arith::MulFOp::create(builder, loc, args[1], decay),
              args[0]);
        });
    scf::YieldOp::create(b, ValueRange{starts, next});
  }
  RankedTensorType finalType = op.getFinalState().getType();
  return {
      castTo(b, loop.getResult(0), op.getStarts().getType()),
      e.tileResult(loop.getResult(1), e.emptyTile(finalType, rows), finalType)};
}

template <typename OpTy>
struct DecompositionModel : public linalg::AggregatedOpInterface::ExternalModel<
                                DecompositionModel<OpTy>, OpTy> {
  FailureOr<SmallVector<Value>> decomposeOperation(Operation *op,
                                                   OpBuilder &builder) const {
    // The maths of one head: batch and heads must be tiled to 1 first.
    if (!isOneHead(op->getResult(0).getType()))
      return failure();
    ImplicitLocOpBuilder b(op->getLoc(), builder);
    if constexpr (std::is_same_v<OpTy, ChunkStatesOp>)
      return decomposeChunkStates(b, cast<OpTy>(op));
    else if constexpr (std::is_same_v<OpTy, ChunkScanOp>)
      return decomposeChunkScan(b, cast<OpTy>(op));
    else if constexpr (std::is_same_v<OpTy, ChunkOutputsOp>)
      return decomposeChunkOutputs(b, cast<OpTy>(op));
    else
      return decomposeRetention(b, cast<RetentionOpInterface>(op));
  }
};
} // namespace

void mlir::retention::attachDecompositionInterface(MLIRContext &context) {
  ParallelOp::attachInterface<DecompositionModel<ParallelOp>>(context);
  RecurrentOp::attachInterface<DecompositionModel<RecurrentOp>>(context);
  ChunkwiseOp::attachInterface<DecompositionModel<ChunkwiseOp>>(context);
  ChunkStatesOp::attachInterface<DecompositionModel<ChunkStatesOp>>(context);
  ChunkScanOp::attachInterface<DecompositionModel<ChunkScanOp>>(context);
  ChunkOutputsOp::attachInterface<DecompositionModel<ChunkOutputsOp>>(context);
}
