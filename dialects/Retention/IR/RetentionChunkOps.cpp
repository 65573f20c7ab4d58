//===- RetentionChunkOps.cpp - Verifiers of the chunkwise pieces ----------===//

#include "Retention/IR/RetentionOps.h"

using namespace mlir;
using namespace mlir::retention;

LogicalResult ChunkStatesOp::verify() {
  FailureOr<RetentionDims> dims = verifyInputs(
      *this, RankedTensorType(), getK().getType(), getV().getType());
  if (failed(dims))
    return failure();
  Type stateElement = getStateElementType(getK().getType().getElementType());
  if (failed(verifyTensor(*this, "'deltas'", "[B, H, N, dk, dv]",
                          getDeltas().getType(),
                          dims->chunkStates(getChunkSize()), stateElement)))
    return failure();
  return verifyGamma(*this, getGamma(), dims->heads);
}

LogicalResult ChunkScanOp::verify() {
  RankedTensorType deltas = getDeltas().getType();
  ArrayRef<int64_t> shape = deltas.getShape();
  for (unsigned dim : {1u, 3u, 4u})
    if (ShapedType::isDynamic(shape[dim]) || shape[dim] <= 0)
      return emitOpError() << "expected static, positive H, dk and dv (dims "
                              "1, 3, 4 of 'deltas'), got "
                           << deltas;
  Type element = deltas.getElementType();
  if (failed(verifyTensor(*this, "'starts'", "[B, H, N, dk, dv]",
                          getStarts().getType(), shape, element)))
    return failure();
  SmallVector<int64_t> stateShape = {shape[0], shape[1], shape[3], shape[4]};
  if (Value state = getInitialState())
    if (failed(verifyTensor(*this, "'state'", "[B, H, dk, dv]",
                            cast<RankedTensorType>(state.getType()), stateShape,
                            element)))
      return failure();
  if (failed(verifyTensor(*this, "'final_state'", "[B, H, dk, dv]",
                          getFinalState().getType(), stateShape, element)))
    return failure();
  return verifyGamma(*this, getGamma(), shape[1]);
}

LogicalResult ChunkOutputsOp::verify() {
  FailureOr<RetentionDims> dims =
      verifyInputs(*this, getQ().getType(), getK().getType(), getV().getType());
  if (failed(dims))
    return failure();
  Type element = getQ().getType().getElementType();
  if (failed(verifyTensor(
          *this, "'starts'", "[B, H, N, dk, dv]", getStarts().getType(),
          dims->chunkStates(getChunkSize()), getStateElementType(element))) ||
      failed(verifyTensor(*this, "'output'", "[B, H, T, dv]",
                          getOutput().getType(), dims->tokens(dims->valueDim),
                          element)))
    return failure();
  return verifyGamma(*this, getGamma(), dims->heads);
}
