//===- RequestFuzzer.cpp - Fuzz target: /v1/completions request bodies ----===//
//
// Parses the input as retnet-serve parses a request body, once without a
// tokenizer and once with a small byte-level BPE tokenizer (a seed of the
// tokenizer corpus). A refusal must have a message that names its field; an
// accepted request must hold what the engine relies on: a prompt of ids
// inside the vocabulary and within the prompt limit, max_tokens within its
// range, sampling parameters that the sampler accepts, and stop strings only
// with a tokenizer.
//
//===----------------------------------------------------------------------===//

#include "CompletionRequest.h"
#include "retnet/Runtime/Sampling.h"
#include "retnet/Tokenizers/Tokenizers.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#ifndef RETNET_REQUEST_FUZZER_TOKENIZER
#error "RETNET_REQUEST_FUZZER_TOKENIZER names the tokenizer.json to use"
#endif

using namespace retnet_serve;

[[noreturn]] static void violated(const std::string &what,
                                  const std::string &body) {
  std::fprintf(stderr, "request-fuzzer: %s\nbody: %s\n", what.c_str(),
               body.c_str());
  std::abort();
}

static void checkRefusal(const RequestError &error, const std::string &body) {
  if (error.message.empty())
    violated("a refusal without a message", body);
  if (!error.param.empty() &&
      error.message.find("'" + error.param + "'") == std::string::npos)
    violated("the message does not name its field '" + error.param +
                 "': " + error.message,
             body);
}

static void checkAccepted(const CompletionRequest &request,
                          const RequestLimits &limits, bool hasTokenizer,
                          const std::string &body) {
  int64_t promptTokens = static_cast<int64_t>(request.prompt.size());
  if (promptTokens < 1 || promptTokens > limits.maxPromptTokens)
    violated("a prompt of " + std::to_string(promptTokens) + " tokens", body);
  for (int32_t id : request.prompt)
    if (id < 0 || id >= limits.vocab)
      violated("prompt id " + std::to_string(id) + " outside the vocabulary",
               body);
  if (request.maxTokens < 1 || request.maxTokens > limits.maxTokens)
    violated("max_tokens " + std::to_string(request.maxTokens), body);
  // The sampler's own check, which the engine's samplers would fail on.
  std::string problem = retnet_runtime::checkSamplingParams(request.sampling);
  if (!problem.empty())
    violated("accepted sampling parameters: " + problem, body);
  if (request.stops.size() > 4 || (!request.stops.empty() && !hasTokenizer))
    violated(std::to_string(request.stops.size()) + " stop strings" +
                 (hasTokenizer ? "" : " without a tokenizer"),
             body);
  for (const std::string &stop : request.stops)
    if (stop.empty())
      violated("an empty stop string", body);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::shared_ptr<const retnet_runtime::Tokenizer> tokenizer = [] {
    std::string error;
    auto loaded = retnet_tokenizers::loadTokenizer(
        RETNET_REQUEST_FUZZER_TOKENIZER, error);
    if (!loaded) {
      std::fprintf(stderr, "request-fuzzer: %s\n", error.c_str());
      std::abort();
    }
    return loaded;
  }();
  std::string body(reinterpret_cast<const char *>(data), size);
  for (const retnet_runtime::Tokenizer *with :
       {static_cast<const retnet_runtime::Tokenizer *>(nullptr),
        tokenizer.get()}) {
    // Small limits, so that the fuzzer reaches them.
    RequestLimits limits;
    limits.maxPromptTokens = 16;
    limits.maxTokens = 64;
    limits.vocab = tokenizer->vocabSize();
    CompletionRequest request;
    bool stream = false;
    RequestError error;
    if (parseCompletionRequest(body, with, limits, request, stream, error))
      checkAccepted(request, limits, with != nullptr, body);
    else
      checkRefusal(error, body);
  }
  return 0;
}
