//===- ModelImport.h - Model description -> retnet IR -----------*- C++ -*-===//

#ifndef RETNET_IMPORT_MODELIMPORT_H
#define RETNET_IMPORT_MODELIMPORT_H

#include "retnet/Import/ModelConfig.h"
#include "retnet/Runtime/ModelLayout.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::retnet {
/// The packed-weight shape of a model description.
::retnet_runtime::ModelShape getModelShape(const ModelConfig &config);

/// Where the compiled entry points expect weights, states, tokens and
/// logits; the values of the global `__retnet_buffers`.
enum class ModelBuffers : int32_t { Host = 0, CUDADevice = 1 };

/// Builds the module of a model: three entry points with C interfaces,
///
///   retnet_graph_prefill_all(weights, tokens[B, T], state, offset, logits[B,
///   T, V]) retnet_graph_prefill_last(weights, tokens[B, T], state, offset,
///   logits[B, V]) retnet_graph_decode(weights, tokens[B, 1], state, offset,
///   logits[B, V])
///
/// where `weights` is the packed layout of ModelLayout.h (memref<?xf32>),
/// `state` the retention states of every layer, memref<L x B x H x dk x dv>,
/// updated in place, and `offset` the position of the first token; plus the
/// globals `__retnet_model_shape`, `__retnet_config_json` and
/// `__retnet_buffers` (where the entry points expect their buffers: the
/// `ModelBuffers` value) that the runtime reads.
OwningOpRef<ModuleOp> importModel(MLIRContext *context,
                                  const ModelConfig &config,
                                  ModelBuffers buffers = ModelBuffers::Host);
} // namespace mlir::retnet

#endif // RETNET_IMPORT_MODELIMPORT_H
