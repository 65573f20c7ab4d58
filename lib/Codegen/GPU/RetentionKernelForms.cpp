//===- RetentionKernelForms.cpp - GPU kernels of the parallel form --------===//

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
  // Blocks of the whole sequence (the parallel form): chunkwise ops are
  // split into their pieces first, and blocks of one token are tiled
  // upstream (convert-retention-to-gpu's TileTokenByToken).
  assert(!op.getBlockLength() && "expected the parallel form");
  if (needState)
    state = allocate({keyDim, valueDim}, computeType);
  accumulator = allocate({ShapedType::kDynamic, valueDim}, computeType, length);
  emitParallel();

  SmallVector<Value> results = {
      toTensor(output, op.getOutputValue().getType())};
  if (needState)
    results.push_back(toTensor(state, op.getFinalStateValue().getType()));
  return results;
}
