//===- BlockEmitter.cpp - The block formula as linalg on one head ---------===//

#include "BlockEmitter.h"

#include "Retention/IR/RetentionMath.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::retention;

namespace {
AffineMap map(MLIRContext *context, unsigned numDims, ArrayRef<unsigned> dims) {
  return retnet::projectionMap(context, numDims, dims);
}

Value multiply(OpBuilder &builder, Location loc, ValueRange args) {
  return arith::MulFOp::create(builder, loc, args[0], args[1]);
}

bool hasPart(BlockParts parts, BlockParts part) {
  return static_cast<int>(parts) & static_cast<int>(part);
}
} // namespace

void BlockEmitter::setGamma(Value gamma) {
  Value head = tensor::ExtractOp::create(
      b, gamma, ValueRange{arith::ConstantIndexOp::create(b, 0)});
  logGamma = math::LogOp::create(b, head);
}

Value BlockEmitter::zeros(ArrayRef<OpFoldResult> shape) {
  return retnet::buildZeros(b, b.getLoc(), shape, computeType);
}

Value BlockEmitter::emptyTensor(ArrayRef<OpFoldResult> shape,
                                Type elementType) {
  return retnet::buildEmpty(b, b.getLoc(), shape, elementType);
}

Value BlockEmitter::castElements(Value tensor, Type elementType) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == elementType)
    return tensor;
  Value init =
      emptyTensor(tensor::getMixedSizes(b, b.getLoc(), tensor), elementType);
  return retnet::buildElementwise(
      b, b.getLoc(), init, tensor, b.getMultiDimIdentityMap(type.getRank()),
      [&](OpBuilder &builder, Location loc, ValueRange args) {
        return convertFloat(builder, loc, args[0], elementType);
      });
}

Value BlockEmitter::matrixOf(Value tile, Value chunk) {
  auto type = cast<RankedTensorType>(tile.getType());
  int64_t rank = type.getRank();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets(rank, zero), sizes(rank - 2, one);
  if (chunk)
    offsets[2] = chunk;
  sizes.push_back(tensor::getMixedSize(b, b.getLoc(), tile, rank - 2));
  sizes.push_back(b.getIndexAttr(type.getDimSize(rank - 1)));
  auto matrixType = RankedTensorType::get(
      {type.getDimSize(rank - 2), type.getDimSize(rank - 1)},
      type.getElementType());
  return tensor::ExtractSliceOp::create(b, matrixType, tile, offsets, sizes,
                                        SmallVector<OpFoldResult>(rank, one));
}

Value BlockEmitter::emptyTile(RankedTensorType type, OpFoldResult rows) {
  OpFoldResult one = b.getIndexAttr(1);
  return emptyTensor({one, one, rows, b.getIndexAttr(type.getDimSize(3))},
                     type.getElementType());
}

Value BlockEmitter::tileResult(Value matrix, Value tile,
                               RankedTensorType type) {
  Value result = matrix;
  if (cast<RankedTensorType>(matrix.getType()).getRank() == 2) {
    auto tileType = cast<RankedTensorType>(tile.getType());
    matrix = castElements(matrix, tileType.getElementType());
    result = insertRows(matrix, tile, b.getIndexAttr(0),
                        tensor::getMixedSize(b, b.getLoc(), matrix, 0),
                        tileType.getDimSize(3));
  }
  if (result.getType() != type)
    result = tensor::CastOp::create(b, type, result);
  return result;
}

Value BlockEmitter::insertChunk(Value matrix, Value tile, Value chunk) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  auto type = cast<RankedTensorType>(tile.getType());
  return tensor::InsertSliceOp::create(
      b, matrix, tile, ArrayRef<OpFoldResult>{zero, zero, chunk, zero, zero},
      ArrayRef<OpFoldResult>{one, one, one, b.getIndexAttr(type.getDimSize(3)),
                             b.getIndexAttr(type.getDimSize(4))},
      SmallVector<OpFoldResult>(5, one));
}

Value BlockEmitter::sliceRows(Value matrix, OpFoldResult start,
                              OpFoldResult length, int64_t width) {
  return tensor::ExtractSliceOp::create(
      b, matrix, ArrayRef<OpFoldResult>{start, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{length, b.getIndexAttr(width)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// Offsets and sizes of the rows [start, start + length) of width `width`
/// of `target`: a matrix, or a [1, 1, rows, width] tile.
static std::pair<SmallVector<OpFoldResult>, SmallVector<OpFoldResult>>
rowsSlice(OpBuilder &b, Value target, OpFoldResult start, OpFoldResult length,
          int64_t width) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets = {start, zero};
  SmallVector<OpFoldResult> sizes = {length, b.getIndexAttr(width)};
  if (cast<RankedTensorType>(target.getType()).getRank() == 4) {
    offsets.insert(offsets.begin(), {zero, zero});
    sizes.insert(sizes.begin(), {one, one});
  }
  return {offsets, sizes};
}

Value BlockEmitter::insertRows(Value rows, Value target, OpFoldResult start,
                               OpFoldResult length, int64_t width) {
  auto [offsets, sizes] = rowsSlice(b, target, start, length, width);
  return tensor::InsertSliceOp::create(
      b, rows, target, offsets, sizes,
      SmallVector<OpFoldResult>(offsets.size(), b.getIndexAttr(1)));
}

Value BlockEmitter::extractRows(Value target, OpFoldResult start,
                                OpFoldResult length, int64_t width) {
  auto targetType = cast<RankedTensorType>(target.getType());
  if (targetType.getElementType() != computeType)
    return Value();
  auto [offsets, sizes] = rowsSlice(b, target, start, length, width);
  auto type = RankedTensorType::get(
      {getConstantIntValue(length).value_or(ShapedType::kDynamic), width},
      computeType);
  return tensor::ExtractSliceOp::create(
      b, type, target, offsets, sizes,
      SmallVector<OpFoldResult>(offsets.size(), b.getIndexAttr(1)));
}

Value BlockEmitter::generate(ArrayRef<OpFoldResult> shape,
                             retnet::ElementBodyFn body) {
  return retnet::buildGenerate(b, b.getLoc(), shape, computeType, body);
}

Value BlockEmitter::decayPowers(OpFoldResult length) {
  Value logGammaCompute = convertFloat(b, b.getLoc(), logGamma, computeType);
  return generate({length},
                  [&](OpBuilder &builder, Location loc, ValueRange ivs) {
                    return buildDistanceDecay(builder, loc, logGammaCompute,
                                              ivs[0], computeType);
                  });
}

void BlockEmitter::emitRowsDecay(BlockDecay &decay, Value powers, Value start,
                                 OpFoldResult rows, OpFoldResult width) {
  // D[i,j] = p[start+i-j] (j <= start+i) from the table p[k] = gamma^k: L
  // exponentials instead of L^2 (the parallel form's block is the whole
  // sequence).
  decay.mask = generate(
      {rows, width}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value row = arith::AddIOp::create(builder, loc, start, ivs[0]);
        return buildCausalDecayFromPowers(builder, loc, powers, row, ivs[1],
                                          computeType);
      });
  // xi_i = gamma^(start+i+1).
  decay.queryDecay =
      generate({rows}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        Value row = arith::AddIOp::create(builder, loc, start, ivs[0]);
        return buildDecayPower(builder, loc, logGamma,
                               arith::AddIOp::create(builder, loc, row, one),
                               computeType);
      });
}

BlockDecay BlockEmitter::emitBlockDecay(OpFoldResult length, BlockParts parts) {
  BlockDecay decay;
  Value lengthValue = getValueOrCreateConstantIndexOp(b, b.getLoc(), length);
  if (hasPart(parts, BlockParts::Outputs))
    emitRowsDecay(decay, decayPowers(length),
                  arith::ConstantIndexOp::create(b, 0), length, length);
  if (hasPart(parts, BlockParts::State)) {
    // zeta_j = gamma^(L-1-j).
    decay.keyDecay = generate({length}, [&](OpBuilder &builder, Location loc,
                                            ValueRange ivs) {
      Value one = arith::ConstantIndexOp::create(builder, loc, 1);
      Value last = arith::SubIOp::create(builder, loc, lengthValue, one);
      return buildDecayPower(builder, loc, logGamma,
                             arith::SubIOp::create(builder, loc, last, ivs[0]),
                             computeType);
    });
    decay.blockDecay =
        buildDecayPower(b, b.getLoc(), logGamma, lengthValue, computeType);
  }
  return decay;
}

Value BlockEmitter::transposeKeys(Value keys, OpFoldResult length) {
  return linalg::TransposeOp::create(
             b, keys,
             emptyTensor({b.getIndexAttr(keyDim), length}, computeType),
             ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

Value BlockEmitter::emitBlockOutput(Value queries, Value keys, Value values,
                                    Value state, OpFoldResult length,
                                    const BlockDecay &decay, Value position,
                                    Value destination) {
  // K is transposed first so that every matrix product reads rows of its
  // right operand.
  Value keysTransposed = transposeKeys(keys, length);
  std::optional<int64_t> staticLength = getConstantIntValue(length);
  if (!staticLength || *staticLength <= kBlockRowTile ||
      *staticLength % kBlockRowTile != 0)
    return emitRowsOutput(queries, keysTransposed, values, state, length,
                          length, decay, position);
  // A static block (a chunk) in row tiles: rows [r0, r0 + R) against the
  // keys and values of tokens [0, r0 + R), so the tiles above the diagonal
  // are not computed; all shapes stay static.
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  OpFoldResult tileRows = b.getIndexAttr(kBlockRowTile);
  Value output = destination ? destination
                             : emptyTensor({length, b.getIndexAttr(valueDim)},
                                           computeType);
  for (int64_t start = 0; start < *staticLength; start += kBlockRowTile) {
    OpFoldResult first = b.getIndexAttr(start),
                 width = b.getIndexAttr(start + kBlockRowTile);
    auto slice = [&](Value tensor, ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes) {
      return tensor::ExtractSliceOp::create(
          b, tensor, offsets, sizes,
          SmallVector<OpFoldResult>(offsets.size(), one));
    };
    BlockDecay rowsDecay;
    rowsDecay.mask = slice(decay.mask, {first, zero}, {tileRows, width});
    if (decay.queryDecay)
      rowsDecay.queryDecay = slice(decay.queryDecay, {first}, {tileRows});
    Value rows = emitRowsOutput(
        sliceRows(queries, first, tileRows, keyDim),
        slice(keysTransposed, {zero, zero}, {b.getIndexAttr(keyDim), width}),
        sliceRows(values, zero, width, valueDim), state, tileRows, width,
        rowsDecay,
        arith::AddIOp::create(b, position,
                              arith::ConstantIndexOp::create(b, start)),
        sliceRows(output, first, tileRows, valueDim));
    output = insertRows(rows, output, first, tileRows, valueDim);
  }
  return output;
}

Value BlockEmitter::emitParallelOutput(Value queries, Value keys, Value values,
                                       Value state, OpFoldResult length,
                                       Value position, Value output) {
  Value powers = decayPowers(length);
  Value keysTransposed = transposeKeys(keys, length);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  return forEachBlock(
             length, kParallelRowBlock, BlockParts::None, ValueRange{output},
             [&](Value start, OpFoldResult rows, const BlockDecay &,
                 ValueRange carried) -> SmallVector<Value> {
               // Row i of the block sees the keys of tokens [0, start + i].
               Value width = arith::AddIOp::create(
                   b, start,
                   getValueOrCreateConstantIndexOp(b, b.getLoc(), rows));
               BlockDecay decay;
               emitRowsDecay(decay, powers, start, rows, width);
               Value keysSeen = tensor::ExtractSliceOp::create(
                   b, keysTransposed, ArrayRef<OpFoldResult>{zero, zero},
                   ArrayRef<OpFoldResult>{b.getIndexAttr(keyDim), width},
                   ArrayRef<OpFoldResult>{one, one});
               Value out = emitRowsOutput(
                   sliceRows(queries, start, rows, keyDim), keysSeen,
                   sliceRows(values, zero, width, valueDim), state, rows, width,
                   decay, arith::AddIOp::create(b, position, start));
               return {insertRows(out, carried[0], start, rows, valueDim)};
             })
      .front();
}

Value BlockEmitter::emitRowsOutput(Value queries, Value keysTransposed,
                                   Value values, Value state,
                                   OpFoldResult length, OpFoldResult width,
                                   const BlockDecay &decay, Value position,
                                   Value destination) {
  MLIRContext *context = b.getContext();
  OpFoldResult dv = b.getIndexAttr(valueDim);
  auto contract = [&](Value lhs, Value rhs, Value init, AffineMap lhsMap,
                      AffineMap rhsMap) {
    return retnet::buildContraction(b, b.getLoc(), lhs, rhs, init, lhsMap,
                                    rhsMap);
  };
  auto update = [&](Value init, ValueRange inputs,
                    ArrayRef<AffineMap> inputMaps, retnet::ElementBodyFn body) {
    return retnet::buildElementwise(b, b.getLoc(), init, inputs, inputMaps,
                                    body);
  };
  // The output scale s_i of each row (decay_sqrt_sum) is folded into the
  // scores' mask and into the factor of the rows of Q S, so that no pass
  // over the output scales it: s (P V + xi Q S) = (s P) V + (s xi) (Q S).
  Value rowScale;
  if (scaling == Scaling::decay_sqrt_sum)
    rowScale = generate(
        {length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
          Value token = arith::AddIOp::create(builder, loc, position, ivs[0]);
          return buildOutputScale(builder, loc, logGamma, token, computeType);
        });
  auto timesRowScale = [&](OpBuilder &builder, Location loc, Value value,
                           ValueRange args) -> Value {
    return rowScale ? arith::MulFOp::create(builder, loc, value, args[1])
                    : value;
  };
  SmallVector<Value> rowInputs = {decay.mask};
  SmallVector<AffineMap> rowMaps = {map(context, 2, {0, 1})};
  if (rowScale) {
    rowInputs.push_back(rowScale);
    rowMaps.push_back(map(context, 2, {0}));
  }

  // Zeros written into the destination's own rows: each row tile's
  // accumulator then bufferizes in place there (zeros of a new tensor would
  // be one value for every tile of the same shape, after CSE).
  auto zeroRows = [&]() -> Value {
    return destination ? retnet::buildZeroFill(b, b.getLoc(), destination)
                       : zeros({length, dv});
  };
  // Inter-block first: (Q S) * (xi * s), its rows scaled in place, so that
  // both products are plain sums of products (a row factor of Q inside the
  // sum would be applied once per term).
  Value output;
  if (state) {
    output = contract(queries, state, zeroRows(), map(context, 3, {0, 2}),
                      map(context, 3, {2, 1}));
    // The scores' row inputs with xi in place of the mask.
    SmallVector<Value> factors(rowInputs);
    SmallVector<AffineMap> factorMaps(rowMaps);
    factors[0] = decay.queryDecay;
    factorMaps[0] = map(context, 2, {0});
    output = update(output, factors, factorMaps,
                    [&](OpBuilder &builder, Location loc, ValueRange args) {
                      Value decayed = arith::MulFOp::create(
                          builder, loc, args.back(), args[0]);
                      return timesRowScale(builder, loc, decayed, args);
                    });
  }

  // Intra-block: (Q K^T * D * s) V, accumulated into the same rows.
  Value scores = contract(queries, keysTransposed, zeros({length, width}),
                          map(context, 3, {0, 2}), map(context, 3, {2, 1}));
  scores = update(scores, rowInputs, rowMaps,
                  [&](OpBuilder &builder, Location loc, ValueRange args) {
                    Value masked = arith::MulFOp::create(builder, loc,
                                                         args.back(), args[0]);
                    return timesRowScale(builder, loc, masked, args);
                  });
  return contract(scores, values, output ? output : zeroRows(),
                  map(context, 3, {0, 2}), map(context, 3, {2, 1}));
}

Value BlockEmitter::emitBlockState(Value keys, Value values, Value state,
                                   OpFoldResult length,
                                   const BlockDecay &decay) {
  MLIRContext *context = b.getContext();
  OpFoldResult dk = b.getIndexAttr(keyDim), dv = b.getIndexAttr(valueDim);
  // gamma^L S is computed in place of S, so that a state carried by a loop
  // stays in one buffer.
  Value stateInit;
  if (!state) {
    stateInit = zeros({dk, dv});
  } else {
    Value blockDecay = decay.blockDecay;
    stateInit = retnet::buildElementwise(
        b, b.getLoc(), state, ValueRange{}, {},
        [&](OpBuilder &builder, Location loc, ValueRange args) {
          return arith::MulFOp::create(builder, loc, args[0], blockDecay)
              .getResult();
        });
  }
  Value decayedKeys = retnet::buildElementwise(
      b, b.getLoc(), emptyTensor({length, dk}, computeType),
      ValueRange{keys, decay.keyDecay},
      {map(context, 2, {0, 1}), map(context, 2, {0})}, multiply);
  return retnet::buildContraction(b, b.getLoc(), decayedKeys, values, stateInit,
                                  map(context, 3, {2, 0}),
                                  map(context, 3, {2, 1}));
}

std::pair<Value, Value> BlockEmitter::emitTokenStep(Value query, Value key,
                                                    Value value, Value state,
                                                    Value decay,
                                                    Value position) {
  MLIRContext *context = b.getContext();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  auto vectorOf = [&](Value row, int64_t width) -> Value {
    return tensor::ExtractSliceOp::create(
        b, RankedTensorType::get({width}, computeType), row,
        ArrayRef<OpFoldResult>{zero, zero},
        ArrayRef<OpFoldResult>{one, b.getIndexAttr(width)},
        ArrayRef<OpFoldResult>{one, one});
  };
  // One pass over the state, rows i outer and columns j inner:
  //   S'[i, j] = gamma S[i, j] + k[i] v[j],   o[j] += q[i] S'[i, j],
  // the state read and written once and the output row accumulated as it
  // goes (i is a reduction for o, and S' is written once per (i, j)).
  Value zeroRow = zeros({b.getIndexAttr(valueDim)});
  auto step = linalg::GenericOp::create(
      b, TypeRange{state.getType(), zeroRow.getType()},
      ValueRange{vectorOf(key, keyDim), vectorOf(value, valueDim),
                 vectorOf(query, keyDim)},
      ValueRange{state, zeroRow},
      ArrayRef<AffineMap>{map(context, 2, {0}), map(context, 2, {1}),
                          map(context, 2, {0}), map(context, 2, {0, 1}),
                          map(context, 2, {1})},
      ArrayRef<utils::IteratorType>{utils::IteratorType::reduction,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &builder, Location loc, ValueRange args) {
        Value decayed = arith::MulFOp::create(builder, loc, args[3], decay);
        Value outer = arith::MulFOp::create(builder, loc, args[0], args[1]);
        Value next = arith::AddFOp::create(builder, loc, decayed, outer);
        Value sum = arith::AddFOp::create(
            builder, loc, args[4],
            arith::MulFOp::create(builder, loc, args[2], next));
        linalg::YieldOp::create(builder, loc, ValueRange{next, sum});
      });
  Value next = step.getResult(0), output = step.getResult(1);
  // o = s (q S'), scaled in place in the output row.
  if (scaling == Scaling::decay_sqrt_sum) {
    Value scale =
        buildOutputScale(b, b.getLoc(), logGamma, position, computeType);
    output = retnet::buildElementwise(
        b, b.getLoc(), output, ValueRange{}, {},
        [&](OpBuilder &builder, Location loc, ValueRange args) -> Value {
          return arith::MulFOp::create(builder, loc, args[0], scale);
        });
  }
  return {output, next};
}

SmallVector<Value> BlockEmitter::forEachBlock(OpFoldResult length,
                                              int64_t blockSize,
                                              BlockParts parts,
                                              ValueRange carried,
                                              BlockBody body) {
  // The split into full blocks and the rest is affine, so that the rest's
  // size has a constant upper bound (blockSize - 1) that value-bounds
  // analysis finds (a GPU block sizes its buffers by it).
  AffineExpr tokens;
  bindSymbols(b.getContext(), tokens);
  auto apply = [&](AffineExpr expr) {
    return affine::makeComposedFoldedAffineApply(b, b.getLoc(), expr, {length});
  };
  auto value = [&](OpFoldResult result) {
    return getValueOrCreateConstantIndexOp(b, b.getLoc(), result);
  };
  Value blockSizeValue = arith::ConstantIndexOp::create(b, blockSize);
  Value fullBlocks = value(apply(tokens.floorDiv(blockSize)));
  OpFoldResult staticBlock = b.getIndexAttr(blockSize);
  BlockDecay decay = emitBlockDecay(staticBlock, parts);
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  auto loop = scf::ForOp::create(b, zero, fullBlocks, one, carried);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value start =
        arith::MulIOp::create(b, loop.getInductionVar(), blockSizeValue);
    scf::YieldOp::create(
        b, body(start, staticBlock, decay, loop.getRegionIterArgs()));
  }
  if (blockSize == 1)
    return loop.getResults();

  // The shorter last block (possibly empty; none where it is known to be).
  OpFoldResult rest = apply(tokens % blockSize);
  if (isZeroInteger(rest))
    return loop.getResults();
  Value start = value(apply(tokens.floorDiv(blockSize) * blockSize));
  return body(start, rest, emitBlockDecay(rest, parts), loop.getResults());
}
