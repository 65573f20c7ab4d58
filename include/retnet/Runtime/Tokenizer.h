//===- Tokenizer.h - Tokenizers and streamed generated text -----*- C++ -*-===//
//
// The interface the generation driver reads text through (implemented by
// retnet/Tokenizers/Tokenizers.h), and TextStream, which turns generated
// token ids into text as they come: text that later tokens cannot change,
// cut at the first stop string. Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_TOKENIZER_H
#define RETNET_RUNTIME_TOKENIZER_H

#include <cstdint>
#include <string>
#include <vector>

namespace retnet_runtime {
/// Text to token ids and back.
class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  /// The number of token ids, 0 to vocabSize() - 1.
  virtual int64_t vocabSize() const = 0;
  /// The id that starts a sequence, or -1 when the tokenizer has none.
  virtual int32_t bosId() const = 0;
  /// The id that ends a sequence, or -1 when the tokenizer has none.
  virtual int32_t eosId() const = 0;
  /// The ids of `text` (no BOS or EOS added). False with `error` set.
  virtual bool encode(const std::string &text, std::vector<int32_t> &ids,
                      std::string &error) const = 0;
  /// The text of `ids`: control tokens (BOS, EOS) give none, and bytes that
  /// do not form UTF-8 give U+FFFD. Ids out of range are an error.
  virtual bool decode(const std::vector<int32_t> &ids, std::string &text,
                      std::string &error) const = 0;
};

/// The ids of a prompt: the tokenizer's BOS first (when `addBos` and it has
/// one), then those of `text`. False with `error` set.
bool encodePrompt(const Tokenizer &tokenizer, const std::string &text,
                  bool addBos, std::vector<int32_t> &ids, std::string &error);

/// The text of the tokens generated after `context`, given out as soon as
/// it is final:
///  - decoding continues `context` (so a first token's leading space is
///    kept: SentencePiece drops it at the start of a text);
///  - a trailing incomplete UTF-8 character (or U+FFFD, which a byte
///    sequence becomes until its last byte arrives) waits for the next
///    token;
///  - text that may be the start of a stop string waits until it is known
///    not to be; at the first stop string the text ends (without it).
class TextStream {
public:
  TextStream(const Tokenizer &tokenizer, std::vector<int32_t> context,
             std::vector<std::string> stops);

  /// Appends a generated token; returns the text that became final (may be
  /// empty). False with `error` set when the tokens cannot be decoded.
  bool append(int32_t token, std::string &text, std::string &error);
  /// At the end of the generation: the text still held back.
  bool finish(std::string &text, std::string &error);
  /// Whether a stop string ended the text.
  bool stopped() const { return stopHit; }
  /// All text given out so far.
  const std::string &text() const { return emitted; }

private:
  bool advance(bool final, std::string &text, std::string &error);

  /// Starts a new window once everything decoded is given out, so that
  /// each token decodes a few tokens, not the whole generation.
  bool rebase(std::string &error);

  const Tokenizer &tokenizer;
  std::vector<std::string> stops;
  /// The window decoded at each token: the last few tokens before it
  /// (`context`), whose text `contextText` is removed from the front, and
  /// the generated tokens since, of whose text `windowEmitted` bytes are
  /// given out.
  std::vector<int32_t> context;
  std::string contextText;
  bool contextDecoded = false;
  std::vector<int32_t> window;
  size_t windowEmitted = 0;
  std::string emitted;
  bool stopHit = false;
};
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_TOKENIZER_H
