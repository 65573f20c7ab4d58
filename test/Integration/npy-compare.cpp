//===- npy-compare.cpp - Compare two float32 .npy arrays ------------------===//
//
//   npy-compare GOT.npy WANT.npy TOLERANCE
//
// Prints max |got − want| / max |want| (the relative error of model-test)
// and exits 0 if it is at most TOLERANCE and the shapes agree, 1 otherwise.
// Plain C++ with no library, so that it runs on a GPU machine without the
// compiler's libraries (scripts/gpu-check.sh compares CUDA model logits with
// the float64 reference's there).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {
/// A float32 little-endian .npy array: its shape text and values.
struct Array {
  std::string shape;
  std::vector<float> values;
};

bool readArray(const char *path, Array &array, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  char magic[8];
  if (!file.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = std::string(path) + ": not a .npy file";
    return false;
  }
  uint32_t headerSize = 0;
  if (magic[6] == 1) {
    unsigned char size[2];
    file.read(reinterpret_cast<char *>(size), 2);
    headerSize = size[0] | (size[1] << 8);
  } else {
    unsigned char size[4];
    file.read(reinterpret_cast<char *>(size), 4);
    headerSize =
        size[0] | (size[1] << 8) | (size[2] << 16) | (uint32_t(size[3]) << 24);
  }
  std::string header(headerSize, '\0');
  if (!file.read(header.data(), headerSize) ||
      header.find("'descr': '<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    error = std::string(path) + ": expected a C-ordered float32 array";
    return false;
  }
  size_t open = header.find('('), close = header.find(')');
  if (open == std::string::npos || close == std::string::npos) {
    error = std::string(path) + ": no shape in the header";
    return false;
  }
  // The shape as "[d0, d1, ...]", whatever the header's spacing.
  std::string dims = header.substr(open + 1, close - open - 1);
  size_t count = 1;
  array.shape = "[";
  for (const char *p = dims.c_str(); *p;) {
    char *end;
    long dim = std::strtol(p, &end, 10);
    if (end == p) {
      ++p;
      continue;
    }
    array.shape += (array.shape.size() > 1 ? ", " : "") + std::to_string(dim);
    count *= static_cast<size_t>(dim);
    p = end;
  }
  array.shape += "]";
  array.values.resize(count);
  if (!file.read(reinterpret_cast<char *>(array.values.data()),
                 count * sizeof(float))) {
    error = std::string(path) + ": truncated data";
    return false;
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: npy-compare GOT.npy WANT.npy TOLERANCE\n");
    return 2;
  }
  Array got, want;
  std::string error;
  if (!readArray(argv[1], got, error) || !readArray(argv[2], want, error)) {
    std::fprintf(stderr, "npy-compare: %s\n", error.c_str());
    return 2;
  }
  double tolerance = std::atof(argv[3]);
  if (got.shape != want.shape) {
    std::printf("FAIL shapes differ: %s against %s\n", got.shape.c_str(),
                want.shape.c_str());
    return 1;
  }
  double maxDiff = 0.0, maxWant = 0.0;
  bool finite = true;
  for (size_t i = 0; i < want.values.size(); ++i) {
    finite = finite && std::isfinite(got.values[i]);
    maxDiff = std::max(
        maxDiff, std::fabs(double(got.values[i]) - double(want.values[i])));
    maxWant = std::max(maxWant, std::fabs(double(want.values[i])));
  }
  double relative = maxWant > 0.0 ? maxDiff / maxWant : maxDiff;
  bool ok = finite && relative <= tolerance;
  std::printf("%s shape %s: rel err %.2e (tol %.2e)%s\n", ok ? "PASS" : "FAIL",
              want.shape.c_str(), relative, tolerance,
              finite ? "" : ", non-finite values");
  return ok ? 0 : 1;
}
