//===- DecomposeRetention.cpp - Lower multi_scale_retention to retention --===//

#include "GraphBuilder.h"
#include "retnet/ModelNumerics.h"

#include "RetNet/IR/RetNetOps.h"
#include "Retention/IR/RetentionMath.h"
#include "Retention/IR/RetentionOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::retnet;

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

/// r(x) for element i of a rotated head: x_i cos + partner sin, where the
/// partner of element i is i + 1 - 2 (i mod 2) and is negated for even i;
/// `args` holds x_i, x_partner, cos and sin. Scaled by `scale` unless 1.
static Value rotateElement(OpBuilder &builder, Location loc, ValueRange args,
                           double scale) {
  Value i = linalg::IndexOp::create(builder, loc, 3);
  Value two = arith::ConstantIndexOp::create(builder, loc, 2);
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value even =
      arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::eq,
                            arith::RemUIOp::create(builder, loc, i, two), zero);
  Value partnerTerm = arith::MulFOp::create(builder, loc, args[1], args[3]);
  Value signedPartner = arith::SelectOp::create(
      builder, loc, even, arith::NegFOp::create(builder, loc, partnerTerm),
      partnerTerm);
  Value rotated = arith::AddFOp::create(
      builder, loc, arith::MulFOp::create(builder, loc, args[0], args[2]),
      signedPartner);
  if (scale == 1.0)
    return rotated;
  return arith::MulFOp::create(
             builder, loc, rotated,
             arith::ConstantOp::create(builder, loc,
                                       builder.getF32FloatAttr(scale)))
      .getResult();
}

namespace {
/// The decomposition of one multi_scale_retention op, built in the order
/// of its steps: the projection of the input, the rotation tables, the
/// heads of q, k and v, retention, and the normed and gated output.
class RetentionDecomposition {
public:
  RetentionDecomposition(MultiScaleRetentionOp op, PatternRewriter &rewriter);

  /// Builds the decomposition and replaces the op with it.
  void rewrite();

private:
  /// cos (or sin, with `sine`) of (offset + t) theta_i, in f64, stored f32:
  /// [T, dk], or [B, T, dk] for rows at their own positions.
  Value angleTable(Value thetaTable, bool sine);
  /// Heads of q or k (those at column `base` of the projection), rotated
  /// and scaled by `scale`: [B, H, T, dk].
  Value rotatedHeads(Value cosines, Value sines, int64_t base, double scale);
  /// Heads of v: [B, H, T, dv].
  Value valueHeads();
  /// Per-head RMS norm of the retention `output` fused with the silu gate,
  /// back to [B, T, value_dim].
  Value gatedOutput(Value output, Value gamma);

  MultiScaleRetentionOp op;
  PatternRewriter &rewriter;
  GraphBuilder b;
  Location loc;
  int64_t heads, model, valueWidth, keyDim, valueDim;
  double eps;
  OpFoldResult batch, length;
  /// The position of the first token of every row (0 when the op has no
  /// offset); not read with `rowOffsets`.
  Value offset;
  /// With row_offsets each row has its own position: the angle tables get
  /// a batch dimension, and the position-dependent output scale is applied
  /// here rather than by the retention op (its only use of the offset).
  Value rowOffsets;
  /// [q | k | v | g] = x W_in.
  Value projected;
};
} // namespace

RetentionDecomposition::RetentionDecomposition(MultiScaleRetentionOp op,
                                               PatternRewriter &rewriter)
    : op(op), rewriter(rewriter), b(rewriter, op.getLoc()), loc(op.getLoc()),
      heads(op.getNumHeads()), model(op.getModelDim()),
      valueWidth(op.getValueEmbedDim()), keyDim(op.getKeyDim()),
      valueDim(op.getValueDim()), eps(op.getEps().convertToDouble()) {
  Value input = op.getInput();
  batch = b.size(input, 0);
  length = b.size(input, 1);
  offset = op.getOffset();
  if (!offset)
    offset = arith::ConstantIndexOp::create(rewriter, loc, 0);
  rowOffsets = op.getRowOffsets();
}

Value RetentionDecomposition::angleTable(Value thetaTable, bool sine) {
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
        Value angle = arith::MulFOp::create(
            builder, nested,
            buildIndexToFloat(builder, nested, position, builder.getF64Type()),
            args[0]);
        Value value =
            sine ? math::SinOp::create(builder, nested, angle).getResult()
                 : math::CosOp::create(builder, nested, angle).getResult();
        return arith::TruncFOp::create(builder, nested, builder.getF32Type(),
                                       value)
            .getResult();
      });
}

Value RetentionDecomposition::rotatedHeads(Value cosines, Value sines,
                                           int64_t base, double scale) {
  AffineMap angleMap =
      rowOffsets ? b.projection(4, {0, 2, 3}) : b.projection(4, {2, 3});
  AffineExpr column = b.dim(1) * keyDim + b.dim(3) + base;
  AffineExpr partner = column + 1 - b.dim(3) % 2 * 2;
  return b.elementwise(
      b.empty({batch, b.constant(heads), length, b.constant(keyDim)}),
      {projected, projected, cosines, sines},
      {b.map(4, {b.dim(0), b.dim(2), column}),
       b.map(4, {b.dim(0), b.dim(2), partner}), angleMap, angleMap},
      [&](OpBuilder &builder, Location nested, ValueRange args) {
        return rotateElement(builder, nested, args, scale);
      });
}

Value RetentionDecomposition::valueHeads() {
  return b.elementwise(
      b.empty({batch, b.constant(heads), length, b.constant(valueDim)}),
      projected,
      b.map(4,
            {b.dim(0), b.dim(2), b.dim(1) * valueDim + b.dim(3) + 2 * model}),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

Value RetentionDecomposition::gatedOutput(Value output, Value gamma) {
  // Rows at their own positions scale their outputs by the position's
  // scale s first; the norm's factor takes s in (s / rms(s o)), so that the
  // gate reads o itself and s o is never formed.
  Value rowScales =
      rowOffsets ? positionScales(b, output, rowOffsets, gamma) : Value();
  Value scales = b.inverseRmsOfLast(output, valueDim, eps, rowScales);
  AffineExpr head = b.dim(2).floorDiv(valueDim);
  return b.elementwise(
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
}

void RetentionDecomposition::rewrite() {
  projected = b.linear(op.getInput(), op.getInProj());

  std::vector<double> theta = retnet_numerics::rotationFrequencies(keyDim);
  Value thetaTable = arith::ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({keyDim}, rewriter.getF64Type()),
          ArrayRef<double>(theta)));
  Value cosines = angleTable(thetaTable, /*sine=*/false);
  Value sines = angleTable(thetaTable, /*sine=*/true);

  Value queries = rotatedHeads(cosines, sines, 0, 1.0);
  Value keys = rotatedHeads(cosines, sines, model,
                            1.0 / std::sqrt(static_cast<double>(keyDim)));
  Value values = valueHeads();

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

  Value result =
      b.linear(gatedOutput(retention.getOutput(), gamma), op.getOutProj());
  SmallVector<Value> replacements = {
      tensor::CastOp::create(rewriter, loc, op.getOutput().getType(), result)};
  if (finalState)
    replacements.push_back(retention.getFinalState());
  rewriter.replaceOp(op, replacements);
}

namespace {
struct DecomposeMultiScaleRetention
    : public OpRewritePattern<MultiScaleRetentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MultiScaleRetentionOp op,
                                PatternRewriter &rewriter) const override {
    RetentionDecomposition(op, rewriter).rewrite();
    return success();
  }
};
} // namespace

void mlir::retnet::populateDecomposeRetentionPattern(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeMultiScaleRetention>(patterns.getContext());
}
