//===- fill-weights.cpp - Random weights behind a safetensors header ------===//
//
//   fill-weights HEADER OUT.safetensors [SEED]
//
// HEADER is the start of a float32 safetensors file (its 8-byte size and JSON
// header, as written by retnet-weights); OUT gets that header followed by
// normal values scaled by 0.02 for every byte range the header names: a pool
// of 2^20 seeded values, each block of 2^16 written from a pseudo-random
// place in the pool, so that the 6 GB of the 1.3B example take seconds (the
// values are for benchmarks, which need plausible magnitudes, not
// independence). Plain C++ with no library: scripts/gpu-check.sh makes
// large model weights with it on a GPU machine, where carrying them is too
// costly.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: fill-weights HEADER OUT.safetensors [SEED]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  unsigned char sizeBytes[8];
  if (!in.read(reinterpret_cast<char *>(sizeBytes), 8)) {
    std::fprintf(stderr, "fill-weights: '%s' is not a safetensors header\n",
                 argv[1]);
    return 1;
  }
  uint64_t size = 0;
  for (int i = 7; i >= 0; --i)
    size = size << 8 | sizeBytes[i];
  std::string header(size, '\0');
  if (size > (uint64_t(1) << 30) || !in.read(header.data(), size)) {
    std::fprintf(stderr, "fill-weights: truncated header in '%s'\n", argv[1]);
    return 1;
  }
  // The data ends at the largest end offset of "data_offsets":[begin,end].
  uint64_t dataBytes = 0;
  const std::string key = "\"data_offsets\":[";
  for (size_t at = header.find(key); at != std::string::npos;
       at = header.find(key, at + 1)) {
    const char *begin = header.c_str() + at + key.size();
    char *end = nullptr;
    std::strtoull(begin, &end, 10);
    if (*end == ',')
      dataBytes =
          std::max<uint64_t>(dataBytes, std::strtoull(end + 1, nullptr, 10));
  }
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char *>(sizeBytes), 8);
  out.write(header.data(), size);
  std::mt19937 generator(argc == 4 ? std::atoi(argv[3]) : 1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  constexpr uint64_t kPool = 1 << 20, kBlock = 1 << 16;
  std::vector<float> pool(kPool + kBlock);
  for (float &value : pool)
    value = normal(generator);
  for (uint64_t written = 0; written < dataBytes;) {
    uint64_t count = std::min<uint64_t>(kBlock, (dataBytes - written) / 4);
    uint64_t start = generator() % kPool;
    out.write(reinterpret_cast<const char *>(pool.data() + start), count * 4);
    written += count * 4;
  }
  if (!out) {
    std::fprintf(stderr, "fill-weights: cannot write '%s'\n", argv[2]);
    return 1;
  }
  return 0;
}
