//===- SafetensorsReader.h - Minimal safetensors reader ---------*- C++ -*-===//
//
// Reads a whole safetensors file and converts F32/F16/BF16 tensors, and I8
// matrices with a scale per row (`<name>_scale`), to double.
// Independent of the product's runtime so that it can serve as an oracle.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TEST_REFERENCE_SAFETENSORSREADER_H
#define RETNET_TEST_REFERENCE_SAFETENSORSREADER_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace retnet_reference {

/// Converts IEEE half and bfloat16 bit patterns to double (exact).
double halfToDouble(uint16_t bits);
double bfloat16ToDouble(uint16_t bits);

/// One tensor entry of a safetensors header.
struct TensorEntry {
  std::string dtype;           // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;  // row-major
  uint64_t begin = 0, end = 0; // byte offsets relative to the data section
};

class SafetensorsFile {
public:
  /// Reads and validates `path` (header syntax, offsets inside the file,
  /// sizes consistent with dtype and shape). On failure returns false and
  /// sets `error`.
  bool open(const std::string &path, std::string &error);

  bool contains(const std::string &name) const {
    return entries.count(name) != 0;
  }
  const std::map<std::string, TensorEntry> &tensors() const { return entries; }

  /// Converts tensor `name` to double. When `expectedShape` is not empty it
  /// must match exactly. On failure returns false and sets `error`.
  bool read(const std::string &name, const std::vector<int64_t> &expectedShape,
            std::vector<double> &values, std::string &error) const;

private:
  std::string path;
  std::string data; // the bytes after the header
  std::map<std::string, TensorEntry> entries;
};

} // namespace retnet_reference

#endif // RETNET_TEST_REFERENCE_SAFETENSORSREADER_H
