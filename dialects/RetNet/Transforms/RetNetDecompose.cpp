//===- RetNetDecompose.cpp - Lower model-graph ops to retention + linalg --===//

#include "GraphBuilder.h"
#include "RetNet/Transforms/Passes.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "RetNet/IR/RetNetOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <functional>

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETDECOMPOSE
#include "RetNet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retnet;

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

namespace {
struct RetNetDecomposePass
    : public retnet::impl::RetNetDecomposeBase<RetNetDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeEmbedding, DecomposeRMSNorm, DecomposeLinear,
                 DecomposeResidual, DecomposeGLU, DecomposeFeedForward>(
        &getContext());
    populateDecomposeRetentionPattern(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    // After their users, which read int8 matrices directly where they can.
    RewritePatternSet dequantization(&getContext());
    dequantization.add<DecomposeDequantize>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(dequantization));
  }
};
} // namespace
