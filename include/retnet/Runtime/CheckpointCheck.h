//===- CheckpointCheck.h - What a checkpoint must hold to load --*- C++ -*-===//
//
// The checks retnet_model_load makes before it converts anything: every
// tensor of the packed layout present, with its shape and a readable dtype;
// torchscale's buffers valid (the rotation angles equal to what the library
// was compiled with; the decays, which the model takes from the checkpoint,
// in (0, 1)); a tied
// output projection equal to the embedding; and no tensor that the model
// would not use. Plain C++: the runtime does not link LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_CHECKPOINTCHECK_H
#define RETNET_RUNTIME_CHECKPOINTCHECK_H

#include "retnet/Runtime/ModelLayout.h"
#include "retnet/Runtime/Safetensors.h"

#include <string>
#include <vector>

namespace retnet_runtime {
/// "[2, 3]".
std::string formatShape(const std::vector<int64_t> &shape);

/// Why the I8 tensor `name` of `file` has no scales: not a matrix, no
/// `<name>_scale`, or one of another dtype or shape.
std::string missingScales(const SafetensorsFile &file, const std::string &name);

/// Checks `file` against the model of `shape` packed as `layout`; tensors
/// the model does not use are an error unless `allowExtraTensors`. Sets
/// `decays` to the decay of each head: exp of the checkpoint's
/// `retnet_rel_pos.decay` (ln gamma) where it stores one, else the formula
/// of the model description. False with `error` naming the tensor and what
/// is wrong with it (for the decays, the head whose stored value is not the
/// logarithm of a decay in (0, 1)).
bool checkCheckpoint(const SafetensorsFile &file, const ModelShape &shape,
                     const WeightLayout &layout, bool allowExtraTensors,
                     std::vector<double> &decays, std::string &error);
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_CHECKPOINTCHECK_H
