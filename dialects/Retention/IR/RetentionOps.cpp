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

LogicalResult mlir::retention::verifyTensor(Operation *op, StringRef what,
                                            StringRef layout,
                                            RankedTensorType type,
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

FailureOr<RetentionDims>
mlir::retention::verifyInputs(Operation *op, RankedTensorType queries,
                              RankedTensorType keys, RankedTensorType values) {
  // Ranks and element types are checked by the operand constraints. B and T
  // may be dynamic in some operands and static in others: take the first
  // static one, so that every operand is checked against it.
  RankedTensorType first = queries ? queries : keys;
  auto joinedDim = [&](unsigned dim) {
    for (RankedTensorType type : {queries, keys, values})
      if (type && !type.isDynamicDim(dim))
        return type.getDimSize(dim);
    return ShapedType::kDynamic;
  };
  StringRef name = queries ? "'q'" : "'k'";
  RetentionDims dims{joinedDim(0), first.getDimSize(1), joinedDim(2),
                     first.getDimSize(3), values.getDimSize(3)};
  if (ShapedType::isDynamic(dims.heads) || dims.heads <= 0)
    return op->emitOpError() << "expected a static, positive number of heads H "
                             << "(dim 1 of " << name << "), got " << first;
  if (ShapedType::isDynamic(dims.keyDim) || dims.keyDim <= 0)
    return op->emitOpError() << "expected a static, positive key width dk "
                             << "(dim 3 of " << name << "), got " << first;
  if (ShapedType::isDynamic(dims.valueDim) || dims.valueDim <= 0)
    return op->emitOpError()
           << "expected a static, positive value width dv (dim 3 of 'v'), got "
           << values;

  Type elementType = first.getElementType();
  SmallVector<int64_t> keyShape = dims.tokens(dims.keyDim);
  if ((queries && failed(verifyTensor(op, "'q'", "[B, H, T, dk]", queries,
                                      keyShape, elementType))) ||
      failed(verifyTensor(op, "'k'", "[B, H, T, dk]", keys, keyShape,
                          elementType)) ||
      failed(verifyTensor(op, "'v'", "[B, H, T, dv]", values,
                          dims.tokens(dims.valueDim), elementType)))
    return failure();
  return dims;
}

LogicalResult mlir::retention::verifyGamma(Operation *op, Value gamma,
                                           int64_t heads) {
  Type f64 = Float64Type::get(op->getContext());
  if (failed(verifyTensor(op, "'gamma'", "[H]",
                          cast<RankedTensorType>(gamma.getType()), {heads},
                          f64)))
    return failure();
  // The decays' values are known when 'gamma' is a constant.
  if (std::optional<SmallVector<double>> values = getConstantGammas(gamma))
    for (auto [head, decay] : llvm::enumerate(*values))
      if (!(decay > 0.0 && decay < 1.0))
        return op->emitOpError() << "expected every 'gamma' in (0, 1), got "
                                 << decay << " for head " << head;
  return success();
}

LogicalResult mlir::retention::verifyRetentionOp(Operation *op) {
  auto retention = cast<RetentionOpInterface>(op);
  FailureOr<RetentionDims> dims = verifyInputs(
      op, retention.getQueries().getType(), retention.getKeys().getType(),
      retention.getValues().getType());
  if (failed(dims))
    return failure();
  if (failed(verifyTensor(
          op, "'output'", "[B, H, T, dv]", retention.getOutputValue().getType(),
          dims->tokens(dims->valueDim), retention.getElementType())))
    return failure();

  Type stateElementType = getStateElementType(retention.getElementType());
  if (Value state = retention.getInitialStateValue())
    if (failed(verifyTensor(op, "'state'", "[B, H, dk, dv]",
                            cast<RankedTensorType>(state.getType()),
                            dims->state(), stateElementType)))
      return failure();
  if (Value state = retention.getFinalStateValue())
    if (failed(verifyTensor(op, "'final_state'", "[B, H, dk, dv]",
                            cast<RankedTensorType>(state.getType()),
                            dims->state(), stateElementType)))
      return failure();
  return verifyGamma(op, retention.getGammaValue(), dims->heads);
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
