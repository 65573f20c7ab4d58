//===- WeightPacking.h - Checkpoints into a library's weights --*- C++ -*-===//
//
// How retnet_model_load stores a checkpoint's tensors in the layout and the
// weight type of a model library: conversion to f32, bf16, f16 or int8
// (quantized per group of an output channel), transposition and panels,
// with a check of every value. Plain C++: the runtime does not link LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_WEIGHTPACKING_H
#define RETNET_RUNTIME_WEIGHTPACKING_H

#include "retnet/Runtime/ModelLayout.h"
#include "retnet/Runtime/Safetensors.h"

#include <cfloat>
#include <cstdint>
#include <map>
#include <string>

namespace retnet_runtime {

/// The index of the first value of `values[0, count)` that is not finite
/// or whose magnitude exceeds `limit`, or -1.
int64_t firstOutOfRange(const float *values, int64_t count,
                        float limit = FLT_MAX);

/// Copies `source` into `weight` in the weight's type (transposed for
/// matrices, in panels where the layout has them), one row of the source at
/// a time; returns the index of the first element of the source that is not
/// finite or does not fit the type (f16: beyond 65504), or -1. An int8
/// weight quantizes each row of the source (an output channel), whole or in
/// groups of `group` values, and stores the scales in `scales`; a source
/// quantized the same way is copied as it is.
int64_t packSource(const TensorView &view, const PackedSource &source,
                   const PackedWeight &weight, const PackedWeight *scales,
                   int64_t group, char *arena);

/// Whether `view` is stored as it is in a library of weight type `type`
/// (int8: quantized in groups of `group`, or per channel with 0).
bool isOfType(const TensorView &view, WeightType type, int64_t group);

/// How `view` is stored, for notes: its dtype, and an I8 matrix's groups.
std::string storageName(const TensorView &view);

/// One line on stderr: the matrices of `path` converted at load, by their
/// file's dtype, to the library's weight type (int8 in groups of `group`,
/// or per channel with 0).
void noteConversion(const char *path,
                    const std::map<std::string, int64_t> &countByDType,
                    WeightType type, int64_t group);

} // namespace retnet_runtime

#endif // RETNET_RUNTIME_WEIGHTPACKING_H
