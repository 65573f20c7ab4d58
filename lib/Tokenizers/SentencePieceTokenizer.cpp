//===- SentencePieceTokenizer.cpp - Tokenizer on libsentencepiece ---------===//

#include "TokenizerLoaders.h"

#include <sentencepiece_processor.h>

#include <sys/stat.h>

using namespace retnet_runtime;

namespace {
class SentencePieceTokenizer final : public Tokenizer {
public:
  bool load(const std::string &path, std::string &error) {
    // SentencePiece reads any file as a model protobuf; a directory or a
    // missing file gets a plain message first.
    struct stat info;
    if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      error = "tokenizer '" + path + "': no such file";
      return false;
    }
    sentencepiece::util::Status status = processor.Load(path);
    if (!status.ok() || processor.GetPieceSize() <= 0) {
      error = "tokenizer '" + path + "' is not a SentencePiece model (" +
              status.ToString() + ")";
      return false;
    }
    return true;
  }

  int64_t vocabSize() const override { return processor.GetPieceSize(); }
  int32_t bosId() const override { return processor.bos_id(); }
  int32_t eosId() const override { return processor.eos_id(); }

  bool encode(const std::string &text, std::vector<int32_t> &ids,
              std::string &error) const override {
    std::vector<int> pieces;
    sentencepiece::util::Status status = processor.Encode(text, &pieces);
    if (!status.ok()) {
      error = "cannot tokenize the text: " + status.ToString();
      return false;
    }
    ids.assign(pieces.begin(), pieces.end());
    return true;
  }

  bool decode(const std::vector<int32_t> &ids, std::string &text,
              std::string &error) const override {
    for (int32_t id : ids)
      if (id < 0 || id >= vocabSize()) {
        error = "token id " + std::to_string(id) +
                " is not in the tokenizer's vocabulary of " +
                std::to_string(vocabSize());
        return false;
      }
    std::vector<int> pieces(ids.begin(), ids.end());
    sentencepiece::util::Status status = processor.Decode(pieces, &text);
    if (!status.ok()) {
      error = "cannot decode token ids: " + status.ToString();
      return false;
    }
    return true;
  }

private:
  sentencepiece::SentencePieceProcessor processor;
};
} // namespace

std::unique_ptr<Tokenizer>
retnet_tokenizers::loadSentencePieceTokenizer(const std::string &path,
                                              std::string &error) {
  auto tokenizer = std::make_unique<SentencePieceTokenizer>();
  if (!tokenizer->load(path, error))
    return nullptr;
  return tokenizer;
}
