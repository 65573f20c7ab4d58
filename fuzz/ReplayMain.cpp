//===- ReplayMain.cpp - Run a fuzz target over files, without libFuzzer ---===//
//
// Builds without -fsanitize=fuzzer link a fuzz target with this main: it
// feeds every file named on the command line (and every file in a named
// directory) to LLVMFuzzerTestOneInput once, so that the tests replay the
// corpora with any compiler and any sanitizer.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool replay(const std::filesystem::path &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "replay: error: cannot read '%s'\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                          std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                         bytes.size());
  return true;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 2;
  }
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto &entry : std::filesystem::directory_iterator(path, ec))
        if (entry.is_regular_file())
          files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto &file : files) {
        if (!replay(file))
          return 1;
        ++inputs;
      }
      continue;
    }
    if (!replay(path))
      return 1;
    ++inputs;
  }
  if (inputs == 0) {
    std::fprintf(stderr, "replay: error: no inputs\n");
    return 1;
  }
  std::printf("replayed %zu inputs\n", inputs);
  return 0;
}
