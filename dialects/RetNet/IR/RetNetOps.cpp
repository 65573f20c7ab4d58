//===- RetNetOps.cpp - RetNet model-graph op verifiers --------------------===//

#include "RetNet/IR/RetNetOps.h"
#include "Retention/IR/RetentionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::retnet;

#define GET_OP_CLASSES
#include "RetNet/IR/RetNetOps.cpp.inc"

/// Checks that `value`'s shape is `expected` (dynamic dimensions match
/// anything); names `what` and `layout` otherwise.
static LogicalResult checkShape(Operation *op, StringRef what, StringRef layout,
                                Value value, ArrayRef<int64_t> expected) {
  auto type = cast<RankedTensorType>(value.getType());
  if (succeeded(verifyCompatibleShape(type.getShape(), expected)))
    return success();
  return op->emitOpError() << "expected '" << what << "' of shape " << layout
                           << " = " << retention::formatShape(expected)
                           << ", got " << type;
}

static int64_t dim(Value value, unsigned index) {
  return cast<RankedTensorType>(value.getType()).getDimSize(index);
}

/// Weights must have static shapes (they come from the model description).
static LogicalResult checkStatic(Operation *op, StringRef what, Value value) {
  if (cast<RankedTensorType>(value.getType()).hasStaticShape())
    return success();
  return op->emitOpError() << "expected '" << what << "' to have a static "
                           << "shape, got " << value.getType();
}

LogicalResult DequantizeOp::verify() {
  int64_t axis = getAxis(), group = getGroup();
  if (axis != 0 && axis != 1)
    return emitOpError() << "expected 'axis' 0 (a scale per row) or 1 (a "
                            "scale per column), got "
                         << axis;
  if (failed(checkStatic(*this, "quantized", getQuantized())))
    return failure();
  if (group < 0)
    return emitOpError() << "expected a non-negative 'group', got " << group;
  if (group == 0) {
    if (failed(checkShape(*this, "scales", axis ? "[columns]" : "[rows]",
                          getScales(), {dim(getQuantized(), axis)})))
      return failure();
  } else {
    // The groups run along the dimension that is not the channels'.
    int64_t grouped = getQuantized().getType().getDimSize(1 - axis);
    if (grouped % group != 0)
      return emitOpError() << "expected 'group' (" << group
                           << ") to divide the quantized matrix's dimension "
                           << 1 - axis << " (" << grouped << ")";
    SmallVector<int64_t> shape = {dim(getQuantized(), 0),
                                  dim(getQuantized(), 1)};
    shape[1 - axis] = grouped / group;
    if (failed(checkShape(*this, "scales",
                          axis ? "[rows / group, columns]"
                               : "[rows, columns / group]",
                          getScales(), shape)))
      return failure();
  }
  return checkShape(*this, "result", "the shape of 'quantized'", getResult(),
                    {dim(getQuantized(), 0), dim(getQuantized(), 1)});
}

AffineMap DequantizeOp::getScaleMap() {
  MLIRContext *context = getContext();
  unsigned axis = getAxis();
  AffineExpr channel = getAffineDimExpr(axis, context);
  if (getGroup() == 0)
    return AffineMap::get(2, 0, channel);
  SmallVector<AffineExpr> indices = {getAffineDimExpr(0, context),
                                     getAffineDimExpr(1, context)};
  indices[1 - axis] = indices[1 - axis].floorDiv(getGroup());
  return AffineMap::get(2, 0, indices, context);
}

LogicalResult EmbeddingOp::verify() {
  if (failed(checkStatic(*this, "table", getTable())))
    return failure();
  if (!(getScale().convertToDouble() > 0.0))
    return emitOpError() << "expected a positive 'scale', got "
                         << getScale().convertToDouble();
  return checkShape(
      *this, "result", "[B, T, d]", getResult(),
      {dim(getTokens(), 0), dim(getTokens(), 1), dim(getTable(), 1)});
}

LogicalResult RMSNormOp::verify() {
  if (!(getEps().convertToDouble() >= 0.0))
    return emitOpError() << "expected a non-negative 'eps', got "
                         << getEps().convertToDouble();
  if (Value weight = getWeight())
    return checkShape(*this, "weight", "[d]", weight, {dim(getInput(), 2)});
  return success();
}

LogicalResult LinearOp::verify() {
  if (failed(checkStatic(*this, "weight", getWeight())) ||
      failed(checkShape(*this, "weight", "[in, out]", getWeight(),
                        {dim(getInput(), 2), dim(getWeight(), 1)})))
    return failure();
  return checkShape(
      *this, "result", "[B, T, out]", getResult(),
      {dim(getInput(), 0), dim(getInput(), 1), dim(getWeight(), 1)});
}

LogicalResult ResidualOp::verify() {
  if (!(getAlpha().convertToDouble() > 0.0))
    return emitOpError() << "expected a positive 'alpha', got "
                         << getAlpha().convertToDouble();
  return success();
}

LogicalResult MultiScaleRetentionOp::verify() {
  int64_t heads = getNumHeads();
  if (ShapedType::isDynamic(heads))
    return emitOpError() << "expected a static number of heads (the length "
                            "of 'gamma'), got "
                         << getGamma().getType();
  if (heads == 0)
    return emitOpError() << "expected at least one head ('gamma' is empty)";
  if (failed(retention::verifyGamma(*this, getGamma(), heads)))
    return failure();
  if (!(getEps().convertToDouble() >= 0.0))
    return emitOpError() << "expected a non-negative 'eps'";
  if (failed(checkStatic(*this, "in_proj", getInProj())) ||
      failed(checkStatic(*this, "out_proj", getOutProj())))
    return failure();
  int64_t model = getModelDim(), value = getValueEmbedDim();
  if (ShapedType::isDynamic(model))
    return emitOpError() << "expected a static model width (dim 2 of "
                            "'input')";
  if (model % heads != 0 || value % heads != 0)
    return emitOpError() << "expected the model width (" << model
                         << ") and value width (" << value
                         << ") to be divisible by the number of heads ("
                         << heads << ")";
  if (getKeyDim() % 2 != 0)
    return emitOpError() << "expected an even key width per head, got "
                         << getKeyDim();
  if (failed(checkShape(*this, "in_proj", "[d, 2 d + 2 value_dim]", getInProj(),
                        {model, 2 * model + 2 * value})) ||
      failed(checkShape(*this, "out_proj", "[value_dim, d]", getOutProj(),
                        {value, model})) ||
      failed(checkShape(*this, "output", "[B, T, d]", getOutput(),
                        {dim(getInput(), 0), dim(getInput(), 1), model})))
    return failure();
  if (getOffset() && getRowOffsets())
    return emitOpError() << "expected 'offset' (one position for every row) "
                            "or 'row_offsets' (one per row), not both";
  if (Value rowOffsets = getRowOffsets())
    if (failed(checkShape(*this, "row_offsets", "[B]", rowOffsets,
                          {dim(getInput(), 0)})))
      return failure();
  SmallVector<int64_t> stateShape = {dim(getInput(), 0), heads, getKeyDim(),
                                     getValueDim()};
  if (Value state = getInitialState())
    if (failed(checkShape(*this, "state", "[B, H, dk, dv]", state, stateShape)))
      return failure();
  if (Value state = getFinalState())
    if (failed(checkShape(*this, "final_state", "[B, H, dk, dv]", state,
                          stateShape)))
      return failure();
  return success();
}

LogicalResult GLUOp::verify() {
  if (failed(checkStatic(*this, "up_proj", getUpProj())) ||
      failed(checkStatic(*this, "down_proj", getDownProj())))
    return failure();
  int64_t model = dim(getInput(), 2), hidden = dim(getDownProj(), 0);
  if (failed(checkShape(*this, "up_proj", "[d, 2 ffn]", getUpProj(),
                        {model, 2 * hidden})) ||
      failed(checkShape(*this, "down_proj", "[ffn, d]", getDownProj(),
                        {hidden, model})))
    return failure();
  return checkShape(*this, "result", "[B, T, d]", getResult(),
                    {dim(getInput(), 0), dim(getInput(), 1), model});
}

LogicalResult FeedForwardOp::verify() {
  if (failed(checkStatic(*this, "up_proj", getUpProj())) ||
      failed(checkStatic(*this, "down_proj", getDownProj())))
    return failure();
  int64_t model = dim(getInput(), 2), hidden = dim(getUpProj(), 1);
  if (failed(checkShape(*this, "up_proj", "[d, ffn]", getUpProj(),
                        {model, hidden})) ||
      failed(checkShape(*this, "up_bias", "[ffn]", getUpBias(), {hidden})) ||
      failed(checkShape(*this, "down_proj", "[ffn, d]", getDownProj(),
                        {hidden, model})) ||
      failed(checkShape(*this, "down_bias", "[d]", getDownBias(), {model})))
    return failure();
  if (static_cast<bool>(getNormWeight()) != static_cast<bool>(getNormBias()))
    return emitOpError() << "expected both a norm weight and a norm bias, "
                            "or neither";
  if (Value weight = getNormWeight()) {
    if (failed(checkShape(*this, "norm weight", "[ffn]", weight, {hidden})) ||
        failed(
            checkShape(*this, "norm bias", "[ffn]", getNormBias(), {hidden})))
      return failure();
    if (!getEps())
      return emitOpError() << "expected 'eps' with a norm";
  }
  if (std::optional<APFloat> eps = getEps())
    if (!(eps->convertToDouble() >= 0.0))
      return emitOpError() << "expected a non-negative 'eps', got "
                           << eps->convertToDouble();
  return checkShape(*this, "result", "[B, T, d]", getResult(),
                    {dim(getInput(), 0), dim(getInput(), 1), model});
}
