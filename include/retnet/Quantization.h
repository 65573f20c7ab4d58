//===- Quantization.h - Symmetric int8 quantization of weights --*- C++ -*-===//
//
// One definition for the runtime (quantizing at load) and retnet-quantize
// (writing quantized checkpoints), so that both give the same bytes.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_QUANTIZATION_H
#define RETNET_QUANTIZATION_H

#include <cmath>
#include <cstdint>

namespace retnet_quantization {
/// The largest magnitude of a quantized value: the symmetric range
/// [-127, 127] (-128 is never produced).
constexpr int kInt8Limit = 127;

/// Quantizes `values[0, count)` (finite) symmetrically to `out`: the scale
/// is max |value| / 127 and each value becomes round(value / scale), ties
/// away from zero, so that the largest one maps to +-127 and every value
/// is off by at most scale / 2. Returns the scale (0 for an all-zero
/// channel, whose values all quantize to 0).
inline float quantizeChannel(const float *values, int64_t count, int8_t *out) {
  float largest = 0.0f;
  for (int64_t i = 0; i < count; ++i)
    largest = std::fmax(largest, std::fabs(values[i]));
  float scale = largest / kInt8Limit;
  for (int64_t i = 0; i < count; ++i) {
    float scaled = scale > 0.0f ? values[i] / scale : 0.0f;
    float rounded = std::fmin(std::fmax(std::round(scaled), -kInt8Limit),
                              static_cast<float>(kInt8Limit));
    out[i] = static_cast<int8_t>(rounded);
  }
  return scale;
}
} // namespace retnet_quantization

#endif // RETNET_QUANTIZATION_H
