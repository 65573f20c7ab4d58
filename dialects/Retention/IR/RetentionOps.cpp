//===- RetentionOps.cpp - Retention op verifier and builders --------------===//

#include "Retention/IR/RetentionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::retention;

#include "Retention/IR/RetentionInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "Retention/IR/RetentionOps.cpp.inc"

Type mlir::retention::getStateElementType(Type elementType) {
  if (elementType.isF64())
    return elementType;
  return Float32Type::get(elementType.getContext());
}

std::string mlir::retention::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << "?";
    else
      os << dim;
  });
  os << "]";
  return text;
}

std::optional<SmallVector<double>>
mlir::retention::getConstantGammas(Value gamma) {
  DenseFPElementsAttr values;
  if (!matchPattern(gamma, m_Constant(&values)))
    return std::nullopt;
  return llvm::to_vector(
      llvm::map_range(values.getValues<APFloat>(), [](const APFloat &value) {
        return value.convertToDouble();
      }));
}

/// Checks that `type` is `expectedShape` (dynamic dimensions match anything)
/// with element type `expectedElement`; names `what` and `layout` otherwise.
static LogicalResult checkTensor(Operation *op, StringRef what,
                                 StringRef layout, RankedTensorType type,
                                 ArrayRef<int64_t> expectedShape,
                                 Type expectedElement) {
  if (succeeded(verifyCompatibleShape(type.getShape(), expectedShape)) &&
      type.getElementType() == expectedElement)
    return success();
  return op->emitOpError() << "expected " << what << " of shape " << layout
                           << " = " << formatShape(expectedShape) << " and "
                           << "element type " << expectedElement << ", got "
                           << type;
}

LogicalResult mlir::retention::verifyRetentionOp(Operation *op) {
  auto retention = cast<RetentionOpInterface>(op);
  RankedTensorType qType = retention.getQueries().getType();
  RankedTensorType kType = retention.getKeys().getType();
  RankedTensorType vType = retention.getValues().getType();

  // Ranks and element types are checked by the operand constraints.
  Type elementType = qType.getElementType();

  ArrayRef<int64_t> qShape = qType.getShape();
  // B and T may be dynamic in some operands and static in others: take the
  // first static one, so that every operand is checked against it.
  auto joinedDim = [&](unsigned dim) {
    for (RankedTensorType type : {qType, kType, vType})
      if (type.getRank() == 4 && !type.isDynamicDim(dim))
        return type.getDimSize(dim);
    return ShapedType::kDynamic;
  };
  int64_t batch = joinedDim(0), heads = qShape[1], length = joinedDim(2),
          keyDim = qShape[3], valueDim = vType.getDimSize(3);
  if (ShapedType::isDynamic(heads) || heads <= 0)
    return op->emitOpError()
           << "expected a static, positive number of heads H (dim 1 of 'q'), "
              "got "
           << qType;
  if (ShapedType::isDynamic(keyDim) || keyDim <= 0)
    return op->emitOpError()
           << "expected a static, positive key width dk (dim 3 of 'q'), got "
           << qType;
  if (ShapedType::isDynamic(valueDim) || valueDim <= 0)
    return op->emitOpError()
           << "expected a static, positive value width dv (dim 3 of 'v'), got "
           << vType;

  SmallVector<int64_t> keyShape = {batch, heads, length, keyDim};
  if (failed(checkTensor(op, "'q'", "[B, H, T, dk]", qType, keyShape,
                         elementType)) ||
      failed(checkTensor(op, "'k'", "[B, H, T, dk]", kType, keyShape,
                         elementType)))
    return failure();
  SmallVector<int64_t> valueShape = {batch, heads, length, valueDim};
  if (failed(checkTensor(op, "'v'", "[B, H, T, dv]", vType, valueShape,
                         elementType)))
    return failure();
  if (failed(checkTensor(op, "'output'", "[B, H, T, dv]",
                         retention.getOutputValue().getType(), valueShape,
                         elementType)))
    return failure();

  SmallVector<int64_t> stateShape = {batch, heads, keyDim, valueDim};
  Type stateElementType = getStateElementType(elementType);
  if (Value state = retention.getInitialStateValue())
    if (failed(checkTensor(op, "'state'", "[B, H, dk, dv]",
                           cast<RankedTensorType>(state.getType()), stateShape,
                           stateElementType)))
      return failure();
  if (Value state = retention.getFinalStateValue())
    if (failed(checkTensor(op, "'final_state'", "[B, H, dk, dv]",
                           cast<RankedTensorType>(state.getType()), stateShape,
                           stateElementType)))
      return failure();

  Type f64 = Float64Type::get(op->getContext());
  if (failed(checkTensor(op, "'gamma'", "[H]",
                         retention.getGammaValue().getType(), {heads}, f64)))
    return failure();
  // The decays' values are known when 'gamma' is a constant.
  if (std::optional<SmallVector<double>> gamma = retention.getConstantGammas())
    for (auto [head, decay] : llvm::enumerate(*gamma))
      if (!(decay > 0.0 && decay < 1.0))
        return op->emitOpError() << "expected every 'gamma' in (0, 1), got "
                                 << decay << " for head " << head;
  return success();
}

/// Builds an op of form `OpTy` with the operands, attributes and result types
/// of `source`, plus any attributes specific to `OpTy`.
template <typename OpTy, typename... ExtraAttrs>
static void buildLike(OpBuilder &builder, OperationState &state,
                      RetentionOpInterface source, ExtraAttrs... extra) {
  Value finalState = source.getFinalStateValue();
  OpTy::build(builder, state, source.getOutputValue().getType(),
              finalState ? finalState.getType() : Type(), source.getQueries(),
              source.getKeys(), source.getValues(), source.getGammaValue(),
              source.getInitialStateValue(), source.getOffsetValue(),
              ScalingAttr::get(builder.getContext(), source.getScalingKind()),
              extra...);
}

void ParallelOp::build(OpBuilder &builder, OperationState &state,
                       RetentionOpInterface source) {
  buildLike<ParallelOp>(builder, state, source);
}

void RecurrentOp::build(OpBuilder &builder, OperationState &state,
                        RetentionOpInterface source) {
  buildLike<RecurrentOp>(builder, state, source);
}

void ChunkwiseOp::build(OpBuilder &builder, OperationState &state,
                        RetentionOpInterface source, int64_t chunkSize) {
  buildLike<ChunkwiseOp>(builder, state, source,
                         builder.getI64IntegerAttr(chunkSize));
}
