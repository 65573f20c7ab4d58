//===- WeightPacking.cpp - Checkpoint tensors into a library's weights ----===//

#include "retnet/Runtime/WeightPacking.h"

#include "retnet/FloatFormats.h"
#include "retnet/Quantization.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace retnet_runtime;

int64_t retnet_runtime::firstOutOfRange(const float *values, int64_t count,
                                        float limit) {
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(values[i]) || std::fabs(values[i]) > limit)
      return i;
  return -1;
}

/// Stores `values` as `count` elements of `type` at `destination`, element
/// `i` at index `indexOf(i)`: f32 as they are, bf16 and f16 rounded to
/// nearest even. Int8 channels are quantized beforehand (quantizeChannel).
template <typename IndexFn>
static void storeElements(const float *values, int64_t count, WeightType type,
                          char *destination, IndexFn indexOf) {
  for (int64_t i = 0; i < count; ++i) {
    int64_t index = indexOf(i);
    switch (type) {
    case WeightType::F32:
      std::memcpy(destination + index * 4, &values[i], 4);
      break;
    case WeightType::BF16: {
      uint16_t narrow = retnet_float::floatToBF16(values[i]);
      std::memcpy(destination + index * 2, &narrow, 2);
      break;
    }
    case WeightType::F16: {
      uint16_t narrow = retnet_float::floatToF16(values[i]);
      std::memcpy(destination + index * 2, &narrow, 2);
      break;
    }
    case WeightType::Int8:
      destination[index] = static_cast<char>(values[i]);
      break;
    }
  }
}

int64_t retnet_runtime::packSource(const TensorView &view,
                                   const PackedSource &source,
                                   const PackedWeight &weight,
                                   const PackedWeight *scales, int64_t group,
                                   char *arena) {
  char *destination = arena + weight.offset;
  float limit = weight.type == WeightType::F16 ? 65504.0f : FLT_MAX;
  // A vector is one row.
  int64_t columns = source.shape.back();
  int64_t rows = source.shape.size() == 2 ? source.shape[0] : 1;
  std::vector<float> row(columns);
  std::vector<int8_t> quantized(weight.type == WeightType::Int8 ? columns : 0);
  for (int64_t r = 0; r < rows; ++r) {
    convertToFloat(view, static_cast<size_t>(r) * columns, columns, row.data());
    if (int64_t column = firstOutOfRange(row.data(), columns, limit);
        column >= 0)
      return r * columns + column;
    int64_t channel = source.transposed ? source.column + r : r;
    if (scales) {
      // A checkpoint quantized as the library is has its values and scales
      // taken as they are; others are quantized here, from their values.
      bool asStored = view.dtype == DType::I8 && view.group() == group;
      int64_t run = group ? group : columns;
      for (int64_t start = 0, index = 0; start < columns;
           start += run, ++index) {
        float scale;
        if (asStored) {
          convertToFloat(*view.scales, (r * columns + start) / run, 1, &scale);
          std::memcpy(quantized.data() + start, view.data + r * columns + start,
                      run);
        } else {
          scale = retnet_quantization::quantizeChannel(
              row.data() + start, run, quantized.data() + start);
        }
        // Scales [K / G, N] of a product's matrix, [vocab, d / G] of the
        // embedding, or one per channel.
        int64_t at = group == 0          ? channel
                     : source.transposed ? scales->indexOf(index, channel)
                                         : scales->indexOf(r, index);
        std::memcpy(arena + scales->offset + at * 4, &scale, 4);
      }
      for (int64_t c = 0; c < columns; ++c)
        row[c] = quantized[c];
    }
    if (source.transposed)
      storeElements(row.data(), columns, weight.type, destination,
                    [&](int64_t c) { return weight.indexOf(c, channel); });
    else
      storeElements(row.data(), columns, weight.type, destination,
                    [&](int64_t c) { return r * columns + c; });
  }
  return -1;
}

bool retnet_runtime::isOfType(const TensorView &view, WeightType type,
                              int64_t group) {
  DType dtype = view.dtype;
  switch (type) {
  case WeightType::F32:
    return dtype == DType::F32;
  case WeightType::BF16:
    return dtype == DType::BF16;
  case WeightType::F16:
    return dtype == DType::F16;
  case WeightType::Int8:
    return dtype == DType::I8 && view.group() == group;
  }
  return false;
}

std::string retnet_runtime::storageName(const TensorView &view) {
  if (view.dtype != DType::I8)
    return view.dtypeName;
  int64_t group = view.group();
  return group ? "I8 in groups of " + std::to_string(group) : "I8 per channel";
}

void retnet_runtime::noteConversion(
    const char *path, const std::map<std::string, int64_t> &countByDType,
    WeightType type, int64_t group) {
  std::string counts;
  for (const auto &[dtype, count] : countByDType)
    counts +=
        (counts.empty() ? "" : ", ") + std::to_string(count) + " " + dtype;
  std::string library = weightTypeName(type), options = library;
  if (type == WeightType::Int8) {
    library +=
        group ? " in groups of " + std::to_string(group) : " per channel";
    options += group ? " --group=" + std::to_string(group) : " --group=channel";
  }
  std::fprintf(stderr,
               "retnet: note: '%s': matrices converted to the library's "
               "weight type %s at load (%s); `retnet-quantize --type=%s` "
               "writes a file that loads as it is\n",
               path, library.c_str(), counts.c_str(), options.c_str());
}
