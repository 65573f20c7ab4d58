//===- SafetensorsWriter.h - Writing safetensors files ----------*- C++ -*-===//
//
// Shared by the tools that write checkpoints (retnet-weights,
// retnet-quantize). Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_SAFETENSORSWRITER_H
#define RETNET_RUNTIME_SAFETENSORSWRITER_H

#include "retnet/Runtime/Safetensors.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace retnet_runtime {
/// A tensor ready to write: its dtype's safetensors name and its
/// little-endian bytes.
struct EncodedTensor {
  std::string name;
  std::string dtypeName;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// Appends the `bytes` low bytes of `value`, least significant first.
void appendLittleEndian(std::string &out, uint64_t value, unsigned bytes);

/// `values` (of `shape`) as tensors of `type`: F32 as they are, F16 and
/// BF16 rounded to nearest even; I8 (a matrix only) quantizes each row
/// symmetrically (retnet_quantization::quantizeChannel), whole or in groups
/// of `group` values (which divides the row length), and adds the F32
/// tensor `<name>_scale` of the scales: [rows] or [rows, columns / group].
std::vector<EncodedTensor> encodeTensor(const std::string &name,
                                        const std::vector<int64_t> &shape,
                                        const float *values, DType type,
                                        int64_t group = 0);

/// Writes `tensors` in their order, with the string pairs `metadata` as
/// `__metadata__`, to `path` (through a temporary file renamed over it);
/// false with `error` set, and `path` unchanged, on failure.
bool writeSafetensors(
    const std::string &path, const std::vector<EncodedTensor> &tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &error);
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_SAFETENSORSWRITER_H
