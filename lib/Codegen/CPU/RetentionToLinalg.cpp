//===- RetentionToLinalg.cpp - Lower retention forms to linalg ------------===//

#include "retnet/Codegen/CPU/Passes.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "Retention/IR/RetentionOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_CONVERTRETENTIONTOLINALG
#include "retnet/Codegen/CPU/Passes.h.inc"
} // namespace mlir::retnet

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

/// Emits the linalg form of one retention op. Everything after the
/// `scf.forall` over batch x heads works on the matrices of a single head.
class RetentionEmitter {
public:
  RetentionEmitter(ImplicitLocOpBuilder &b, RetentionOpInterface op)
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
  Value toComputeType(OpBuilder &builder, Location loc, Value value) {
    if (value.getType() == computeType)
      return value;
    return arith::TruncFOp::create(builder, loc, computeType, value);
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
  /// Casts a 4-d tensor elementwise to `elementType`.
  Value castElements(Value tensor, Type elementType);

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

Value RetentionEmitter::castElements(Value tensor, Type elementType) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == elementType)
    return tensor;
  Value init =
      emptyTensor(tensor::getMixedSizes(b, b.getLoc(), tensor), elementType);
  bool widen = elementType.getIntOrFloatBitWidth() >
               type.getElementType().getIntOrFloatBitWidth();
  return update(
      init, tensor, b.getMultiDimIdentityMap(type.getRank()),
      [&](OpBuilder &builder, Location loc, ValueRange args) {
        if (widen)
          return arith::ExtFOp::create(builder, loc, elementType, args[0])
              .getResult();
        return arith::TruncFOp::create(builder, loc, elementType, args[0])
            .getResult();
      });
}

BlockDecay RetentionEmitter::emitBlockDecay(OpFoldResult length) {
  BlockDecay decay;
  Type f64 = b.getF64Type();
  Value lengthValue = getValueOrCreateConstantIndexOp(b, b.getLoc(), length);
  // The mask is computed in the compute type: its exponent (i - j) ln(gamma)
  // is exact up to the rounding of ln(gamma), a relative error of one ulp of
  // the exponent, which keeps every kept entry within a few ulps.
  Value logGammaCompute = toComputeType(b, b.getLoc(), logGamma);
  decay.mask = generate(
      {length, length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value distance = arith::SubIOp::create(builder, loc, ivs[0], ivs[1]);
        Value exponent = arith::MulFOp::create(
            builder, loc,
            retnet::buildIndexToFloat(builder, loc, distance, computeType),
            logGammaCompute);
        Value power = math::ExpOp::create(builder, loc, exponent);
        Value causal = arith::CmpIOp::create(
            builder, loc, arith::CmpIPredicate::sle, ivs[1], ivs[0]);
        Value zero = arith::ConstantOp::create(
            builder, loc, builder.getFloatAttr(computeType, 0.0));
        return arith::SelectOp::create(builder, loc, causal, power, zero)
            .getResult();
      });
  // xi_i = gamma^(i+1) and zeta_j = gamma^(L-1-j), computed in f64.
  auto power = [&](OpBuilder &builder, Location loc, Value exponentIndex) {
    Value exponent =
        retnet::buildIndexToFloat(builder, loc, exponentIndex, f64);
    Value logPower = arith::MulFOp::create(builder, loc, exponent, logGamma);
    return toComputeType(builder, loc,
                         math::ExpOp::create(builder, loc, logPower));
  };
  decay.queryDecay =
      generate({length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        return power(builder, loc,
                     arith::AddIOp::create(builder, loc, ivs[0], one));
      });
  decay.keyDecay =
      generate({length}, [&](OpBuilder &builder, Location loc, ValueRange ivs) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        Value last = arith::SubIOp::create(builder, loc, lengthValue, one);
        return power(builder, loc,
                     arith::SubIOp::create(builder, loc, last, ivs[0]));
      });
  decay.blockDecay = power(b, b.getLoc(), lengthValue);
  return decay;
}

Value RetentionEmitter::emitOutputScale(OpFoldResult length, Value position) {
  // s_i = 1 / sqrt(sum_{t=0}^{p} gamma^t) = sqrt(expm1(ln g) / expm1((p+1) ln
  // g)) with p = position + i, in f64: expm1 keeps the relative accuracy where
  // gamma^(p+1) is close to 1.
  Type f64 = b.getF64Type();
  Value numerator = math::ExpM1Op::create(b, logGamma);
  return generate({length}, [&](OpBuilder &builder, Location loc,
                                ValueRange ivs) {
    Value one = arith::ConstantIndexOp::create(builder, loc, 1);
    Value count = arith::AddIOp::create(
        builder, loc, arith::AddIOp::create(builder, loc, position, ivs[0]),
        one);
    Value exponent = arith::MulFOp::create(
        builder, loc, retnet::buildIndexToFloat(builder, loc, count, f64),
        logGamma);
    Value denominator = math::ExpM1Op::create(builder, loc, exponent);
    Value ratio = arith::DivFOp::create(builder, loc, numerator, denominator);
    return toComputeType(builder, loc,
                         math::SqrtOp::create(builder, loc, ratio));
  });
}

std::pair<Value, Value> RetentionEmitter::emitBlock(
    Value queries, Value keys, Value values, Value state, OpFoldResult length,
    const BlockDecay &decay, Value position, bool needState) {
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

static Value insertRows(ImplicitLocOpBuilder &b, Value rows, Value matrix,
                        OpFoldResult start, OpFoldResult length,
                        int64_t width) {
  return tensor::InsertSliceOp::create(
      b, rows, matrix, ArrayRef<OpFoldResult>{start, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{length, b.getIndexAttr(width)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

std::pair<Value, Value>
RetentionEmitter::emitHead(Value queries, Value keys, Value values, Value state,
                           Value outputInit, Value position, bool needState) {
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), queries, 0);
  int64_t blockSize = 0; // 0: the whole sequence in one block.
  if (isa<RecurrentOp>(op.getOperation()))
    blockSize = 1;
  else if (auto chunkwise = dyn_cast<ChunkwiseOp>(op.getOperation()))
    blockSize = chunkwise.getChunkSizeAttr().getInt();

  if (blockSize == 0) {
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

SmallVector<Value> RetentionEmitter::emit() {
  Value queries = castElements(op.getQueries(), computeType);
  Value keys = castElements(op.getKeys(), computeType);
  Value values = castElements(op.getValues(), computeType);
  Value initialState = op.getInitialStateValue();
  Value offset = op.getOffsetValue();
  if (!offset)
    offset = arith::ConstantIndexOp::create(b, 0);
  bool needState = static_cast<bool>(op.getFinalStateValue());
  int64_t heads = op.getNumHeads();

  SmallVector<double> logGammas;
  for (double gamma : op.getGammaValues())
    logGammas.push_back(std::log(gamma));
  Value logGammaTable = arith::ConstantOp::create(
      b, DenseElementsAttr::get(RankedTensorType::get({heads}, b.getF64Type()),
                                ArrayRef<double>(logGammas)));

  OpFoldResult batch = tensor::getMixedSize(b, b.getLoc(), queries, 0);
  OpFoldResult length = tensor::getMixedSize(b, b.getLoc(), queries, 2);
  OpFoldResult headsSize = b.getIndexAttr(heads);
  OpFoldResult dk = b.getIndexAttr(keyDim), dv = b.getIndexAttr(valueDim);
  SmallVector<Value> sharedOutputs = {
      emptyTensor({batch, headsSize, length, dv}, computeType)};
  if (needState)
    sharedOutputs.push_back(
        emptyTensor({batch, headsSize, dk, dv}, computeType));

  OpFoldResult zero = b.getIndexAttr(0), unit = b.getIndexAttr(1);
  SmallVector<OpFoldResult> unitStrides(4, unit);
  auto headOffsets = [&](Value batchIndex, Value headIndex) {
    return SmallVector<OpFoldResult>{batchIndex, headIndex, zero, zero};
  };
  // The output and final state of head (batchIndex, headIndex), computed
  // into slices of `shared`.
  auto emitHeadAt = [&](Value batchIndex, Value headIndex, ValueRange shared) {
    logGamma = tensor::ExtractOp::create(b, logGammaTable, headIndex);
    auto headSlice = [&](Value tensor, OpFoldResult rows, int64_t width) {
      auto type = RankedTensorType::get(
          {getConstantIntValue(rows).value_or(ShapedType::kDynamic), width},
          cast<RankedTensorType>(tensor.getType()).getElementType());
      return tensor::ExtractSliceOp::create(
          b, type, tensor, headOffsets(batchIndex, headIndex),
          ArrayRef<OpFoldResult>{unit, unit, rows, b.getIndexAttr(width)},
          unitStrides);
    };
    Value state;
    if (initialState)
      state = headSlice(initialState, dk, valueDim);
    Value outputInit = headSlice(shared[0], length, valueDim);
    return emitHead(headSlice(queries, length, keyDim),
                    headSlice(keys, length, keyDim),
                    headSlice(values, length, valueDim), state, outputInit,
                    offset, needState);
  };
  SmallVector<OpFoldResult> outputSizes = {unit, unit, length, dv};
  SmallVector<OpFoldResult> stateSizes = {unit, unit, dk, dv};

  // A single token per head (decoding) is far less work than an OpenMP
  // fork and join: its heads run in a sequential loop. Otherwise batch x
  // heads is an scf.forall, the unit of multi-threading.
  SmallVector<Value> headResults;
  if (getConstantIntValue(length) == 1) {
    Value zeroIndex = arith::ConstantIndexOp::create(b, 0);
    Value oneIndex = arith::ConstantIndexOp::create(b, 1);
    Value batchValue = getValueOrCreateConstantIndexOp(b, b.getLoc(), batch);
    Value headsValue = arith::ConstantIndexOp::create(b, heads);
    auto batchLoop =
        scf::ForOp::create(b, zeroIndex, batchValue, oneIndex, sharedOutputs);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(batchLoop.getBody());
      auto headLoop = scf::ForOp::create(b, zeroIndex, headsValue, oneIndex,
                                         batchLoop.getRegionIterArgs());
      {
        OpBuilder::InsertionGuard innerGuard(b);
        b.setInsertionPointToStart(headLoop.getBody());
        Value batchIndex = batchLoop.getInductionVar();
        Value headIndex = headLoop.getInductionVar();
        ValueRange carried = headLoop.getRegionIterArgs();
        auto [output, finalState] = emitHeadAt(batchIndex, headIndex, carried);
        SmallVector<Value> updated = {tensor::InsertSliceOp::create(
            b, output, carried[0], headOffsets(batchIndex, headIndex),
            outputSizes, unitStrides)};
        if (needState)
          updated.push_back(tensor::InsertSliceOp::create(
              b, finalState, carried[1], headOffsets(batchIndex, headIndex),
              stateSizes, unitStrides));
        scf::YieldOp::create(b, updated);
      }
      scf::YieldOp::create(b, headLoop.getResults());
    }
    headResults = batchLoop.getResults();
  } else {
    auto forall = scf::ForallOp::create(
        b, ArrayRef<OpFoldResult>{zero, zero},
        ArrayRef<OpFoldResult>{batch, headsSize},
        ArrayRef<OpFoldResult>{unit, unit}, sharedOutputs, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(forall.getTerminator());
      Value batchIndex = forall.getInductionVar(0);
      Value headIndex = forall.getInductionVar(1);
      ValueRange shared = forall.getRegionIterArgs();
      auto [output, finalState] = emitHeadAt(batchIndex, headIndex, shared);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, output, shared[0],
                                            headOffsets(batchIndex, headIndex),
                                            outputSizes, unitStrides);
      if (needState)
        tensor::ParallelInsertSliceOp::create(
            b, finalState, shared[1], headOffsets(batchIndex, headIndex),
            stateSizes, unitStrides);
    }
    headResults = forall.getResults();
  }

  SmallVector<Value> results;
  Value output = castElements(headResults[0], op.getElementType());
  results.push_back(output);
  if (needState)
    results.push_back(headResults[1]);
  for (auto [result, original] : llvm::zip(results, op->getResults()))
    if (result.getType() != original.getType())
      result = tensor::CastOp::create(b, original.getType(), result);
  return results;
}

namespace {
struct LowerRetentionPattern
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder builder(op.getLoc(), rewriter);
    SmallVector<Value> results = RetentionEmitter(builder, op).emit();
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct ConvertRetentionToLinalgPass
    : public retnet::impl::ConvertRetentionToLinalgBase<
          ConvertRetentionToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerRetentionPattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
