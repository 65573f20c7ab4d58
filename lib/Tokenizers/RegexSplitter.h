//===- RegexSplitter.h - Split text at the matches of a regex ---*- C++ -*-===//
//
// The pre-tokenizers of Hugging Face tokenizer.json files split text with
// Oniguruma regexes (\p{L}, look-ahead, possessive quantifiers); this uses
// the same engine, through Debian's libonig-dev.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TOKENIZERS_REGEXSPLITTER_H
#define RETNET_TOKENIZERS_REGEXSPLITTER_H

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace retnet_tokenizers {
class RegexSplitter {
public:
  /// Compiles `pattern` (UTF-8, Oniguruma's Ruby syntax). Null with `error`
  /// naming the problem.
  static std::unique_ptr<RegexSplitter> compile(const std::string &pattern,
                                                std::string &error);
  ~RegexSplitter();

  /// Appends to `pieces` the parts of `text` in order: each match and each
  /// stretch between matches ("Isolated" splitting). Empty matches are
  /// skipped. False with `error` set when the regex engine fails.
  bool split(std::string_view text, std::vector<std::string_view> &pieces,
             std::string &error) const;

private:
  RegexSplitter() = default;
  void *regex = nullptr;
};
} // namespace retnet_tokenizers

#endif // RETNET_TOKENIZERS_REGEXSPLITTER_H
