//===- CompletionRequest.h - Parse /v1/completions requests -----*- C++ -*-===//
//
// The subset of OpenAI's completions request that retnet-serve takes, read
// strictly: each known field of the wrong type or out of range is an error
// naming it, the fields it does not implement (n, echo, logprobs, best_of)
// are errors unless they ask for the default, and unknown fields are
// ignored, as OpenAI clients send extras.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_SERVE_COMPLETIONREQUEST_H
#define RETNET_SERVE_COMPLETIONREQUEST_H

#include "Engine.h"

#include <string>

namespace retnet_serve {
struct RequestLimits {
  /// The longest prompt, in tokens (BOS included).
  int64_t maxPromptTokens = 4096;
  /// The largest max_tokens.
  int64_t maxTokens = 4096;
  /// The model's vocabulary: prompt ids must be below it.
  int64_t vocab = 0;
};

/// Why a request was refused: a message and the field it names.
struct RequestError {
  std::string message;
  std::string param;
};

/// Reads a request body into `request` and `stream`. The prompt is a
/// string (tokenized after the tokenizer's BOS) or an array of token ids.
/// False with `error` set.
bool parseCompletionRequest(const std::string &body,
                            const retnet_runtime::Tokenizer *tokenizer,
                            const RequestLimits &limits,
                            CompletionRequest &request, bool &stream,
                            RequestError &error);
} // namespace retnet_serve

#endif // RETNET_SERVE_COMPLETIONREQUEST_H
