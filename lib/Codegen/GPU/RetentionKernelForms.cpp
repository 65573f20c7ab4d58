//===- RetentionKernelForms.cpp - GPU kernels for each block length ------===//

#include "RetentionKernelEmitter.h"

#include "retnet/Utils/LinalgBuilders.h"

#include "Retention/IR/RetentionMath.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::retention;
using mlir::retnet::RetentionKernelEmitter;
void RetentionKernelEmitter::emitTokenByToken() {
  // One block per (batch, head, group of `columns` state columns): a state
  // column's update and its part of the output need no other column, so
  // the groups are independent and a decoding step fills B x H x dv / 32
  // blocks, not B x H. Tokens run in order. For each, the block's threads
  // split the group's columns into `slices` slices of rows, and each thread
  // reads and writes its part of the state once: q . S and the update
  // S = gamma S + zeta k v in one pass, the slices' partial sums of q . S
  // then added up per column for the output.
  int64_t columns = valueDim % 32 == 0 ? 32 : valueDim;
  int64_t slices = std::max<int64_t>(threads / columns, 1);
  OpFoldResult groups = b.getIndexAttr(valueDim / columns);
  forEachBlock(
      {batch, b.getIndexAttr(heads), groups},
      {gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value firstColumn = arith::MulIOp::create(b, blocks[2], index(columns));
        Value scores = workgroupBuffer({1, 1});
        Value factors = workgroupBuffer({3, 1});
        Value partials = workgroupBuffer({slices, columns});
        Value stateDecay = decayPower(b, b.getLoc(), index(1));
        // The group's columns of the initial state.
        forEachElement(index(keyDim * columns), [&](OpBuilder &builder,
                                                    Location loc, Value e) {
          auto [row, local] = split(builder, loc, e, columns);
          Value column = groupColumn(builder, loc, firstColumn, local);
          Value value = initialState
                            ? load(builder, loc, initialState, at(row, column))
                            : floatConstant(builder, loc, computeType, 0.0);
          memref::StoreOp::create(builder, loc, value, state, at(row, column));
        });
        forEachTile(length, index(1), [&](Value, Value token, Value rows) {
          computeRowFactors(factors, token, rows, /*queryDecayBase=*/token,
                            /*keyDecayEnd=*/
                            arith::AddIOp::create(b, token, rows));
          computeScores(scores, token, rows, token, rows);
          emitTokenStatePass(token, firstColumn, columns, slices, factors,
                             partials, stateDecay);
          emitTokenOutputs(token, firstColumn, columns, slices, factors, scores,
                           partials);
        });
      });
}

void RetentionKernelEmitter::emitTokenStatePass(Value token, Value firstColumn,
                                                int64_t columns, int64_t slices,
                                                Value factors, Value partials,
                                                Value stateDecay) {
  forEachElement(index(slices * columns), [&](OpBuilder &builder, Location loc,
                                              Value e) {
    auto [slice, local] = split(builder, loc, e, columns);
    Value column = groupColumn(builder, loc, firstColumn, local);
    Value zeta = memref::LoadOp::create(
        builder, loc, factors,
        ValueRange{index(builder, loc, KeyDecayRow), index(builder, loc, 0)});
    Value value = arith::MulFOp::create(
        builder, loc, load(builder, loc, values, at(token, column)), zeta);
    auto pass = scf::ForOp::create(
        builder, loc, slice, index(builder, loc, keyDim),
        index(builder, loc, slices),
        ValueRange{floatConstant(builder, loc, computeType, 0.0)},
        [&](OpBuilder &inner, Location innerLoc, Value row, ValueRange acc) {
          Value old = load(inner, innerLoc, state, at(row, column));
          Value dot = arith::AddFOp::create(
              inner, innerLoc, acc[0],
              arith::MulFOp::create(
                  inner, innerLoc,
                  load(inner, innerLoc, queries, at(token, row)), old));
          Value update = arith::AddFOp::create(
              inner, innerLoc,
              arith::MulFOp::create(inner, innerLoc, old, stateDecay),
              arith::MulFOp::create(inner, innerLoc,
                                    load(inner, innerLoc, keys, at(token, row)),
                                    value));
          memref::StoreOp::create(inner, innerLoc, update, state,
                                  at(row, column));
          scf::YieldOp::create(inner, innerLoc, dot);
        });
    memref::StoreOp::create(builder, loc, pass.getResult(0), partials,
                            ValueRange{slice, local});
  });
}

void RetentionKernelEmitter::emitTokenOutputs(Value token, Value firstColumn,
                                              int64_t columns, int64_t slices,
                                              Value factors, Value scores,
                                              Value partials) {
  forEachElement(index(columns), [&](OpBuilder &builder, Location loc,
                                     Value local) {
    Value column = groupColumn(builder, loc, firstColumn, local);
    auto factor = [&](FactorRow row) {
      return memref::LoadOp::create(
                 builder, loc, factors,
                 ValueRange{index(builder, loc, row), index(builder, loc, 0)})
          .getResult();
    };
    Value zero = index(builder, loc, 0);
    Value fromState =
        sum(builder, loc, index(builder, loc, slices),
            [&](OpBuilder &inner, Location innerLoc, Value slice) {
              return memref::LoadOp::create(inner, innerLoc, partials,
                                            ValueRange{slice, local})
                  .getResult();
            });
    Value result = arith::AddFOp::create(
        builder, loc,
        arith::MulFOp::create(builder, loc,
                              memref::LoadOp::create(builder, loc, scores,
                                                     ValueRange{zero, zero}),
                              load(builder, loc, values, at(token, column))),
        arith::MulFOp::create(builder, loc, fromState, factor(QueryDecayRow)));
    if (scaled)
      result = arith::MulFOp::create(builder, loc, result, factor(ScaleRow));
    if (elementType != computeType)
      result = arith::TruncFOp::create(builder, loc, elementType, result);
    memref::StoreOp::create(builder, loc, result, output, at(token, column));
  });
}

Value RetentionKernelEmitter::emit(ChunkStatesOp op) {
  // Per (batch, head, chunk): the chunk's contribution to the state,
  // dS_c = (K_c * zeta)^T V_c.
  keys = toBuffer(op.getK());
  values = toBuffer(op.getV());
  gammas = toBuffer(op.getGamma());
  batch = memref::DimOp::create(b, keys, 0);
  length = memref::DimOp::create(b, keys, 2);
  int64_t chunkSize = op.getChunkSize();
  Value chunk = index(chunkSize);
  Value chunks = arith::CeilDivUIOp::create(b, length, chunk);
  Value deltas =
      allocate({ShapedType::kDynamic, keyDim, valueDim}, computeType, chunks);
  forEachBlock(
      {batch, b.getIndexAttr(heads), chunks},
      {gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value factors = workgroupBuffer({3, chunkSize});
        auto [start, rows] = tileBounds(blocks[2], chunk);
        computeRowFactors(
            factors, start, rows, /*queryDecayBase=*/Value(),
            /*keyDecayEnd=*/arith::AddIOp::create(b, start, rows));
        updateState(factors, start, rows, /*stateFactor=*/Value(),
                    chunkState(deltas, blocks[2]));
      });
  return toTensor(deltas, op.getDeltas().getType());
}

SmallVector<Value> RetentionKernelEmitter::emit(ChunkScanOp op) {
  // Per (batch, head, group of `threads` state elements): the scan
  // S_(c+1) = gamma^(L_c) S_c + dS_c over the chunks from the initial
  // state, leaving the state at the start of each chunk and the final state.
  Value deltas = toBuffer(op.getDeltas());
  gammas = toBuffer(op.getGamma());
  initialState = toBuffer(op.getInitialState());
  batch = memref::DimOp::create(b, deltas, 0);
  length = op.getLength();
  Value chunks = memref::DimOp::create(b, deltas, 2);
  Value chunk = index(op.getChunkSize());
  Value starts =
      allocate({ShapedType::kDynamic, keyDim, valueDim}, computeType, chunks);
  state = allocate({keyDim, valueDim}, computeType);
  int64_t elements = keyDim * valueDim;
  Value groups = index(llvm::divideCeil(elements, threads));
  forEachBlock(
      {batch, b.getIndexAttr(heads), groups},
      {gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        // gamma^C for full chunks, gamma^(rest) for a shorter last one.
        Value lastChunk = arith::SubIOp::create(b, chunks, index(1));
        Value lastRows = tileBounds(lastChunk, chunk).second;
        Value fullDecay = decayPower(b, b.getLoc(), chunk);
        Value lastDecay = decayPower(b, b.getLoc(), lastRows);
        Value base = arith::MulIOp::create(b, blocks[2], index(threads));
        forEachElement(index(threads), [&](OpBuilder &builder, Location loc,
                                           Value thread) {
          Value e = arith::AddIOp::create(builder, loc, base, thread);
          Value inside =
              arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ult, e,
                                    index(builder, loc, elements));
          auto guard = scf::IfOp::create(builder, loc, inside,
                                         /*withElseRegion=*/false);
          OpBuilder then = guard.getThenBodyBuilder();
          auto [rowIndex, columnIndex] = split(then, loc, e, valueDim);
          Value row = rowIndex, column = columnIndex;
          Value initial = initialState
                              ? load(then, loc, initialState, at(row, column))
                              : floatConstant(then, loc, computeType, 0.0);
          auto scan = scf::ForOp::create(
              then, loc, index(then, loc, 0), chunks, index(then, loc, 1),
              ValueRange{initial},
              [&](OpBuilder &inner, Location innerLoc, Value c,
                  ValueRange carried) {
                SmallVector<Value> indices =
                    at(chunkState(deltas, c), row, column);
                Value contribution =
                    memref::LoadOp::create(inner, innerLoc, deltas, indices);
                memref::StoreOp::create(inner, innerLoc, carried[0], starts,
                                        indices);
                Value isLast = arith::CmpIOp::create(
                    inner, innerLoc, arith::CmpIPredicate::eq, c, lastChunk);
                Value decay = arith::SelectOp::create(inner, innerLoc, isLast,
                                                      lastDecay, fullDecay);
                Value next = arith::AddFOp::create(
                    inner, innerLoc,
                    arith::MulFOp::create(inner, innerLoc, carried[0], decay),
                    contribution);
                scf::YieldOp::create(inner, innerLoc, next);
              });
          memref::StoreOp::create(then, loc, scan.getResult(0), state,
                                  at(row, column));
        });
      });
  return {toTensor(starts, op.getStarts().getType()),
          toTensor(state, op.getFinalState().getType())};
}

Value RetentionKernelEmitter::emit(ChunkOutputsOp op) {
  // Per (batch, head, chunk): the row factors (xi, scale) in a [3, C] tile,
  // the masked scores in a [C, C] tile, and the outputs from the scores and
  // the chunk's starting state.
  queries = toBuffer(op.getQ());
  keys = toBuffer(op.getK());
  values = toBuffer(op.getV());
  Value starts = toBuffer(op.getStarts());
  gammas = toBuffer(op.getGamma());
  position = op.getOffset() ? op.getOffset() : index(0);
  batch = memref::DimOp::create(b, queries, 0);
  length = memref::DimOp::create(b, queries, 2);
  int64_t chunkSize = op.getChunkSize();
  Value chunk = index(chunkSize);
  Value chunks = arith::CeilDivUIOp::create(b, length, chunk);
  output = allocate({ShapedType::kDynamic, valueDim}, elementType, length);
  forEachBlock(
      {batch, b.getIndexAttr(heads), chunks},
      {gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value scores = workgroupBuffer({chunkSize, chunkSize});
        Value factors = workgroupBuffer({3, chunkSize});
        auto [start, rows] = tileBounds(blocks[2], chunk);
        computeRowFactors(factors, start, rows,
                          /*queryDecayBase=*/start,
                          /*keyDecayEnd=*/Value());
        computeScores(scores, start, rows, start, rows);
        computeOutputs(scores, factors, start, rows, start, rows,
                       /*accumulate=*/Value(), /*finish=*/true,
                       chunkState(starts, blocks[2]));
      });
  return toTensor(output, op.getOutput().getType());
}

void RetentionKernelEmitter::emitParallel() {
  // Outputs: one block per (batch, head, query tile); key tiles up to the
  // diagonal accumulate in `accumulator` (compute type); the last adds the
  // initial state's contribution and the scale.
  OpFoldResult headCount = b.getIndexAttr(heads);
  Value tile = index(parallelTile);
  Value tiles = arith::CeilDivUIOp::create(b, length, tile);
  forEachBlock(
      {batch, headCount, tiles},
      {gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value scores = workgroupBuffer({parallelTile, parallelTile});
        Value factors = workgroupBuffer({3, parallelTile});
        Value qStart, qLength;
        std::tie(qStart, qLength) = tileBounds(blocks[2], tile);
        computeRowFactors(factors, qStart, qLength, /*queryDecayBase=*/index(0),
                          /*keyDecayEnd=*/Value());
        auto keyTile = [&](Value kt, Value kStart, Value kLength, bool last) {
          Value accumulate =
              arith::CmpIOp::create(b, arith::CmpIPredicate::ne, kt, index(0));
          computeScores(scores, qStart, qLength, kStart, kLength);
          computeOutputs(scores, factors, qStart, qLength, kStart, kLength,
                         accumulate, /*finish=*/last,
                         /*stateBefore=*/headState(initialState));
        };
        forEachTile(blocks[2], tile,
                    [&](Value kt, Value kStart, Value kLength) {
                      keyTile(kt, kStart, kLength, /*last=*/false);
                    });
        // The diagonal tile.
        keyTile(blocks[2], qStart, qLength, /*last=*/true);
      });
  if (!state)
    return;

  // Final state: one block per (batch, head), over key tiles.
  forEachBlock(
      {batch, headCount}, {gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value factors = workgroupBuffer({3, parallelTile});
        initializeState();
        Value one = floatConstant(b, b.getLoc(), computeType, 1.0);
        Value sequenceDecay = decayPower(b, b.getLoc(), length);
        forEachTile(tiles, tile, [&](Value kt, Value kStart, Value kLength) {
          computeRowFactors(factors, kStart, kLength,
                            /*queryDecayBase=*/Value(),
                            /*keyDecayEnd=*/length);
          Value first =
              arith::CmpIOp::create(b, arith::CmpIPredicate::eq, kt, index(0));
          updateState(factors, kStart, kLength,
                      arith::SelectOp::create(b, first, sequenceDecay, one),
                      headState(state));
        });
      });
}

Value RetentionKernelEmitter::toBuffer(Value tensor) {
  if (!tensor)
    return Value();
  auto type = cast<RankedTensorType>(tensor.getType());
  auto memrefType = MemRefType::get(
      type.getShape(), type.getElementType(),
      StridedLayoutAttr::get(
          b.getContext(), ShapedType::kDynamic,
          SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic)));
  return bufferization::ToBufferOp::create(b, memrefType, tensor,
                                           /*read_only=*/true);
}

Value RetentionKernelEmitter::toTensor(Value buffer, Type type) {
  Value tensor = bufferization::ToTensorOp::create(
      b, memref::getTensorTypeFromMemRefType(buffer.getType()), buffer,
      /*restrict=*/true, /*writable=*/true);
  if (tensor.getType() != type)
    tensor = tensor::CastOp::create(b, type, tensor);
  return tensor;
}

Value RetentionKernelEmitter::allocate(ArrayRef<int64_t> dims, Type type,
                                       ValueRange dynamic) {
  SmallVector<int64_t> shape = {ShapedType::kDynamic, heads};
  shape.append(dims.begin(), dims.end());
  SmallVector<Value> sizes = {batch};
  sizes.append(dynamic.begin(), dynamic.end());
  return memref::AllocOp::create(b, MemRefType::get(shape, type), sizes);
}

SmallVector<Value> RetentionKernelEmitter::emit(RetentionOpInterface op) {
  queries = toBuffer(op.getQueries());
  keys = toBuffer(op.getKeys());
  values = toBuffer(op.getValues());
  gammas = toBuffer(op.getGammaValue());
  initialState = toBuffer(op.getInitialStateValue());
  position = op.getOffsetValue();
  if (!position)
    position = index(0);
  batch = memref::DimOp::create(b, queries, 0);
  length = memref::DimOp::create(b, queries, 2);
  output = allocate({ShapedType::kDynamic, valueDim}, elementType, length);
  bool needState = static_cast<bool>(op.getFinalStateValue());
  // Blocks of the whole sequence (parallel) or of single tokens
  // (recurrent); chunkwise ops are split into their pieces first.
  std::optional<int64_t> blockLength = op.getBlockLength();
  assert((!blockLength || *blockLength == 1) &&
         "chunkwise ops are split into chunk pieces before lowering");
  // The final state; the token-by-token strategy also carries its state
  // there.
  if (needState || blockLength)
    state = allocate({keyDim, valueDim}, computeType);
  if (!blockLength) {
    accumulator =
        allocate({ShapedType::kDynamic, valueDim}, computeType, length);
    emitParallel();
  } else {
    emitTokenByToken();
  }

  SmallVector<Value> results = {
      toTensor(output, op.getOutputValue().getType())};
  if (needState)
    results.push_back(toTensor(state, op.getFinalStateValue().getType()));
  return results;
}
