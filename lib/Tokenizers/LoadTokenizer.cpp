//===- LoadTokenizer.cpp - Pick the loader of a tokenizer file ------------===//

#include "TokenizerLoaders.h"
#include "retnet/Tokenizers/Tokenizers.h"

#include <sys/stat.h>

using namespace retnet_tokenizers;

std::unique_ptr<retnet_runtime::Tokenizer>
retnet_tokenizers::loadTokenizer(const std::string &path, std::string &error) {
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    std::string json =
        path + (path.back() == '/' ? "" : "/") + "tokenizer.json";
    if (stat(json.c_str(), &info) != 0) {
      error = "tokenizer '" + path + "' is a folder without tokenizer.json";
      return nullptr;
    }
    return loadByteLevelBpeTokenizer(json, error);
  }
  auto endsWith = [&](const std::string &suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  if (endsWith(".json"))
    return loadByteLevelBpeTokenizer(path, error);
  return loadSentencePieceTokenizer(path, error);
}
