//===- SafetensorsReader.cpp - Minimal safetensors reader for tests -------===//

#include "SafetensorsReader.h"

#include "llvm/Support/JSON.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace retnet_reference;

double retnet_reference::halfToDouble(uint16_t bits) {
  int sign = (bits >> 15) & 1;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  double magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<double>(mantissa), -24);
  else if (exponent == 0x1f)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<double>(mantissa + 1024), exponent - 25);
  return sign ? -magnitude : magnitude;
}

double retnet_reference::bfloat16ToDouble(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

static uint64_t readLittleEndian(const unsigned char *bytes, unsigned count) {
  uint64_t value = 0;
  for (unsigned i = 0; i < count; ++i)
    value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return value;
}

static unsigned elementSize(const std::string &dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64")
    return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32")
    return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16")
    return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" ||
      dtype == "F8_E5M2")
    return 1;
  return 0;
}

static std::string shapeString(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

bool SafetensorsFile::open(const std::string &filePath, std::string &error) {
  path = filePath;
  entries.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < 8) {
    error = "'" + path + "': shorter than the 8-byte header length";
    return false;
  }
  uint64_t headerLength = readLittleEndian(
      reinterpret_cast<const unsigned char *>(bytes.data()), 8);
  if (headerLength > bytes.size() - 8) {
    error = "'" + path + "': header length " + std::to_string(headerLength) +
            " exceeds the file";
    return false;
  }
  llvm::Expected<llvm::json::Value> header =
      llvm::json::parse(llvm::StringRef(bytes.data() + 8, headerLength));
  if (!header) {
    error = "'" + path +
            "': invalid header JSON: " + llvm::toString(header.takeError());
    return false;
  }
  const llvm::json::Object *object = header->getAsObject();
  if (!object) {
    error = "'" + path + "': the header is not a JSON object";
    return false;
  }
  data = bytes.substr(8 + headerLength);
  for (const auto &[key, value] : *object) {
    std::string name = key.str();
    if (name == "__metadata__")
      continue;
    const llvm::json::Object *fields = value.getAsObject();
    auto bad = [&](const std::string &what) {
      error = "'" + path + "': tensor '" + name + "': " + what;
      return false;
    };
    if (!fields)
      return bad("entry is not an object");
    TensorEntry entry;
    std::optional<llvm::StringRef> dtype = fields->getString("dtype");
    const llvm::json::Array *shape = fields->getArray("shape");
    const llvm::json::Array *offsets = fields->getArray("data_offsets");
    if (!dtype || !shape || !offsets || offsets->size() != 2)
      return bad("needs dtype, shape and data_offsets [begin, end]");
    entry.dtype = dtype->str();
    uint64_t count = 1;
    for (const llvm::json::Value &dim : *shape) {
      std::optional<int64_t> extent = dim.getAsInteger();
      if (!extent || *extent < 0)
        return bad("bad shape");
      entry.shape.push_back(*extent);
      count *= static_cast<uint64_t>(*extent);
    }
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin)
      return bad("bad data_offsets");
    entry.begin = static_cast<uint64_t>(*begin);
    entry.end = static_cast<uint64_t>(*end);
    if (entry.end > data.size())
      return bad("data_offsets [" + std::to_string(entry.begin) + ", " +
                 std::to_string(entry.end) +
                 "] run past the end of the file (" +
                 std::to_string(data.size()) + " data bytes)");
    unsigned size = elementSize(entry.dtype);
    if (size == 0)
      return bad("unknown dtype '" + entry.dtype + "'");
    if (entry.end - entry.begin != count * size)
      return bad("holds " + std::to_string(entry.end - entry.begin) +
                 " bytes, but " + entry.dtype + " " + shapeString(entry.shape) +
                 " needs " + std::to_string(count * size));
    entries[name] = entry;
  }
  return true;
}

bool SafetensorsFile::read(const std::string &name,
                           const std::vector<int64_t> &expectedShape,
                           std::vector<double> &values,
                           std::string &error) const {
  auto found = entries.find(name);
  if (found == entries.end()) {
    error = "'" + path + "': no tensor named '" + name + "'";
    return false;
  }
  const TensorEntry &entry = found->second;
  if (!expectedShape.empty() && entry.shape != expectedShape) {
    error = "'" + path + "': tensor '" + name + "' has shape " +
            shapeString(entry.shape) + ", expected " +
            shapeString(expectedShape);
    return false;
  }
  const auto *bytes =
      reinterpret_cast<const unsigned char *>(data.data()) + entry.begin;
  uint64_t count = 1;
  for (int64_t extent : entry.shape)
    count *= static_cast<uint64_t>(extent);
  values.resize(count);
  if (entry.dtype == "F32") {
    for (uint64_t i = 0; i < count; ++i) {
      uint32_t bits = static_cast<uint32_t>(readLittleEndian(bytes + 4 * i, 4));
      float value;
      std::memcpy(&value, &bits, sizeof(value));
      values[i] = value;
    }
  } else if (entry.dtype == "F16") {
    for (uint64_t i = 0; i < count; ++i)
      values[i] = halfToDouble(
          static_cast<uint16_t>(readLittleEndian(bytes + 2 * i, 2)));
  } else if (entry.dtype == "BF16") {
    for (uint64_t i = 0; i < count; ++i)
      values[i] = bfloat16ToDouble(
          static_cast<uint16_t>(readLittleEndian(bytes + 2 * i, 2)));
  } else if (entry.dtype == "I8" && entry.shape.size() == 2) {
    // A quantized matrix: q * scale of its row, the scales in the tensor
    // `<name>_scale` of shape [rows]; or q * scale of its group of G values
    // of a row, the scales of shape [rows, columns / G].
    auto scaleEntry = entries.find(name + "_scale");
    std::vector<int64_t> scaleShape = {entry.shape[0]};
    if (scaleEntry != entries.end() && scaleEntry->second.shape.size() == 2 &&
        scaleEntry->second.shape[1] > 0 &&
        entry.shape[1] % scaleEntry->second.shape[1] == 0)
      scaleShape.push_back(scaleEntry->second.shape[1]);
    std::vector<double> scales;
    if (!read(name + "_scale", scaleShape, scales, error))
      return false;
    uint64_t run = static_cast<uint64_t>(
        entry.shape[1] / (scaleShape.size() == 2 ? scaleShape[1] : 1));
    for (uint64_t i = 0; i < count; ++i)
      values[i] =
          static_cast<double>(static_cast<int8_t>(bytes[i])) * scales[i / run];
  } else {
    error = "'" + path + "': tensor '" + name + "' has dtype " + entry.dtype +
            "; only F32, F16, BF16 and I8 matrices with scales are read";
    return false;
  }
  return true;
}
