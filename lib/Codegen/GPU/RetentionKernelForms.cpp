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
void RetentionKernelEmitter::emitSequential(int64_t chunkSize) {
  // One block per (batch, head); chunks run in order, carrying the state in
  // `state` (global memory). Used for the recurrent form (chunks of one
  // token): a decoding step is one small kernel.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  forEachBlock(
      {batch, heads}, {gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value scores = workgroupBuffer({chunkSize, chunkSize});
        Value factors = workgroupBuffer({3, chunkSize});
        initializeState();
        Value chunk = index(chunkSize);
        Value chunks = arith::CeilDivUIOp::create(b, length, chunk);
        forEachTile(chunks, chunk, [&](Value, Value start, Value rows) {
          computeRowFactors(
              factors, start, rows, /*queryDecayBase=*/start,
              /*keyDecayEnd=*/arith::AddIOp::create(b, start, rows));
          computeScores(scores, start, rows, start, rows);
          computeOutputs(scores, factors, start, rows, start, rows,
                         /*accumulate=*/Value(), /*finish=*/true,
                         /*stateBefore=*/headState(state));
          updateState(factors, start, rows, decayPower(b, b.getLoc(), rows),
                      headState(state));
        });
      });
}

void RetentionKernelEmitter::emitChunkParallel(int64_t chunkSize) {
  // Three loop nests, each parallel over chunks or state elements rather
  // than only over (batch, head):
  //  1. per (batch, head, chunk): the chunk's contribution to the state,
  //     dS_c = (K_c * zeta)^T V_c, into `chunkStates`;
  //  2. per (batch, head, state element): the scan over chunks,
  //     S_(c+1) = gamma^(L_c) S_c + dS_c from the initial state, leaving in
  //     `chunkStates` the state at the start of each chunk, and the final
  //     state;
  //  3. per (batch, head, chunk): the outputs from the chunk's scores and
  //     its starting state.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  Value chunk = index(chunkSize);
  Value chunks = arith::CeilDivUIOp::create(b, length, chunk);
  auto stateType = MemRefType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, keyDim, valueDim},
      computeType);
  Value headChunks = arith::MulIOp::create(b, index(op.getNumHeads()), chunks);
  Value chunkStates =
      memref::AllocOp::create(b, stateType, ValueRange{batch, headChunks});
  auto chunkState = [&](Value chunkIndex) {
    Value slot = arith::AddIOp::create(
        b, arith::MulIOp::create(b, headIndex, chunks), chunkIndex);
    return StateRef{chunkStates, slot};
  };
  SmallVector<gpu::MappingId> byChunk = {
      gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX};

  forEachBlock({batch, heads, chunks}, byChunk, [&](ValueRange blocks) {
    selectHead(blocks[0], blocks[1]);
    Value factors = workgroupBuffer({3, chunkSize});
    auto [start, rows] = tileBounds(blocks[2], chunk);
    computeRowFactors(factors, start, rows, /*queryDecayBase=*/Value(),
                      /*keyDecayEnd=*/arith::AddIOp::create(b, start, rows));
    updateState(factors, start, rows, /*stateFactor=*/Value(),
                chunkState(blocks[2]));
  });

  scanChunkStates(chunkStates, chunks, chunk);

  forEachBlock({batch, heads, chunks}, byChunk, [&](ValueRange blocks) {
    selectHead(blocks[0], blocks[1]);
    Value scores = workgroupBuffer({chunkSize, chunkSize});
    Value factors = workgroupBuffer({3, chunkSize});
    auto [start, rows] = tileBounds(blocks[2], chunk);
    computeRowFactors(factors, start, rows, /*queryDecayBase=*/start,
                      /*keyDecayEnd=*/Value());
    computeScores(scores, start, rows, start, rows);
    computeOutputs(scores, factors, start, rows, start, rows,
                   /*accumulate=*/Value(), /*finish=*/true,
                   chunkState(blocks[2]));
  });
}

void RetentionKernelEmitter::scanChunkStates(Value chunkStates, Value chunks,
                                             Value chunk) {
  // Per (batch, head, group of `threads` state elements): the scan
  // S_(c+1) = gamma^(L_c) S_c + dS_c over the chunks from the initial
  // state, leaving in `chunkStates` the state at the start of each chunk,
  // and the final state in `state`.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  SmallVector<gpu::MappingId> byGroup = {
      gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX};
  int64_t elements = keyDim * valueDim;
  Value groups = index(llvm::divideCeil(elements, threads));
  forEachBlock({batch, heads, groups}, byGroup, [&](ValueRange blocks) {
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
            Value slot = arith::AddIOp::create(
                inner, innerLoc,
                arith::MulIOp::create(inner, innerLoc, headIndex, chunks), c);
            SmallVector<Value> indices = {batchIndex, slot, row, column};
            Value contribution =
                memref::LoadOp::create(inner, innerLoc, chunkStates, indices);
            memref::StoreOp::create(inner, innerLoc, carried[0], chunkStates,
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
      if (state)
        memref::StoreOp::create(then, loc, scan.getResult(0), state,
                                at(row, column));
    });
  });
}

void RetentionKernelEmitter::emitParallel() {
  // Outputs: one block per (batch, head, query tile); key tiles up to the
  // diagonal accumulate in `accumulator` (compute type); the last adds the
  // initial state's contribution and the scale.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  Value tile = index(parallelTile);
  Value tiles = arith::CeilDivUIOp::create(b, length, tile);
  forEachBlock(
      {batch, heads, tiles},
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
                         /*stateBefore=*/StateRef{initialState, headIndex});
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
      {batch, heads}, {gpu::MappingId::DimY, gpu::MappingId::DimX},
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

SmallVector<Value> RetentionKernelEmitter::emit() {
  auto toBuffer = [&](Value tensor) -> Value {
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
  };
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
  int64_t heads = op.getNumHeads();

  auto allocate = [&](int64_t rows, int64_t columns, Type type) -> Value {
    auto memrefType =
        MemRefType::get({ShapedType::kDynamic, heads, rows, columns}, type);
    SmallVector<Value> sizes = {batch};
    if (rows == ShapedType::kDynamic)
      sizes.push_back(length);
    return memref::AllocOp::create(b, memrefType, sizes);
  };
  output = allocate(ShapedType::kDynamic, valueDim, elementType);
  bool needState = static_cast<bool>(op.getFinalStateValue());
  // Blocks of the whole sequence (parallel), of single tokens (recurrent)
  // or of chunks (chunkwise).
  std::optional<int64_t> blockLength = op.getBlockLength();
  bool sequential = blockLength == 1;
  // The final state; the token-by-token strategy also carries its state
  // there.
  if (needState || sequential)
    state = allocate(keyDim, valueDim, computeType);
  if (!blockLength) {
    accumulator = allocate(ShapedType::kDynamic, valueDim, computeType);
    emitParallel();
  } else if (sequential) {
    emitSequential(/*chunkSize=*/1);
  } else {
    emitChunkParallel(fittingChunkSize(*blockLength));
  }

  SmallVector<Value> results;
  auto toTensor = [&](Value buffer, Type type) {
    Value tensor = bufferization::ToTensorOp::create(
        b, memref::getTensorTypeFromMemRefType(buffer.getType()), buffer,
        /*restrict=*/true, /*writable=*/true);
    if (tensor.getType() != type)
      tensor = tensor::CastOp::create(b, type, tensor);
    return tensor;
  };
  results.push_back(toTensor(output, op->getResult(0).getType()));
  if (needState)
    results.push_back(toTensor(state, op.getFinalStateValue().getType()));
  return results;
}
