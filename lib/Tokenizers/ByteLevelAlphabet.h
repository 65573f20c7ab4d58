//===- ByteLevelAlphabet.h - GPT-2's byte symbols and UTF-8 -----*- C++ -*-===//
//
// Private to lib/Tokenizers: the characters that byte-level BPE vocabularies
// spell bytes with, and the UTF-8 reading that the tokenizer needs.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TOKENIZERS_BYTELEVELALPHABET_H
#define RETNET_TOKENIZERS_BYTELEVELALPHABET_H

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace retnet_tokenizers {
/// `bytes` with every byte that does not begin a valid UTF-8 character
/// replaced by U+FFFD.
std::string lossyUtf8(std::string_view bytes);

/// The code point of the UTF-8 character at `text[at]`, advancing `at`.
uint32_t nextCodePoint(std::string_view text, size_t &at);

/// GPT-2's map between bytes and the printable characters that stand for
/// them, so that every text has a spelling in the vocabulary.
class ByteLevelAlphabet {
public:
  ByteLevelAlphabet();
  /// The characters of the bytes of `text`.
  std::string encode(std::string_view text) const;
  /// The bytes the characters of `symbols` stand for (a character outside
  /// the alphabet stands for itself).
  std::string decode(std::string_view symbols) const;

private:
  std::string symbols[256];
  std::unordered_map<uint32_t, uint8_t> bytes;
};
} // namespace retnet_tokenizers

#endif // RETNET_TOKENIZERS_BYTELEVELALPHABET_H
