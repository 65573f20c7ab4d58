//===- SequenceOutput.h - What one generated sequence gives out -*- C++ -*-===//
//
// The bookkeeping of one sequence being generated, shared by retnet-run and
// retnet-serve: its tokens, their output as it becomes final (the text,
// through TextStream, with a tokenizer; else the ids, comma-separated), and
// how it ended (EOS, a stop string, or the most tokens). Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_SEQUENCEOUTPUT_H
#define RETNET_RUNTIME_SEQUENCEOUTPUT_H

#include "retnet/Runtime/Tokenizer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace retnet_runtime {
class SequenceOutput {
public:
  enum class Finish { None, Eos, Stop, Length };

  /// A sequence after `prompt` that ends at token `eosId` (-1: never), at
  /// the first of `stops` (text; needs a tokenizer) or after `maxTokens`
  /// tokens. `tokenizer` may be null (ids out) and must outlive this.
  SequenceOutput(const Tokenizer *tokenizer, const std::vector<int32_t> &prompt,
                 std::vector<std::string> stops, int64_t eosId,
                 int64_t maxTokens);

  /// Takes the next generated token; `output` gets what became final (when
  /// the token ends the sequence, with everything held back). False with
  /// `error` set when the tokens cannot be decoded.
  bool accept(int32_t token, std::string &output, std::string &error);

  Finish finish() const { return ending; }
  bool finished() const { return ending != Finish::None; }
  /// Tokens generated (EOS not counted).
  int64_t generated() const { return count; }

private:
  std::unique_ptr<TextStream> text;
  int64_t eos, limit;
  int64_t count = 0;
  Finish ending = Finish::None;
};
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_SEQUENCEOUTPUT_H
