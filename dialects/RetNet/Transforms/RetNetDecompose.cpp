//===- RetNetDecompose.cpp - Lower model-graph ops to retention + linalg --===//

#include "RetNet/Transforms/Passes.h"
#include "retnet/ModelNumerics.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "RetNet/IR/RetNetOps.h"
#include "Retention/IR/RetentionMath.h"
#include "Retention/IR/RetentionOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <cmath>
#include <functional>

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETDECOMPOSE
#include "RetNet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retnet;

namespace {
/// Element types and shorthands of the shared builders at one location.
struct GraphBuilder {
  GraphBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Type f32() { return b.getF32Type(); }
  OpFoldResult size(Value tensor, unsigned dim) {
    return tensor::getMixedSize(b, loc, tensor, dim);
  }
  OpFoldResult constant(int64_t value) { return b.getIndexAttr(value); }
  Value empty(ArrayRef<OpFoldResult> shape) {
    return buildEmpty(b, loc, shape, f32());
  }
  AffineExpr dim(unsigned position) { return b.getAffineDimExpr(position); }
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(numDims, 0, exprs, b.getContext());
  }
  AffineMap projection(unsigned numDims, ArrayRef<unsigned> dims) {
    return projectionMap(b.getContext(), numDims, dims);
  }
  Value elementwise(Value init, ValueRange inputs, ArrayRef<AffineMap> maps,
                    ElementBodyFn body) {
    return buildElementwise(b, loc, init, inputs, maps, body);
  }

  /// Sum over the last loop of `input`'s elements mapped by `body`, into a
  /// tensor without that dimension.
  Value reduceLast(Value input, ElementBodyFn body);
  /// x W for x [B, T, in] and W [in, out].
  Value linear(Value input, Value weight);
  /// 1 / sqrt(mean(x^2) + eps) over the last dimension (of size `width`)
  /// of `input`, into a tensor without that dimension. With `scales` (of
  /// that shape), s / sqrt(mean((s x)^2) + eps) instead: the factor that
  /// normalizes s x, from x, so that s x is never formed.
  Value inverseRmsOfLast(Value input, int64_t width, double eps,
                         Value scales = Value());

  OpBuilder &b;
  Location loc;
};
} // namespace

Value GraphBuilder::reduceLast(Value input, ElementBodyFn body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> shape;
  SmallVector<unsigned> outerDims;
  for (unsigned d = 0; d + 1 < rank; ++d) {
    shape.push_back(size(input, d));
    outerDims.push_back(d);
  }
  SmallVector<utils::IteratorType> iterators(rank - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 projection(rank, outerDims)};
  Value init = buildZeros(b, loc, shape, f32());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{input}, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &builder, Location nested, ValueRange args) {
               Value term = body(builder, nested, args[0]);
               Value sum =
                   arith::AddFOp::create(builder, nested, args[1], term);
               linalg::YieldOp::create(builder, nested, sum);
             })
      .getResult(0);
}

Value GraphBuilder::linear(Value input, Value weight) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t outWidth = weightType.getDimSize(1);
  OpFoldResult batch = size(input, 0), length = size(input, 1);
  SmallVector<ReassociationIndices> rows = {{0, 1}, {2}};
  Value flat = tensor::CollapseShapeOp::create(b, loc, input, rows);
  OpFoldResult flatRows = size(flat, 0);
  // Int8 weights with a scale per column: x (Q diag(s)) = (x Q) diag(s), so
  // the product reads Q and its result's columns are scaled once. With a
  // scale per group of rows (k), the product converts and scales each
  // weight it reads.
  auto dequantize = weight.getDefiningOp<DequantizeOp>();
  bool columnScales =
      dequantize && dequantize.getAxis() == 1 && dequantize.getGroup() == 0;
  bool groupScales =
      dequantize && dequantize.getAxis() == 1 && dequantize.getGroup() > 0;
  Value product = buildContraction(
      b, loc, flat,
      columnScales || groupScales ? dequantize.getQuantized() : weight,
      buildZeros(b, loc, {flatRows, constant(outWidth)}, f32()),
      projection(3, {0, 2}), projection(3, {2, 1}),
      groupScales ? dequantize.getScales() : Value(),
      groupScales ? dequantize.getGroup() : 0);
  if (columnScales)
    product = elementwise(
        product, dequantize.getScales(), projection(2, {1}),
        [](OpBuilder &builder, Location nested, ValueRange args) {
          return arith::MulFOp::create(builder, nested, args[1], args[0])
              .getResult();
        });
  auto inputType = cast<RankedTensorType>(input.getType());
  auto resultType = RankedTensorType::get(
      {inputType.getDimSize(0), inputType.getDimSize(1), outWidth}, f32());
  return tensor::ExpandShapeOp::create(b, loc, resultType, product, rows,
                                       {batch, length, constant(outWidth)});
}

/// 1 / sqrt(meanSquare + eps), for a mean of squares in f32.
static Value inverseRms(OpBuilder &b, Location loc, Value sumOfSquares,
                        int64_t count, double eps) {
  Type f32 = b.getF32Type();
  Value mean = arith::MulFOp::create(
      b, loc, sumOfSquares,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 1.0 / count)));
  Value shifted = arith::AddFOp::create(
      b, loc, mean,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, eps)));
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 1.0));
  return arith::DivFOp::create(b, loc, one,
                               math::SqrtOp::create(b, loc, shifted));
}

static Value square(OpBuilder &b, Location loc, Value x) {
  return arith::MulFOp::create(b, loc, x, x);
}

Value GraphBuilder::inverseRmsOfLast(Value input, int64_t width, double eps,
                                     Value scales) {
  Value sums =
      reduceLast(input, [](OpBuilder &builder, Location nested, ValueRange x) {
        return square(builder, nested, x[0]);
      });
  if (!scales)
    return elementwise(
        sums, ValueRange{}, {},
        [&](OpBuilder &builder, Location nested, ValueRange args) {
          return inverseRms(builder, nested, args[0], width, eps);
        });
  unsigned rank = cast<RankedTensorType>(sums.getType()).getRank();
  return elementwise(
      sums, ValueRange{scales}, {b.getMultiDimIdentityMap(rank)},
      [&](OpBuilder &builder, Location nested, ValueRange args) {
        Value scale = args[0];
        Value scaledSum = arith::MulFOp::create(
            builder, nested,
            arith::MulFOp::create(builder, nested, scale, scale), args[1]);
        return arith::MulFOp::create(
                   builder, nested, scale,
                   inverseRms(builder, nested, scaledSum, width, eps))
            .getResult();
      });
}

/// x sigmoid(x) = x / (1 + exp(-x)).
static Value silu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 1.0));
  Value negated = arith::NegFOp::create(b, loc, x);
  Value denominator =
      arith::AddFOp::create(b, loc, one, math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, x, denominator);
}

/// The exact gelu, x (1 + erf(x / sqrt 2)) / 2.
static Value gelu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value half = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.5));
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 1.0));
  Value invSqrt2 =
      arith::ConstantOp::create(b, loc, b.getFloatAttr(type, M_SQRT1_2));
  Value erf =
      math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, x, invSqrt2));
  Value factor = arith::MulFOp::create(b, loc, half,
                                       arith::AddFOp::create(b, loc, one, erf));
  return arith::MulFOp::create(b, loc, x, factor);
}

/// max(x, 0).
static Value relu(OpBuilder &b, Location loc, Value x) {
  Value zero =
      arith::ConstantOp::create(b, loc, b.getFloatAttr(x.getType(), 0));
  return arith::MaximumFOp::create(b, loc, x, zero);
}

/// The feed-forward activation `kind` of `x`.
static Value activate(OpBuilder &b, Location loc, Activation kind, Value x) {
  switch (kind) {
  case Activation::gelu:
    return gelu(b, loc, x);
  case Activation::swish:
    return silu(b, loc, x);
  case Activation::relu:
    return relu(b, loc, x);
  }
  llvm_unreachable("unknown activation");
}

namespace {
struct DecomposeEmbedding : public OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    GraphBuilder b(rewriter, op.getLoc());
    Value tokens = op.getTokens(), table = op.getTable();
    int64_t width = cast<RankedTensorType>(table.getType()).getDimSize(1);
    double scale = op.getScale().convertToDouble();
    // An int8 table with a scale per row (token), or per group of each
    // row's columns, is gathered as it is stored, each element converted
    // and scaled.
    auto dequantize = table.getDefiningOp<DequantizeOp>();
    Value rowScales;
    int64_t group = 0;
    if (dequantize && dequantize.getAxis() == 0) {
      table = dequantize.getQuantized();
      rowScales = dequantize.getScales();
      group = dequantize.getGroup();
    }
    Value result = b.elementwise(
        b.empty({b.size(tokens, 0), b.size(tokens, 1), b.constant(width)}),
        tokens, b.projection(3, {0, 1}),
        [&](OpBuilder &builder, Location loc, ValueRange args) {
          Value row = arith::IndexCastOp::create(
              builder, loc, builder.getIndexType(), args[0]);
          Value column = linalg::IndexOp::create(builder, loc, 2);
          Value element = tensor::ExtractOp::create(builder, loc, table,
                                                    ValueRange{row, column});
          // A table of the library's weight type (bf16/f16, int8 with its
          // scales) widens.
          Type f32 = builder.getF32Type();
          if (rowScales) {
            SmallVector<Value> scaleIndices = {row};
            if (group > 0)
              scaleIndices.push_back(arith::DivUIOp::create(
                  builder, loc, column,
                  arith::ConstantIndexOp::create(builder, loc, group)));
            element = arith::MulFOp::create(
                builder, loc, buildWidened(builder, loc, element, f32),
                tensor::ExtractOp::create(builder, loc, rowScales,
                                          scaleIndices));
          } else {
            element = buildWidened(builder, loc, element, f32);
          }
          if (scale == 1.0)
            return element;
          Value factor = arith::ConstantOp::create(
              builder, loc, builder.getF32FloatAttr(scale));
          return arith::MulFOp::create(builder, loc, element, factor)
              .getResult();
        });
    rewriter.replaceOpWithNewOp<tensor::CastOp>(op, op.getType(), result);
    return success();
  }
};

/// A dequantized matrix that an op reads as f32 (the ops above read the
/// int8 matrix themselves, leaving the dequantize op without users).
struct DecomposeDequantize : public OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (op->use_empty()) {
      rewriter.eraseOp(op);
      return success();
    }
    GraphBuilder b(rewriter, op.getLoc());
    auto type = op.getType();
    Value result = b.elementwise(
        b.empty(
            {b.constant(type.getDimSize(0)), b.constant(type.getDimSize(1))}),
        ValueRange{op.getQuantized(), op.getScales()},
        {b.projection(2, {0, 1}), op.getScaleMap()},
        [](OpBuilder &builder, Location loc, ValueRange args) {
          Value widened =
              buildWidened(builder, loc, args[0], builder.getF32Type());
          return arith::MulFOp::create(builder, loc, widened, args[1])
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DecomposeRMSNorm : public OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    GraphBuilder b(rewriter, op.getLoc());
    Value input = op.getInput();
    int64_t width = op.getType().getDimSize(2);
    double eps = op.getEps().convertToDouble();
    Value scales = b.inverseRmsOfLast(input, width, eps);
    SmallVector<Value> inputs = {input, scales};
    SmallVector<AffineMap> maps = {b.projection(3, {0, 1, 2}),
                                   b.projection(3, {0, 1})};
    if (Value weight = op.getWeight()) {
      inputs.push_back(weight);
      maps.push_back(b.projection(3, {2}));
    }
    Value result = b.elementwise(
        b.empty({b.size(input, 0), b.size(input, 1), b.constant(width)}),
        inputs, maps, [&](OpBuilder &builder, Location loc, ValueRange args) {
          Value normalized =
              arith::MulFOp::create(builder, loc, args[0], args[1]);
          if (inputs.size() == 3)
            normalized =
                arith::MulFOp::create(builder, loc, normalized, args[2]);
          return normalized;
        });
    rewriter.replaceOpWithNewOp<tensor::CastOp>(op, op.getType(), result);
    return success();
  }
};

struct DecomposeLinear : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    GraphBuilder b(rewriter, op.getLoc());
    Value result = b.linear(op.getInput(), op.getWeight());
    rewriter.replaceOpWithNewOp<tensor::CastOp>(op, op.getType(), result);
    return success();
  }
};

struct DecomposeResidual : public OpRewritePattern<ResidualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualOp op,
                                PatternRewriter &rewriter) const override {
    GraphBuilder b(rewriter, op.getLoc());
    Value input = op.getInput();
    double alpha = op.getAlpha().convertToDouble();
    AffineMap identity = b.projection(3, {0, 1, 2});
    Value result = b.elementwise(
        b.empty({b.size(input, 0), b.size(input, 1), b.size(input, 2)}),
        {input, op.getUpdate()}, {identity, identity},
        [&](OpBuilder &builder, Location loc, ValueRange args) {
          Value scaled = args[0];
          if (alpha != 1.0)
            scaled = arith::MulFOp::create(
                builder, loc, scaled,
                arith::ConstantOp::create(builder, loc,
                                          builder.getF32FloatAttr(alpha)));
          return arith::AddFOp::create(builder, loc, scaled, args[1])
              .getResult();
        });
    rewriter.replaceOpWithNewOp<tensor::CastOp>(op, op.getType(), result);
    return success();
  }
};

struct DecomposeMultiScaleRetention
    : public OpRewritePattern<MultiScaleRetentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MultiScaleRetentionOp op,
                                PatternRewriter &rewriter) const override;
};

struct DecomposeGLU : public OpRewritePattern<GLUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GLUOp op,
                                PatternRewriter &rewriter) const override {
    GraphBuilder b(rewriter, op.getLoc());
    Value input = op.getInput();
    int64_t hidden = op.getDownProj().getType().getDimSize(0);
    Value up = b.linear(input, op.getUpProj());
    Activation activation = op.getActivation();
    // The two halves of x W_up as tensors of their own: linalg takes loop
    // ranges from operand shapes, so no operand may be wider than the loops.
    SmallVector<OpFoldResult> halfSizes = {b.size(input, 0), b.size(input, 1),
                                           b.constant(hidden)};
    SmallVector<OpFoldResult> unitStrides(3, b.constant(1));
    auto half = [&](int64_t column) {
      return tensor::ExtractSliceOp::create(
          rewriter, op.getLoc(), up,
          ArrayRef<OpFoldResult>{b.constant(0), b.constant(0),
                                 b.constant(column)},
          halfSizes, unitStrides);
    };
    AffineMap identity = b.projection(3, {0, 1, 2});
    Value gated = b.elementwise(
        b.empty(halfSizes), {half(0), half(hidden)}, {identity, identity},
        [&](OpBuilder &builder, Location loc, ValueRange args) {
          Value activated = activate(builder, loc, activation, args[0]);
          return arith::MulFOp::create(builder, loc, activated, args[1])
              .getResult();
        });
    Value result = b.linear(gated, op.getDownProj());
    rewriter.replaceOpWithNewOp<tensor::CastOp>(op, op.getType(), result);
    return success();
  }
};

struct DecomposeFeedForward : public OpRewritePattern<FeedForwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FeedForwardOp op,
                                PatternRewriter &rewriter) const override;
};
} // namespace

/// (x - mean) / sqrt(var + eps) * weight + bias over the last dimension of
/// `input` [B, T, n], with the biased variance, both sums in f32.
static Value layerNorm(GraphBuilder &b, Value input, Value weight, Value bias,
                       double eps) {
  int64_t width = cast<RankedTensorType>(input.getType()).getDimSize(2);
  SmallVector<OpFoldResult> shape = {b.size(input, 0), b.size(input, 1),
                                     b.constant(width)};
  Value means = b.elementwise(
      b.reduceLast(input,
                   [](OpBuilder &, Location, ValueRange x) { return x[0]; }),
      ValueRange{}, {}, [&](OpBuilder &builder, Location loc, ValueRange args) {
        Value inverseWidth = arith::ConstantOp::create(
            builder, loc, builder.getF32FloatAttr(1.0 / width));
        return arith::MulFOp::create(builder, loc, args[0], inverseWidth)
            .getResult();
      });
  AffineMap identity = b.projection(3, {0, 1, 2}),
            rows = b.projection(3, {0, 1}), columns = b.projection(3, {2});
  Value centered = b.elementwise(
      b.empty(shape), {input, means}, {identity, rows},
      [](OpBuilder &builder, Location loc, ValueRange args) {
        return arith::SubFOp::create(builder, loc, args[0], args[1])
            .getResult();
      });
  // 1 / sqrt(var + eps): the mean of the centred squares.
  Value scales = b.inverseRmsOfLast(centered, width, eps);
  return b.elementwise(
      b.empty(shape), {centered, scales, weight, bias},
      {identity, rows, columns, columns},
      [](OpBuilder &builder, Location loc, ValueRange args) {
        Value normalized =
            arith::MulFOp::create(builder, loc, args[0], args[1]);
        Value weighted =
            arith::MulFOp::create(builder, loc, normalized, args[2]);
        return arith::AddFOp::create(builder, loc, weighted, args[3])
            .getResult();
      });
}

/// `input` [B, T, n] plus `bias` [n], mapped by `body` when given.
static Value addBias(GraphBuilder &b, Value input, Value bias,
                     std::function<Value(OpBuilder &, Location, Value)> body) {
  int64_t width = cast<RankedTensorType>(input.getType()).getDimSize(2);
  return b.elementwise(
      b.empty({b.size(input, 0), b.size(input, 1), b.constant(width)}),
      {input, bias}, {b.projection(3, {0, 1, 2}), b.projection(3, {2})},
      [&](OpBuilder &builder, Location loc, ValueRange args) {
        Value sum = arith::AddFOp::create(builder, loc, args[0], args[1]);
        return body ? body(builder, loc, sum) : sum;
      });
}

LogicalResult
DecomposeFeedForward::matchAndRewrite(FeedForwardOp op,
                                      PatternRewriter &rewriter) const {
  GraphBuilder b(rewriter, op.getLoc());
  Activation activation = op.getActivation();
  Value hidden =
      addBias(b, b.linear(op.getInput(), op.getUpProj()), op.getUpBias(),
              [&](OpBuilder &builder, Location loc, Value x) {
                return activate(builder, loc, activation, x);
              });
  if (Value weight = op.getNormWeight())
    hidden = layerNorm(b, hidden, weight, op.getNormBias(),
                       op.getEps()->convertToDouble());
  Value result =
      addBias(b, b.linear(hidden, op.getDownProj()), op.getDownBias(), {});
  rewriter.replaceOpWithNewOp<tensor::CastOp>(op, op.getType(), result);
  return success();
}

/// The decay_sqrt_sum scale of each (row, head, token) of `output` [B, H,
/// T, dv], [B, H, T]: of position row_offsets[b] (i64) + t and head decay
/// gamma[h], the scaling the retention op applies for one offset
/// (RetentionMath.h), per row.
static Value positionScales(GraphBuilder &b, Value output, Value rowOffsets,
                            Value gamma) {
  SmallVector<OpFoldResult> scaleShape = {b.size(output, 0), b.size(output, 1),
                                          b.size(output, 2)};
  return b.elementwise(
      b.empty(scaleShape), {rowOffsets, gamma},
      {b.projection(3, {0}), b.projection(3, {1})},
      [](OpBuilder &builder, Location loc, ValueRange args) {
        Value first = arith::IndexCastOp::create(
            builder, loc, builder.getIndexType(), args[0]);
        Value position = arith::AddIOp::create(
            builder, loc, first, linalg::IndexOp::create(builder, loc, 2));
        Value logGamma = math::LogOp::create(builder, loc, args[1]);
        return retention::buildOutputScale(builder, loc, logGamma, position,
                                           builder.getF32Type());
      });
}

LogicalResult
DecomposeMultiScaleRetention::matchAndRewrite(MultiScaleRetentionOp op,
                                              PatternRewriter &rewriter) const {
  GraphBuilder b(rewriter, op.getLoc());
  Location loc = op.getLoc();
  Value input = op.getInput();
  int64_t heads = op.getNumHeads(), model = op.getModelDim(),
          valueWidth = op.getValueEmbedDim(), keyDim = op.getKeyDim(),
          valueDim = op.getValueDim();
  double eps = op.getEps().convertToDouble();
  OpFoldResult batch = b.size(input, 0), length = b.size(input, 1);
  Value offset = op.getOffset();
  if (!offset)
    offset = arith::ConstantIndexOp::create(rewriter, loc, 0);
  // With row_offsets each row has its own position: the angle tables get a
  // batch dimension, and the position-dependent output scale is applied
  // here rather than by the retention op (its only use of the offset).
  Value rowOffsets = op.getRowOffsets();

  // [q | k | v | g] = x W_in.
  Value projected = b.linear(input, op.getInProj());

  // cos and sin of (offset + t) theta_i, in f64, stored f32: [T, dk], or
  // [B, T, dk] for rows at their own positions.
  std::vector<double> theta = retnet_numerics::rotationFrequencies(keyDim);
  Value thetaTable = arith::ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({keyDim}, rewriter.getF64Type()),
          ArrayRef<double>(theta)));
  auto angleTable = [&](bool sine) {
    SmallVector<OpFoldResult> shape = {length, b.constant(keyDim)};
    SmallVector<Value> inputs = {thetaTable};
    SmallVector<AffineMap> maps = {b.projection(2, {1})};
    if (rowOffsets) {
      shape.insert(shape.begin(), batch);
      inputs.push_back(rowOffsets);
      maps = {b.projection(3, {2}), b.projection(3, {0})};
    }
    unsigned positionDim = rowOffsets ? 1 : 0;
    return b.elementwise(
        b.empty(shape), inputs, maps,
        [&](OpBuilder &builder, Location nested, ValueRange args) {
          Value first =
              rowOffsets ? arith::IndexCastOp::create(
                               builder, nested, builder.getIndexType(), args[1])
                               .getResult()
                         : offset;
          Value position = arith::AddIOp::create(
              builder, nested, first,
              linalg::IndexOp::create(builder, nested, positionDim));
          Value angle =
              arith::MulFOp::create(builder, nested,
                                    buildIndexToFloat(builder, nested, position,
                                                      builder.getF64Type()),
                                    args[0]);
          Value value =
              sine ? math::SinOp::create(builder, nested, angle).getResult()
                   : math::CosOp::create(builder, nested, angle).getResult();
          return arith::TruncFOp::create(builder, nested, builder.getF32Type(),
                                         value)
              .getResult();
        });
  };
  Value cosines = angleTable(/*sine=*/false);
  Value sines = angleTable(/*sine=*/true);

  // Heads of q and k, rotated: [B, H, T, dk]. Element i pairs with
  // i + 1 - 2 (i mod 2); r(x) negates the odd partner of even elements.
  AffineMap angleMap =
      rowOffsets ? b.projection(4, {0, 2, 3}) : b.projection(4, {2, 3});
  auto rotatedHeads = [&](int64_t base, double scale) {
    AffineExpr column = b.dim(1) * keyDim + b.dim(3) + base;
    AffineExpr partner = column + 1 - b.dim(3) % 2 * 2;
    return b.elementwise(
        b.empty({batch, b.constant(heads), length, b.constant(keyDim)}),
        {projected, projected, cosines, sines},
        {b.map(4, {b.dim(0), b.dim(2), column}),
         b.map(4, {b.dim(0), b.dim(2), partner}), angleMap, angleMap},
        [&](OpBuilder &builder, Location nested, ValueRange args) {
          Value i = linalg::IndexOp::create(builder, nested, 3);
          Value two = arith::ConstantIndexOp::create(builder, nested, 2);
          Value zero = arith::ConstantIndexOp::create(builder, nested, 0);
          Value even = arith::CmpIOp::create(
              builder, nested, arith::CmpIPredicate::eq,
              arith::RemUIOp::create(builder, nested, i, two), zero);
          Value partnerTerm =
              arith::MulFOp::create(builder, nested, args[1], args[3]);
          Value signedPartner = arith::SelectOp::create(
              builder, nested, even,
              arith::NegFOp::create(builder, nested, partnerTerm), partnerTerm);
          Value rotated = arith::AddFOp::create(
              builder, nested,
              arith::MulFOp::create(builder, nested, args[0], args[2]),
              signedPartner);
          if (scale == 1.0)
            return rotated;
          return arith::MulFOp::create(
                     builder, nested, rotated,
                     arith::ConstantOp::create(builder, nested,
                                               builder.getF32FloatAttr(scale)))
              .getResult();
        });
  };
  Value queries = rotatedHeads(0, 1.0);
  Value keys =
      rotatedHeads(model, 1.0 / std::sqrt(static_cast<double>(keyDim)));
  Value values = b.elementwise(
      b.empty({batch, b.constant(heads), length, b.constant(valueDim)}),
      projected,
      b.map(4,
            {b.dim(0), b.dim(2), b.dim(1) * valueDim + b.dim(3) + 2 * model}),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });

  // Retention; its form is chosen later.
  auto inputType = op.getInput().getType();
  auto outputType = RankedTensorType::get(
      {inputType.getDimSize(0), heads, inputType.getDimSize(1), valueDim},
      b.f32());
  Value finalState = op.getFinalState();
  Value gamma = op.getGamma();
  auto retention = retention::ParallelOp::create(
      rewriter, loc, outputType, finalState ? finalState.getType() : Type(),
      queries, keys, values, gamma, op.getInitialState(),
      rowOffsets ? Value() : offset,
      retention::ScalingAttr::get(rewriter.getContext(),
                                  rowOffsets
                                      ? retention::Scaling::none
                                      : retention::Scaling::decay_sqrt_sum));

  // Per-head RMS norm fused with the silu gate, back to [B, T, value_dim].
  // Rows at their own positions scale their outputs by the position's
  // scale s first; the norm's factor takes s in (s / rms(s o)), so that the
  // gate reads o itself and s o is never formed.
  Value output = retention.getOutput();
  Value rowScales =
      rowOffsets ? positionScales(b, output, rowOffsets, gamma) : Value();
  Value scales = b.inverseRmsOfLast(output, valueDim, eps, rowScales);
  AffineExpr head = b.dim(2).floorDiv(valueDim);
  Value gated = b.elementwise(
      b.empty({batch, length, b.constant(valueWidth)}),
      {projected, output, scales},
      {b.map(3, {b.dim(0), b.dim(1), b.dim(2) + 2 * model + valueWidth}),
       b.map(3, {b.dim(0), head, b.dim(1), b.dim(2) % valueDim}),
       b.map(3, {b.dim(0), head, b.dim(1)})},
      [](OpBuilder &builder, Location nested, ValueRange args) {
        Value normalized =
            arith::MulFOp::create(builder, nested, args[1], args[2]);
        return arith::MulFOp::create(builder, nested,
                                     silu(builder, nested, args[0]), normalized)
            .getResult();
      });
  Value result = b.linear(gated, op.getOutProj());

  SmallVector<Value> replacements = {
      tensor::CastOp::create(rewriter, loc, op.getOutput().getType(), result)};
  if (finalState)
    replacements.push_back(retention.getFinalState());
  rewriter.replaceOp(op, replacements);
  return success();
}

namespace {
struct RetNetDecomposePass
    : public retnet::impl::RetNetDecomposeBase<RetNetDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeEmbedding, DecomposeRMSNorm, DecomposeLinear,
                 DecomposeResidual, DecomposeMultiScaleRetention, DecomposeGLU,
                 DecomposeFeedForward>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    // After their users, which read int8 matrices directly where they can.
    RewritePatternSet dequantization(&getContext());
    dequantization.add<DecomposeDequantize>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(dequantization));
  }
};
} // namespace
