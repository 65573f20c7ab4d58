//===- SafetensorsWriter.cpp - Writing safetensors files ------------------===//

#include "retnet/Runtime/SafetensorsWriter.h"

#include "retnet/FloatFormats.h"
#include "retnet/Quantization.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace retnet_runtime;

void retnet_runtime::appendLittleEndian(std::string &out, uint64_t value,
                                        unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xffu));
}

std::vector<EncodedTensor>
retnet_runtime::encodeTensor(const std::string &name,
                             const std::vector<int64_t> &shape,
                             const float *values, DType type, int64_t group) {
  EncodedTensor tensor{name, "", shape, ""};
  size_t count = 1;
  for (int64_t dim : shape)
    count *= static_cast<size_t>(dim);
  switch (type) {
  case DType::F16:
    tensor.dtypeName = "F16";
    for (size_t i = 0; i < count; ++i)
      appendLittleEndian(tensor.bytes, retnet_float::floatToF16(values[i]), 2);
    return {tensor};
  case DType::BF16:
    tensor.dtypeName = "BF16";
    for (size_t i = 0; i < count; ++i)
      appendLittleEndian(tensor.bytes, retnet_float::floatToBF16(values[i]), 2);
    return {tensor};
  case DType::I8: {
    if (shape.size() != 2)
      break;
    tensor.dtypeName = "I8";
    tensor.bytes.resize(count);
    std::vector<int64_t> scaleShape = {shape[0]};
    if (group > 0)
      scaleShape.push_back(shape[1] / group);
    EncodedTensor scales{name + kScaleSuffix, "F32", scaleShape, ""};
    size_t run = static_cast<size_t>(group > 0 ? group : shape[1]);
    for (size_t first = 0; first < count; first += run)
      appendLittleEndian(
          scales.bytes,
          retnet_float::floatBits(retnet_quantization::quantizeChannel(
              values + first, static_cast<int64_t>(run),
              reinterpret_cast<int8_t *>(&tensor.bytes[first]))),
          4);
    return {tensor, scales};
  }
  case DType::F32:
  case DType::Other:
    break;
  }
  tensor.dtypeName = "F32";
  for (size_t i = 0; i < count; ++i)
    appendLittleEndian(tensor.bytes, retnet_float::floatBits(values[i]), 4);
  return {tensor};
}

/// `text` as a JSON string literal.
static std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

bool retnet_runtime::writeSafetensors(
    const std::string &path, const std::vector<EncodedTensor> &tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &error) {
  // The header: the tensors in order, then __metadata__, padded with
  // spaces to a multiple of 8 bytes.
  std::string header = "{";
  uint64_t offset = 0;
  for (const EncodedTensor &tensor : tensors) {
    header += quoted(tensor.name) + ":{\"dtype\":\"" + tensor.dtypeName +
              "\",\"shape\":[";
    for (size_t i = 0; i < tensor.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(tensor.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + tensor.bytes.size()) + "]},";
    offset += tensor.bytes.size();
  }
  header += "\"__metadata__\":{";
  for (size_t i = 0; i < metadata.size(); ++i)
    header += (i ? "," : "") + quoted(metadata[i].first) + ":" +
              quoted(metadata[i].second);
  header += "}}";
  while (header.size() % 8 != 0)
    header.push_back(' ');

  // Written to a temporary file beside `path` and renamed over it at the
  // end: a reader never sees a partial file, and a failed write leaves
  // `path` as it was (also when it is the file being converted).
  std::string temporary = path + ".XXXXXX";
  int descriptor = mkstemp(temporary.data());
  std::FILE *file = descriptor < 0 ? nullptr : fdopen(descriptor, "wb");
  if (!file) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    if (descriptor >= 0) {
      close(descriptor);
      std::remove(temporary.c_str());
    }
    return false;
  }
  // mkstemp makes the file private; give it the permissions of a new file.
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(descriptor, 0666 & ~mask);
  std::string length;
  appendLittleEndian(length, header.size(), 8);
  bool written =
      std::fwrite(length.data(), 1, length.size(), file) == length.size() &&
      std::fwrite(header.data(), 1, header.size(), file) == header.size();
  for (const EncodedTensor &tensor : tensors)
    written = written &&
              std::fwrite(tensor.bytes.data(), 1, tensor.bytes.size(), file) ==
                  tensor.bytes.size();
  int savedErrno = errno;
  if (std::fclose(file) != 0 && written) {
    written = false;
    savedErrno = errno;
  }
  if (written && std::rename(temporary.c_str(), path.c_str()) != 0) {
    written = false;
    savedErrno = errno;
  }
  if (!written) {
    error = "cannot write '" + path + "': " + std::strerror(savedErrno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}
