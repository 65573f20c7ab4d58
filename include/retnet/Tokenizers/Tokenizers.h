//===- Tokenizers.h - Tokenizers of the tools -------------------*- C++ -*-===//
//
// Loads the tokenizer a model was trained with, for retnet-run --tokenizer
// and retnet-tokenize. Compiled model libraries do not link it.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TOKENIZERS_TOKENIZERS_H
#define RETNET_TOKENIZERS_TOKENIZERS_H

#include "retnet/Runtime/Tokenizer.h"

#include <memory>
#include <string>

namespace retnet_tokenizers {
/// Loads a tokenizer: a SentencePiece model (a `.model` file, as spm_train
/// writes), or a Hugging Face tokenizer.json of a byte-level BPE model (a
/// `.json` file, or a folder that holds tokenizer.json). Null with `error`
/// naming the file and the problem.
std::unique_ptr<retnet_runtime::Tokenizer>
loadTokenizer(const std::string &path, std::string &error);
} // namespace retnet_tokenizers

#endif // RETNET_TOKENIZERS_TOKENIZERS_H
