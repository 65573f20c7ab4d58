//===- TokenizerLoaders.h - One loader per tokenizer format -----*- C++ -*-===//
//
// loadTokenizer (retnet/Tokenizers/Tokenizers.h) picks one by the file.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TOKENIZERS_TOKENIZERLOADERS_H
#define RETNET_TOKENIZERS_TOKENIZERLOADERS_H

#include "retnet/Runtime/Tokenizer.h"

#include <memory>
#include <string>

namespace retnet_tokenizers {
/// Loads a tokenizer.json of a byte-level BPE model; BOS and EOS come from
/// a tokenizer_config.json beside it where there is one. Null with `error`
/// naming the file and the problem (e.g. a part of the format that is not
/// supported).
std::unique_ptr<retnet_runtime::Tokenizer>
loadByteLevelBpeTokenizer(const std::string &path, std::string &error);

/// Loads a SentencePiece model (a `.model` file, as spm_train writes). Null
/// with `error` set.
std::unique_ptr<retnet_runtime::Tokenizer>
loadSentencePieceTokenizer(const std::string &path, std::string &error);
} // namespace retnet_tokenizers

#endif // RETNET_TOKENIZERS_TOKENIZERLOADERS_H
