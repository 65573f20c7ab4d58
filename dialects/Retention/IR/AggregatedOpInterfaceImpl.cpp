//===- AggregatedOpInterfaceImpl.cpp - Retention decomposed into linalg ---===//
//
// linalg::AggregatedOpInterface for the three retention ops: an op whose
// batch and heads are both static 1 (a tile of TilingInterface) decomposes
// into linalg, tensor and scf on the matrices of that head. This is the one
// place of the block formula and of the decay, scale and mask maths:
//
//   O  = s * ((Q K^T * D) V + xi * (Q S))     D[i,j] = gamma^(i-j) (j <= i)
//   S' = gamma^L S + (K * zeta)^T V           xi_i = gamma^(i+1),
//                                             zeta_j = gamma^(L-1-j)
//
// applied to blocks of L = getBlockLength() tokens: one block of the whole
// sequence (parallel), an scf.for over tokens (recurrent), or an scf.for
// over full chunks of static size followed by one shorter block
// (chunkwise). Matrix products are linalg contractions with static shapes
// inside chunks. f16 and bf16 are computed in f32, f64 in f64; decay powers
// are exp(k ln gamma), the decay_sqrt_sum scale uses expm1 in f64.
//
//===----------------------------------------------------------------------===//

#include "Retention/IR/RetentionMath.h"
#include "Retention/IR/RetentionOps.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::retention;

namespace {
/// Decay factors of a block of L tokens of one head.
struct BlockDecay {
  Value mask;       // [L, L]: gamma^(i-j) for j <= i, else 0
  Value queryDecay; // [L]: xi_i = gamma^(i+1)
  Value keyDecay;   // [L]: zeta_j = gamma^(L-1-j)
  Value blockDecay; // scalar: gamma^L
};

/// Emits the maths of one head of a retention op whose batch and heads are
/// both 1, as linalg, tensor and scf on that head's matrices.
class HeadEmitter {
public:
  HeadEmitter(ImplicitLocOpBuilder &b, RetentionOpInterface op)
      : b(b), op(op), keyDim(op.getKeyDim()), valueDim(op.getValueDim()),
        computeType(getStateElementType(op.getElementType())),
        scaling(op.getScalingKind()) {}

  /// Builds the replacement values of the op's results.
  SmallVector<Value> emit();

private:
  // Shorthands of the shared builders, at this op's location.
  Value constantFloat(Type type, double value) {
    return arith::ConstantOp::create(b, type, b.getFloatAttr(type, value));
  }
  Value emptyTensor(ArrayRef<OpFoldResult> shape, Type elementType) {
    return retnet::buildEmpty(b, b.getLoc(), shape, elementType);
  }
  Value zeros(ArrayRef<OpFoldResult> shape) {
    return retnet::buildZeros(b, b.getLoc(), shape, computeType);
  }
  AffineMap map(unsigned numDims, ArrayRef<unsigned> dims) {
    return retnet::projectionMap(b.getContext(), numDims, dims);
  }
  Value contract(Value lhs, Value rhs, Value init, AffineMap lhsMap,
                 AffineMap rhsMap) {
    return retnet::buildContraction(b, b.getLoc(), lhs, rhs, init, lhsMap,
                                    rhsMap);
  }
  Value generate(ArrayRef<OpFoldResult> shape, retnet::ElementBodyFn body) {
    return retnet::buildGenerate(b, b.getLoc(), shape, computeType, body);
  }
  Value update(Value init, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
               retnet::ElementBodyFn body) {
    return retnet::buildElementwise(b, b.getLoc(), init, inputs, inputMaps,
                                    body);
  }
  /// Casts a tensor elementwise to `elementType`.
  Value castElements(Value tensor, Type elementType);
  /// The [rows, columns] matrix of a [1, 1, rows, columns] operand.
  Value headMatrix(Value tensor);
  /// An empty [1, 1, rows, columns] tile of a result of type `type`.
  Value headTile(RankedTensorType type, OpFoldResult rows);
  /// The result of type `type` from `matrix`: a [rows, columns] matrix
  /// converted to the element type of `tile` and inserted into it, or the
  /// tile itself when the rows were computed into it.
  Value headResult(Value matrix, Value tile, RankedTensorType type);

  BlockDecay emitBlockDecay(OpFoldResult length);
  Value emitOutputScale(OpFoldResult length, Value position);
  std::pair<Value, Value> emitBlock(Value queries, Value keys, Value values,
                                    Value state, OpFoldResult length,
                                    const BlockDecay &decay, Value position,
                                    bool needState);
  std::pair<Value, Value> emitHead(Value queries, Value keys, Value values,
                                   Value state, Value outputInit,
                                   Value position, bool needState);

  ImplicitLocOpBuilder &b;
  RetentionOpInterface op;
  int64_t keyDim, valueDim;
  Type computeType;
  Scaling scaling;
  /// ln(gamma) of the head being emitted, f64.
  Value logGamma;
};
} // namespace

Value HeadEmitter::castElements(Value tensor, Type elementType) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == elementType)
    return tensor;
  Value init =
      emptyTensor(tensor::getMixedSizes(b, b.getLoc(), tensor), elementType);
  return update(init, tensor, b.getMultiDimIdentityMap(type.getRank()),
                [&](OpBuilder &builder, Location loc, ValueRange args) {
                  return convertFloat(builder, loc, args[0], elementType);
                });
}

BlockDecay HeadEmitter::emitBlockDecay(OpFoldResult length) {
  BlockDecay decay;
  Value lengthValue = getValueOrCreateConstantIndexOp(b, b.getLoc(), length);
  Value logGammaCompute = convertFloat(b, b.getLoc(), logGamma, computeType);
  decay.mask = generate({length, length},
                        [&](OpBuilder &builder, Location loc, ValueRange ivs) {
                          return buildCausalDecay(builder, loc, logGammaCompute,
                                                  ivs[0], ivs[1], computeType);
                        });
  // xi_i = gamma^(i+1) and zeta_j = gamma^(L-1-j).
  decay.queryDecay =
      generate({length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        return buildDecayPower(builder, loc, logGamma,
                               arith::AddIOp::create(builder, loc, ivs[0], one),
                               computeType);
      });
  decay.keyDecay =
      generate({length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        Value last = arith::SubIOp::create(builder, loc, lengthValue, one);
        return buildDecayPower(
            builder, loc, logGamma,
            arith::SubIOp::create(builder, loc, last, ivs[0]), computeType);
      });
  decay.blockDecay =
      buildDecayPower(b, b.getLoc(), logGamma, lengthValue, computeType);
  return decay;
}

Value HeadEmitter::emitOutputScale(OpFoldResult length, Value position) {
  return generate(
      {length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value token = arith::AddIOp::create(builder, loc, position, ivs[0]);
        return buildOutputScale(builder, loc, logGamma, token, computeType);
      });
}

std::pair<Value, Value> HeadEmitter::emitBlock(Value queries, Value keys,
                                               Value values, Value state,
                                               OpFoldResult length,
                                               const BlockDecay &decay,
                                               Value position, bool needState) {
  OpFoldResult dk = b.getIndexAttr(keyDim), dv = b.getIndexAttr(valueDim);
  auto multiply = [](OpBuilder &builder, Location loc, ValueRange args) {
    return arith::MulFOp::create(builder, loc, args[0], args[1]).getResult();
  };

  // Intra-block: (Q K^T * D) V. K is transposed first so that every matrix
  // product reads rows of its right operand.
  Value keysTransposed = linalg::TransposeOp::create(
                             b, keys, emptyTensor({dk, length}, computeType),
                             ArrayRef<int64_t>{1, 0})
                             .getResult()[0];
  Value scores = contract(queries, keysTransposed, zeros({length, length}),
                          map(3, {0, 2}), map(3, {2, 1}));
  scores = update(scores, decay.mask, map(2, {0, 1}), multiply);
  Value output = contract(scores, values, zeros({length, dv}), map(3, {0, 2}),
                          map(3, {2, 1}));

  // Inter-block: xi * (Q S), then the output scaling.
  SmallVector<Value> inputs;
  SmallVector<AffineMap> inputMaps;
  if (state) {
    Value fromState = contract(queries, state, zeros({length, dv}),
                               map(3, {0, 2}), map(3, {2, 1}));
    inputs.append({fromState, decay.queryDecay});
    inputMaps.append({map(2, {0, 1}), map(2, {0})});
  }
  if (scaling == Scaling::decay_sqrt_sum) {
    inputs.push_back(emitOutputScale(length, position));
    inputMaps.push_back(map(2, {0}));
  }
  if (!inputs.empty()) {
    bool hasState = static_cast<bool>(state);
    bool scaled = scaling == Scaling::decay_sqrt_sum;
    output =
        update(output, inputs, inputMaps,
               [&](OpBuilder &builder, Location loc, ValueRange args) {
                 Value result = args.back();
                 if (hasState)
                   result = arith::AddFOp::create(
                       builder, loc, result,
                       arith::MulFOp::create(builder, loc, args[0], args[1]));
                 if (scaled)
                   result = arith::MulFOp::create(builder, loc, result,
                                                  args[inputs.size() - 1]);
                 return result;
               });
  }
  if (!needState)
    return {output, Value()};

  // S' = gamma^L S + (K * zeta)^T V.
  // gamma^L S is computed in place of S, so that a state carried by a loop
  // stays in one buffer.
  Value stateInit;
  if (!state) {
    stateInit = zeros({dk, dv});
  } else {
    Value blockDecay = decay.blockDecay;
    stateInit =
        update(state, ValueRange{}, {},
               [&](OpBuilder &builder, Location loc, ValueRange args) {
                 return arith::MulFOp::create(builder, loc, args[0], blockDecay)
                     .getResult();
               });
  }
  Value decayedKeys = update(emptyTensor({length, dk}, computeType),
                             ValueRange{keys, decay.keyDecay},
                             {map(2, {0, 1}), map(2, {0})}, multiply);
  Value newState =
      contract(decayedKeys, values, stateInit, map(3, {2, 0}), map(3, {2, 1}));
  return {output, newState};
}

/// Slices rows [start, start + length) of a 2-d tensor of width `width`.
static Value sliceRows(ImplicitLocOpBuilder &b, Value matrix,
                       OpFoldResult start, OpFoldResult length, int64_t width) {
  return tensor::ExtractSliceOp::create(
      b, matrix, ArrayRef<OpFoldResult>{start, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{length, b.getIndexAttr(width)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// Inserts the rows [start, start + length) of width `width` into `target`:
/// a matrix, or the [1, 1, rows, width] tile of a result.
static Value insertRows(ImplicitLocOpBuilder &b, Value rows, Value target,
                        OpFoldResult start, OpFoldResult length,
                        int64_t width) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets = {start, zero};
  SmallVector<OpFoldResult> sizes = {length, b.getIndexAttr(width)};
  if (cast<RankedTensorType>(target.getType()).getRank() == 4) {
    offsets.insert(offsets.begin(), {zero, zero});
    sizes.insert(sizes.begin(), {one, one});
  }
  return tensor::InsertSliceOp::create(
      b, rows, target, offsets, sizes,
      SmallVector<OpFoldResult>(offsets.size(), one));
}

std::pair<Value, Value> HeadEmitter::emitHead(Value queries, Value keys,
                                              Value values, Value state,
                                              Value outputInit, Value position,
                                              bool needState) {
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), queries, 0);
  std::optional<int64_t> blockLength = op.getBlockLength();
  if (!blockLength) {
    BlockDecay decay = emitBlockDecay(length);
    auto [output, newState] = emitBlock(queries, keys, values, state, length,
                                        decay, position, needState);
    output =
        insertRows(b, output, outputInit, b.getIndexAttr(0), length, valueDim);
    return {output, newState};
  }

  // Full blocks of static size, carrying the state; the decay tables do not
  // depend on the block and are computed once.
  Value lengthValue = getValueOrCreateConstantIndexOp(b, b.getLoc(), length);
  int64_t blockSize = *blockLength;
  Value blockSizeValue = arith::ConstantIndexOp::create(b, blockSize);
  Value fullBlocks = arith::DivUIOp::create(b, lengthValue, blockSizeValue);
  OpFoldResult staticBlock = b.getIndexAttr(blockSize);
  BlockDecay decay = emitBlockDecay(staticBlock);
  if (!state)
    state = zeros({b.getIndexAttr(keyDim), b.getIndexAttr(valueDim)});
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  auto loop = scf::ForOp::create(b, zero, fullBlocks, one,
                                 ValueRange{outputInit, state});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value start =
        arith::MulIOp::create(b, loop.getInductionVar(), blockSizeValue);
    Value blockPosition = arith::AddIOp::create(b, position, start);
    ValueRange carried = loop.getRegionIterArgs();
    auto [output, newState] = emitBlock(
        sliceRows(b, queries, start, staticBlock, keyDim),
        sliceRows(b, keys, start, staticBlock, keyDim),
        sliceRows(b, values, start, staticBlock, valueDim), carried[1],
        staticBlock, decay, blockPosition, /*needState=*/true);
    Value outputs =
        insertRows(b, output, carried[0], start, staticBlock, valueDim);
    scf::YieldOp::create(b, ValueRange{outputs, newState});
  }
  Value output = loop.getResult(0);
  state = loop.getResult(1);
  if (blockSize == 1)
    return {output, state};

  // The shorter last block (possibly empty).
  Value start = arith::MulIOp::create(b, fullBlocks, blockSizeValue);
  Value rest = arith::SubIOp::create(b, lengthValue, start);
  BlockDecay restDecay = emitBlockDecay(rest);
  auto [restOutput, restState] = emitBlock(
      sliceRows(b, queries, start, rest, keyDim),
      sliceRows(b, keys, start, rest, keyDim),
      sliceRows(b, values, start, rest, valueDim), state, rest, restDecay,
      arith::AddIOp::create(b, position, start), needState);
  output = insertRows(b, restOutput, output, start, rest, valueDim);
  return {output, restState};
}

Value HeadEmitter::headMatrix(Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> sizes = {
      one, one, tensor::getMixedSize(b, b.getLoc(), tensor, 2),
      b.getIndexAttr(type.getDimSize(3))};
  auto matrixType = RankedTensorType::get(
      {type.getDimSize(2), type.getDimSize(3)}, type.getElementType());
  return tensor::ExtractSliceOp::create(
      b, matrixType, tensor, SmallVector<OpFoldResult>(4, zero), sizes,
      SmallVector<OpFoldResult>(4, one));
}

Value HeadEmitter::headTile(RankedTensorType type, OpFoldResult rows) {
  OpFoldResult one = b.getIndexAttr(1);
  return emptyTensor({one, one, rows, b.getIndexAttr(type.getDimSize(3))},
                     type.getElementType());
}

Value HeadEmitter::headResult(Value matrix, Value tile, RankedTensorType type) {
  Value result = matrix;
  if (cast<RankedTensorType>(matrix.getType()).getRank() == 2) {
    auto tileType = cast<RankedTensorType>(tile.getType());
    matrix = castElements(matrix, tileType.getElementType());
    result = insertRows(b, matrix, tile, b.getIndexAttr(0),
                        tensor::getMixedSize(b, b.getLoc(), matrix, 0),
                        tileType.getDimSize(3));
  }
  if (result.getType() != type)
    result = tensor::CastOp::create(b, type, result);
  return result;
}

SmallVector<Value> HeadEmitter::emit() {
  Value queries = castElements(headMatrix(op.getQueries()), computeType);
  Value keys = castElements(headMatrix(op.getKeys()), computeType);
  Value values = castElements(headMatrix(op.getValues()), computeType);
  Value state;
  if (Value initialState = op.getInitialStateValue())
    state = headMatrix(initialState);
  Value offset = op.getOffsetValue();
  if (!offset)
    offset = arith::ConstantIndexOp::create(b, 0);
  bool needState = static_cast<bool>(op.getFinalStateValue());

  Value gamma = tensor::ExtractOp::create(
      b, op.getGammaValue(), ValueRange{arith::ConstantIndexOp::create(b, 0)});
  logGamma = math::LogOp::create(b, gamma);

  // The output's rows are computed in place into the result's tile when
  // no conversion follows (after tiling, into the tile of the loop's
  // shared output), else into a matrix of the compute type.
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), queries, 0);
  RankedTensorType outputType = op.getOutputValue().getType();
  Value outputTile = headTile(outputType, length);
  Value outputInit =
      outputType.getElementType() == computeType
          ? outputTile
          : emptyTensor({length, b.getIndexAttr(valueDim)}, computeType);
  auto [output, finalState] =
      emitHead(queries, keys, values, state, outputInit, offset, needState);

  SmallVector<Value> results = {headResult(output, outputTile, outputType)};
  if (needState) {
    auto stateType = cast<RankedTensorType>(op.getFinalStateValue().getType());
    Value stateTile = headTile(stateType, b.getIndexAttr(keyDim));
    results.push_back(headResult(finalState, stateTile, stateType));
  }
  return results;
}

namespace {
template <typename OpTy>
struct RetentionDecompositionModel
    : public linalg::AggregatedOpInterface::ExternalModel<
          RetentionDecompositionModel<OpTy>, OpTy> {
  FailureOr<SmallVector<Value>> decomposeOperation(Operation *op,
                                                   OpBuilder &builder) const {
    auto retention = cast<RetentionOpInterface>(op);
    RankedTensorType queries = retention.getQueries().getType();
    // The maths of one head: batch and heads must be tiled to 1 first.
    if (queries.getDimSize(0) != 1 || queries.getDimSize(1) != 1)
      return failure();
    ImplicitLocOpBuilder b(op->getLoc(), builder);
    return HeadEmitter(b, retention).emit();
  }
};
} // namespace

void mlir::retention::attachDecompositionInterface(MLIRContext &context) {
  ParallelOp::attachInterface<RetentionDecompositionModel<ParallelOp>>(context);
  RecurrentOp::attachInterface<RetentionDecompositionModel<RecurrentOp>>(
      context);
  ChunkwiseOp::attachInterface<RetentionDecompositionModel<ChunkwiseOp>>(
      context);
}
