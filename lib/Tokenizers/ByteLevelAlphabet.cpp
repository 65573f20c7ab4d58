//===- ByteLevelAlphabet.cpp - GPT-2's byte-level symbols and UTF-8 -------===//

#include "ByteLevelAlphabet.h"

#include <algorithm>

using namespace retnet_tokenizers;

/// UTF-8 of code point `c`.
static void appendUtf8(uint32_t c, std::string &out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | c >> 6);
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | c >> 12);
    out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | c >> 18);
    out += static_cast<char>(0x80 | (c >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// The length of the valid UTF-8 character at `text[at]`, or 0.
static size_t utf8Length(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[at + i]); };
  uint8_t lead = byte(0);
  size_t length = lead < 0x80                    ? 1
                  : lead >= 0xC2 && lead <= 0xDF ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  if (length == 0 || at + length > text.size())
    return 0;
  for (size_t i = 1; i < length; ++i)
    if ((byte(i) & 0xC0) != 0x80)
      return 0;
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F) ||
      (lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) > 0x8F))
    return 0;
  return length;
}

/// `bytes` with every byte that does not begin a valid UTF-8 character
/// replaced by U+FFFD.
std::string retnet_tokenizers::lossyUtf8(std::string_view bytes) {
  std::string text;
  for (size_t at = 0; at < bytes.size();) {
    size_t length = utf8Length(bytes, at);
    if (length == 0) {
      text += "\xEF\xBF\xBD";
      ++at;
      continue;
    }
    text.append(bytes.substr(at, length));
    at += length;
  }
  return text;
}

/// The code point of the UTF-8 character at `text[at]`, advancing `at`.
uint32_t retnet_tokenizers::nextCodePoint(std::string_view text, size_t &at) {
  size_t length = std::max<size_t>(1, utf8Length(text, at));
  uint32_t c = static_cast<uint8_t>(text[at]);
  if (length > 1) {
    c &= 0xFF >> (length + 1);
    for (size_t i = 1; i < length; ++i)
      c = c << 6 | (static_cast<uint8_t>(text[at + i]) & 0x3F);
  }
  at += length;
  return c;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  // GPT-2's table: printable Latin-1 bytes stand for themselves, the others
  // for U+0100 onwards, in byte order.
  uint32_t next = 256;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    bool printable = (byte >= '!' && byte <= '~') ||
                     (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    uint32_t symbol = printable ? byte : next++;
    appendUtf8(symbol, symbols[byte]);
    bytes[symbol] = static_cast<uint8_t>(byte);
  }
}

std::string ByteLevelAlphabet::encode(std::string_view text) const {
  std::string out;
  for (char c : text)
    out += symbols[static_cast<uint8_t>(c)];
  return out;
}

std::string ByteLevelAlphabet::decode(std::string_view symbolText) const {
  std::string out;
  for (size_t at = 0; at < symbolText.size();) {
    size_t start = at;
    uint32_t c = nextCodePoint(symbolText, at);
    auto found = bytes.find(c);
    if (found != bytes.end())
      out += static_cast<char>(found->second);
    else
      out.append(symbolText.substr(start, at - start));
  }
  return out;
}
