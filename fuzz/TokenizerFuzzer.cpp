//===- TokenizerFuzzer.cpp - Fuzz target: tokenizer.json files ------------===//
//
// Loads the input as a Hugging Face tokenizer.json (through a file, as the
// tools do), and where it is accepted encodes a few texts and decodes their
// ids. A refusal must have a message; a tokenizer that is accepted must
// give ids inside its vocabulary and decode them.
//
//===----------------------------------------------------------------------===//

#include "retnet/Tokenizers/Tokenizers.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = [] {
    const char *directory = std::getenv("TMPDIR");
    return std::string(directory && *directory ? directory : "/tmp") +
           "/retnet-tokenizer-fuzzer-" + std::to_string(getpid()) + ".json";
  }();
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file || std::fwrite(data, 1, size, file) != size) {
    std::fprintf(stderr, "tokenizer-fuzzer: cannot write %s\n", path.c_str());
    std::abort();
  }
  std::fclose(file);
  std::string error;
  auto tokenizer = retnet_tokenizers::loadTokenizer(path, error);
  std::remove(path.c_str());
  if (!tokenizer) {
    if (error.empty()) {
      std::fprintf(stderr, "tokenizer-fuzzer: a refusal without a message\n");
      std::abort();
    }
    return 0;
  }
  for (const char *text : {"it's 12 naïve café 東京 🙂 ok", "  \t\n",
                           "<|endoftext|>x<s>", "\xff\xfe bytes"}) {
    std::vector<int32_t> ids;
    std::string decoded;
    if (!tokenizer->encode(text, ids, error))
      continue;
    for (int32_t id : ids)
      if (id < 0 || id >= tokenizer->vocabSize()) {
        std::fprintf(stderr, "tokenizer-fuzzer: id %d outside [0, %lld)\n", id,
                     static_cast<long long>(tokenizer->vocabSize()));
        std::abort();
      }
    if (!tokenizer->decode(ids, decoded, error)) {
      std::fprintf(stderr,
                   "tokenizer-fuzzer: the ids of a text do not decode: %s\n",
                   error.c_str());
      std::abort();
    }
  }
  return 0;
}
