//===- Safetensors.h - Memory-mapped safetensors files ----------*- C++ -*-===//

#ifndef RETNET_RUNTIME_SAFETENSORS_H
#define RETNET_RUNTIME_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace retnet_runtime {
/// Element types the loader converts to f32. I8 matrices are quantized
/// weights (as retnet-quantize writes them): row r holds q * scale[r], the
/// scales in the float tensor `<name>_scale` of shape [rows]; or, quantized
/// in groups of G values of a row, q[r, c] * scale[r, c / G], the scales of
/// shape [rows, columns / G].
enum class DType { F32, F16, BF16, I8, Other };

/// The suffix of the name of an I8 matrix's scales.
constexpr const char *kScaleSuffix = "_scale";

struct TensorView {
  DType dtype = DType::Other;
  std::string dtypeName;
  std::vector<int64_t> shape;
  const unsigned char *data = nullptr;
  size_t bytes = 0;
  /// An I8 matrix's scales, one per row or per group of a row, where the
  /// file has them.
  const TensorView *scales = nullptr;

  /// The values of a row of an I8 matrix that share a scale: 0 for one
  /// scale per row.
  int64_t group() const {
    return scales && scales->shape.size() == 2 && scales->shape[1] > 0
               ? shape.back() / scales->shape[1]
               : 0;
  }

  /// Whether convertToFloat gives this tensor's values: a float tensor, or
  /// an I8 matrix with its scales.
  bool convertible() const {
    return dtype == DType::I8 ? scales != nullptr : dtype != DType::Other;
  }
};

/// A read-only, memory-mapped safetensors file.
class SafetensorsFile {
public:
  SafetensorsFile() = default;
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  /// Maps and parses `path`; on failure returns false with a message that
  /// names the file and the problem.
  bool open(const std::string &path, std::string &error);

  const std::map<std::string, TensorView> &tensors() const { return entries; }
  const TensorView *find(const std::string &name) const;

  /// Gives back the memory of the file pages that lie wholly inside
  /// `view`'s data (a tensor that has been copied out), so that they stop
  /// counting in the process's resident memory; reading them again maps
  /// them again from the page cache.
  void releasePages(const TensorView &view) const;

private:
  void *mapping = nullptr;
  size_t mappedBytes = 0;
  std::map<std::string, TensorView> entries;
};

/// Converts `count` elements of `view` starting at element `first` to f32
/// (a convertible() view).
void convertToFloat(const TensorView &view, size_t first, size_t count,
                    float *out);
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_SAFETENSORS_H
