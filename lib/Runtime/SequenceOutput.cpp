//===- SequenceOutput.cpp - What one generated sequence gives out ---------===//

#include "retnet/Runtime/SequenceOutput.h"

using namespace retnet_runtime;

SequenceOutput::SequenceOutput(const Tokenizer *tokenizer,
                               const std::vector<int32_t> &prompt,
                               std::vector<std::string> stops, int64_t eosId,
                               int64_t maxTokens)
    : text(tokenizer ? std::make_unique<TextStream>(*tokenizer, prompt,
                                                    std::move(stops))
                     : nullptr),
      eos(eosId), limit(maxTokens) {}

bool SequenceOutput::accept(int32_t token, std::string &output,
                            std::string &error) {
  output.clear();
  if (finished())
    return true;
  if (token == eos) {
    ending = Finish::Eos;
  } else {
    ++count;
    if (text) {
      if (!text->append(token, output, error))
        return false;
      if (text->stopped())
        ending = Finish::Stop;
    } else {
      output = (count > 1 ? "," : "") + std::to_string(token);
    }
    if (!finished() && count == limit)
      ending = Finish::Length;
  }
  if (!finished() || !text)
    return true;
  // The end: the text held back (an incomplete character, or the start of a
  // stop string that did not come) is final now.
  std::string rest;
  if (!text->finish(rest, error))
    return false;
  output += rest;
  return true;
}
