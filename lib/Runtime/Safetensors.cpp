//===- Safetensors.cpp - Memory-mapped safetensors files ------------------===//

#include "retnet/Runtime/Safetensors.h"
#include "retnet/FloatFormats.h"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace retnet_runtime;

namespace {
/// A small parser for the JSON header of safetensors files: an object of
/// objects with string, integer-array and string-map members.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  bool parse(std::map<std::string, TensorView> &tensors,
             std::map<std::string, std::pair<uint64_t, uint64_t>> &ranges,
             std::string &error);

private:
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\r' || text[pos] == '\t'))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool parseString(std::string &out);
  bool parseInteger(uint64_t &out);
  bool parseIntegerArray(std::vector<uint64_t> &out);
  /// Skips a JSON value nested at most kMaxNesting levels deep (`depth`
  /// levels are open around it); sets `tooDeep` beyond.
  bool skipValue(int depth = 0);

  /// The deepest nesting of arrays and objects accepted in a header: real
  /// headers nest 3 levels, and a bound keeps the parser off the stack
  /// limit.
  static constexpr int kMaxNesting = 64;

  const std::string &text;
  size_t pos = 0;
  bool tooDeep = false;
};
} // namespace

bool HeaderParser::parseString(std::string &out) {
  if (!consume('"'))
    return false;
  out.clear();
  while (pos < text.size() && text[pos] != '"') {
    if (text[pos] == '\\') {
      if (++pos >= text.size())
        return false;
      char escaped = text[pos];
      if (escaped == 'u') {
        // Names are ASCII in practice; keep the escape verbatim.
        out += "\\u";
      } else {
        out += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
      }
      ++pos;
      continue;
    }
    out += text[pos++];
  }
  return consume('"');
}

bool HeaderParser::parseInteger(uint64_t &out) {
  skipSpace();
  size_t start = pos;
  out = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    uint64_t digit = text[pos] - '0';
    if (out > (UINT64_MAX - digit) / 10)
      return false;
    out = out * 10 + digit;
    ++pos;
  }
  return pos > start;
}

bool HeaderParser::parseIntegerArray(std::vector<uint64_t> &out) {
  if (!consume('['))
    return false;
  out.clear();
  if (consume(']'))
    return true;
  do {
    uint64_t value;
    if (!parseInteger(value))
      return false;
    out.push_back(value);
  } while (consume(','));
  return consume(']');
}

bool HeaderParser::skipValue(int depth) {
  skipSpace();
  if (pos >= text.size())
    return false;
  char c = text[pos];
  if (c == '"') {
    std::string ignored;
    return parseString(ignored);
  }
  if (c == '{' || c == '[') {
    if (depth >= kMaxNesting) {
      tooDeep = true;
      return false;
    }
    char close = c == '{' ? '}' : ']';
    ++pos;
    if (consume(close))
      return true;
    do {
      if (c == '{') {
        std::string key;
        if (!parseString(key) || !consume(':'))
          return false;
      }
      if (!skipValue(depth + 1))
        return false;
    } while (consume(','));
    return consume(close);
  }
  size_t start = pos;
  while (pos < text.size() && text[pos] != ',' && text[pos] != '}' &&
         text[pos] != ']' && text[pos] != ' ' && text[pos] != '\n')
    ++pos;
  return pos > start;
}

bool HeaderParser::parse(
    std::map<std::string, TensorView> &tensors,
    std::map<std::string, std::pair<uint64_t, uint64_t>> &ranges,
    std::string &error) {
  auto fail = [&](const std::string &what) {
    error =
        "malformed header (" + what + " at byte " + std::to_string(pos) + ")";
    return false;
  };
  if (!consume('{'))
    return fail("expected '{'");
  if (consume('}'))
    return true;
  do {
    std::string name;
    if (!parseString(name) || !consume(':'))
      return fail("expected a tensor name");
    if (name == "__metadata__") {
      if (!skipValue(/*depth=*/1))
        return fail(tooDeep ? "__metadata__ nested deeper than " +
                                  std::to_string(kMaxNesting) + " levels"
                            : "bad __metadata__");
      continue;
    }
    if (tensors.count(name))
      return fail("a second tensor named '" + name + "'");
    if (!consume('{'))
      return fail("expected the entry of tensor '" + name + "'");
    TensorView view;
    std::vector<uint64_t> shape, offsets;
    bool haveDType = false, haveShape = false, haveOffsets = false;
    if (!consume('}')) {
      do {
        std::string key;
        if (!parseString(key) || !consume(':'))
          return fail("expected a key in tensor '" + name + "'");
        if (key == "dtype") {
          if (!parseString(view.dtypeName))
            return fail("bad dtype of tensor '" + name + "'");
          haveDType = true;
        } else if (key == "shape") {
          if (!parseIntegerArray(shape))
            return fail("bad shape of tensor '" + name + "'");
          haveShape = true;
        } else if (key == "data_offsets") {
          if (!parseIntegerArray(offsets) || offsets.size() != 2)
            return fail("bad data_offsets of tensor '" + name + "'");
          haveOffsets = true;
        } else if (!skipValue(/*depth=*/2)) {
          return fail(
              tooDeep ? "a value in tensor '" + name + "' nested deeper than " +
                            std::to_string(kMaxNesting) + " levels"
                      : "bad value of '" + key + "' in tensor '" + name + "'");
        }
      } while (consume(','));
      if (!consume('}'))
        return fail("expected '}' after tensor '" + name + "'");
    }
    if (!haveDType || !haveShape || !haveOffsets)
      return fail("tensor '" + name + "' lacks dtype, shape or data_offsets");
    view.dtype = view.dtypeName == "F32"    ? DType::F32
                 : view.dtypeName == "F16"  ? DType::F16
                 : view.dtypeName == "BF16" ? DType::BF16
                 : view.dtypeName == "I8"   ? DType::I8
                                            : DType::Other;
    for (uint64_t dim : shape)
      view.shape.push_back(static_cast<int64_t>(dim));
    ranges[name] = {offsets[0], offsets[1]};
    tensors[name] = std::move(view);
  } while (consume(','));
  if (!consume('}'))
    return fail("expected '}'");
  // Only the padding of spaces may follow the object: the header ends where
  // the byte buffer begins.
  skipSpace();
  if (pos != text.size())
    return fail("bytes after the header object");
  return true;
}

/// Checks that the tensors' byte ranges follow one another from the start
/// of the byte buffer to its end, without gaps or overlaps.
static bool
checkRanges(const std::map<std::string, std::pair<uint64_t, uint64_t>> &ranges,
            uint64_t dataBytes, std::string &error) {
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::string>> sorted;
  for (const auto &[name, range] : ranges)
    sorted.push_back({range, name});
  std::sort(sorted.begin(), sorted.end());
  uint64_t next = 0;
  std::string previous;
  for (const auto &[range, name] : sorted) {
    auto [begin, end] = range;
    if (begin != next) {
      error = "tensor '" + name + "' starts at byte " + std::to_string(begin) +
              " of the data, but " +
              (previous.empty() ? std::string("the data starts at 0")
                                : "tensor '" + previous + "' ends at " +
                                      std::to_string(next)) +
              " (tensors must follow one another without gaps or overlaps)";
      return false;
    }
    next = end;
    previous = name;
  }
  if (next != dataBytes) {
    error = "the tensors cover " + std::to_string(next) +
            " bytes of data but the file holds " + std::to_string(dataBytes) +
            " after the header (a wrong header length, or bytes that belong "
            "to no tensor)";
    return false;
  }
  return true;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping)
    munmap(mapping, mappedBytes);
}

/// Maps the regular file `path` (of at least the 8 bytes of the header
/// length) read-only into `mapped`, `size` bytes. False with `error` set.
static bool mapFile(const std::string &path, void *&mapped, size_t &size,
                    std::string &error) {
  // Non-blocking, so that a FIFO or a device does not hang the open; only
  // regular files are read.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    ::close(fd);
    error = "cannot stat";
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    error = "not a regular file";
    return false;
  }
  size = static_cast<size_t>(info.st_size);
  if (size < 8) {
    ::close(fd);
    error =
        "truncated: " + std::to_string(size) + " bytes, not a safetensors file";
    return false;
  }
  mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) {
    error = "cannot map the file";
    return false;
  }
  return true;
}

/// Points each tensor of `entries` at its bytes in `data`, the byte buffer
/// of `dataBytes` bytes, after checking that its range `ranges` holds lies
/// in the buffer and fits its shape and dtype. False with `error` set.
static bool
placeTensors(std::map<std::string, TensorView> &entries,
             std::map<std::string, std::pair<uint64_t, uint64_t>> &ranges,
             const unsigned char *data, size_t dataBytes, std::string &error) {
  auto fail = [&](const std::string &what) {
    error = what;
    return false;
  };
  for (auto &[name, view] : entries) {
    auto [begin, end] = ranges[name];
    if (begin > end)
      return fail("tensor '" + name + "' has data_offsets [" +
                  std::to_string(begin) + ", " + std::to_string(end) +
                  ") that end before they begin");
    if (end > dataBytes)
      return fail("truncated: tensor '" + name + "' needs bytes [" +
                  std::to_string(begin) + ", " + std::to_string(end) +
                  ") of the data but the file has " +
                  std::to_string(dataBytes));
    uint64_t elements = 1;
    for (int64_t dim : view.shape)
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dim),
                                 &elements))
        return fail("tensor '" + name +
                    "' has a shape of more elements "
                    "than can be addressed");
    size_t elementBytes = view.dtype == DType::F32     ? 4
                          : view.dtype == DType::I8    ? 1
                          : view.dtype == DType::Other ? 0
                                                       : 2;
    uint64_t tensorBytes = 0;
    if (elementBytes &&
        (__builtin_mul_overflow(elements, elementBytes, &tensorBytes) ||
         tensorBytes != end - begin))
      return fail("tensor '" + name + "' has " + std::to_string(end - begin) +
                  " bytes of data for " + std::to_string(elements) +
                  " elements of " + view.dtypeName);
    view.data = data + begin;
    view.bytes = end - begin;
  }
  return true;
}

/// Gives each I8 matrix of `entries` the scales of its rows, or of groups
/// of its rows' values (a number of groups that divides the row length),
/// where the file holds them (the matrix's name and kScaleSuffix).
static void attachScales(std::map<std::string, TensorView> &entries) {
  for (auto &[name, view] : entries) {
    if (view.dtype != DType::I8 || view.shape.size() != 2)
      continue;
    auto scales = entries.find(name + kScaleSuffix);
    if (scales == entries.end())
      continue;
    const TensorView &candidate = scales->second;
    const std::vector<int64_t> &shape = candidate.shape;
    bool perRow = shape == std::vector<int64_t>{view.shape[0]};
    bool perGroup = shape.size() == 2 && shape[0] == view.shape[0] &&
                    shape[1] > 0 && view.shape[1] % shape[1] == 0;
    if ((candidate.dtype == DType::F32 || candidate.dtype == DType::F16 ||
         candidate.dtype == DType::BF16) &&
        (perRow || perGroup))
      view.scales = &candidate;
  }
}

bool SafetensorsFile::open(const std::string &path, std::string &error) {
  auto fail = [&](const std::string &what) {
    error = "'" + path + "': " + what;
    return false;
  };
  void *mapped = nullptr;
  size_t size = 0;
  std::string problem;
  if (!mapFile(path, mapped, size, problem))
    return fail(problem);
  mapping = mapped;
  mappedBytes = size;

  const auto *bytes = static_cast<const unsigned char *>(mapped);
  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i)
    headerBytes = headerBytes << 8 | bytes[i];
  if (headerBytes > size - 8)
    return fail("truncated: the header claims " + std::to_string(headerBytes) +
                " bytes but the file has " + std::to_string(size - 8) +
                " after the length");
  std::string header(reinterpret_cast<const char *>(bytes + 8), headerBytes);
  std::map<std::string, std::pair<uint64_t, uint64_t>> ranges;
  if (!HeaderParser(header).parse(entries, ranges, problem))
    return fail(problem);

  size_t dataStart = 8 + headerBytes, dataBytes = size - dataStart;
  if (!placeTensors(entries, ranges, bytes + dataStart, dataBytes, problem) ||
      !checkRanges(ranges, dataBytes, problem))
    return fail(problem);
  attachScales(entries);
  return true;
}

void SafetensorsFile::releasePages(const TensorView &view) const {
  static const size_t pageSize = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto address = reinterpret_cast<uintptr_t>(view.data);
  uintptr_t first = (address + pageSize - 1) / pageSize * pageSize;
  uintptr_t last = (address + view.bytes) / pageSize * pageSize;
  if (last > first)
    (void)madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

const TensorView *SafetensorsFile::find(const std::string &name) const {
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second;
}

void retnet_runtime::convertToFloat(const TensorView &view, size_t first,
                                    size_t count, float *out) {
  switch (view.dtype) {
  case DType::F32:
    std::memcpy(out, view.data + first * 4, count * 4);
    return;
  case DType::F16:
    for (size_t i = 0; i < count; ++i) {
      uint16_t half;
      std::memcpy(&half, view.data + (first + i) * 2, 2);
      out[i] = retnet_float::f16ToFloat(half);
    }
    return;
  case DType::BF16:
    for (size_t i = 0; i < count; ++i) {
      uint16_t high;
      std::memcpy(&high, view.data + (first + i) * 2, 2);
      out[i] = retnet_float::bf16ToFloat(high);
    }
    return;
  case DType::I8: {
    if (!view.scales)
      return;
    // A run of values that share a scale (a row, or a group of a row's
    // values) at a time, its scale read once: scale k covers the values
    // [k * run, (k + 1) * run).
    size_t run =
        static_cast<size_t>(view.group() ? view.group() : view.shape.back());
    for (size_t i = 0; i < count;) {
      size_t index = (first + i) / run;
      size_t end = std::min(count, (index + 1) * run - first);
      float scale;
      convertToFloat(*view.scales, index, 1, &scale);
      for (; i < end; ++i)
        out[i] = static_cast<float>(static_cast<int8_t>(view.data[first + i])) *
                 scale;
    }
    return;
  }
  case DType::Other:
    return;
  }
}
