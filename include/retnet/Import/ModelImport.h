//===- ModelImport.h - Model description -> retnet IR -----------*- C++ -*-===//

#ifndef RETNET_IMPORT_MODELIMPORT_H
#define RETNET_IMPORT_MODELIMPORT_H

#include "retnet/Import/ModelConfig.h"
#include "retnet/ModelABI.h"
#include "retnet/Runtime/ModelLayout.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::retnet {
/// The packed-weight shape of a model description.
::retnet_runtime::ModelShape getModelShape(const ModelConfig &config);

/// Builds the module of a model: the three entry points and the globals of
/// ModelABI.h, where `weights` is the packed layout of ModelLayout.h
/// (memref<?xi8>: bytes, viewed as f32 and as the weight type), `state` the
/// retention states of every layer, memref<L x B x H x dk x dv>, updated in
/// place, and `offset` the position of the first token. `buffers` says where
/// the entry points expect their buffers (host or CUDA device memory). With
/// `weightPanel` > 0 the matrices that the layout stores as panels
/// (ModelShape::weightPanel) are read through `linalg.unpack`, which
/// retnet-fold-weight-panels folds into the products. The matrices that
/// products read are tensors of `weightType`; int8 ones have a scale per
/// `weightGroup` values of a channel (0: per channel), which must divide
/// every channel (retnet_runtime::checkWeightGroup).
OwningOpRef<ModuleOp> importModel(
    MLIRContext *context, const ModelConfig &config,
    retnet_abi::BufferKind buffers = retnet_abi::BufferKind::Host,
    int64_t weightPanel = 0,
    retnet_runtime::WeightType weightType = retnet_runtime::WeightType::F32,
    int64_t weightGroup = 0);
} // namespace mlir::retnet

#endif // RETNET_IMPORT_MODELIMPORT_H
