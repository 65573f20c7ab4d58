//===- CompletionRequest.cpp - Parse /v1/completions requests -------------===//

#include "CompletionRequest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace retnet_serve;
using json = nlohmann::json;

namespace {
/// Reads the fields of one request object, stopping at the first error.
class FieldReader {
public:
  FieldReader(const json &object, RequestError &error)
      : object(object), error(error) {}

  bool failed() const { return !error.message.empty(); }

  bool fail(const std::string &param, const std::string &message) {
    if (!failed())
      error = {"'" + param + "' " + message, param};
    return false;
  }

  /// The field, or null when absent or JSON null.
  const json *find(const std::string &name) {
    auto it = object.find(name);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }

  void readNumber(const std::string &name, float &value, double minimum,
                  double maximum, const char *range) {
    const json *field = find(name);
    if (!field || failed())
      return;
    if (!field->is_number()) {
      fail(name, "must be a number");
      return;
    }
    double number = field->get<double>();
    if (!std::isfinite(number) || number < minimum || number > maximum) {
      fail(name, std::string("must be ") + range);
      return;
    }
    value = static_cast<float>(number);
  }

  template <typename Integer>
  void readInteger(const std::string &name, Integer &value, int64_t minimum,
                   int64_t maximum) {
    const json *field = find(name);
    if (!field || failed())
      return;
    // nlohmann reads non-negative integers as unsigned.
    bool inRange =
        field->is_number_unsigned()
            ? field->get<uint64_t>() >=
                      static_cast<uint64_t>(std::max<int64_t>(minimum, 0)) &&
                  field->get<uint64_t>() <= static_cast<uint64_t>(maximum)
            : field->is_number_integer() && field->get<int64_t>() >= minimum &&
                  field->get<int64_t>() <= maximum;
    if (!inRange) {
      fail(name, "must be an integer from " + std::to_string(minimum) + " to " +
                     std::to_string(maximum));
      return;
    }
    value = static_cast<Integer>(field->get<int64_t>());
  }

  void readBool(const std::string &name, bool &value) {
    const json *field = find(name);
    if (!field || failed())
      return;
    if (!field->is_boolean()) {
      fail(name, "must be true or false");
      return;
    }
    value = field->get<bool>();
  }

private:
  const json &object;
  RequestError &error;
};
} // namespace

static bool readPrompt(FieldReader &reader, const json *prompt,
                       const retnet_runtime::Tokenizer *tokenizer,
                       const RequestLimits &limits, std::vector<int32_t> &ids) {
  if (!prompt)
    return reader.fail("prompt", "is required");
  if (prompt->is_string()) {
    if (!tokenizer)
      return reader.fail("prompt", "must be an array of token ids: the "
                                   "server has no tokenizer (--tokenizer)");
    std::string problem;
    if (!retnet_runtime::encodePrompt(*tokenizer, prompt->get<std::string>(),
                                      /*addBos=*/true, ids, problem))
      return reader.fail("prompt", problem);
  } else if (prompt->is_array()) {
    for (const json &id : *prompt) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() >= limits.vocab)
        return reader.fail("prompt", "must hold token ids from 0 to " +
                                         std::to_string(limits.vocab - 1));
      ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
  } else {
    return reader.fail("prompt", "must be a string or an array of token ids");
  }
  if (ids.empty())
    return reader.fail("prompt", "is empty");
  if (static_cast<int64_t>(ids.size()) > limits.maxPromptTokens)
    return reader.fail("prompt", "has " + std::to_string(ids.size()) +
                                     " tokens, more than the server's "
                                     "--max-prompt-tokens " +
                                     std::to_string(limits.maxPromptTokens));
  return true;
}

static bool readStops(FieldReader &reader, const json *stop,
                      std::vector<std::string> &stops) {
  if (!stop)
    return true;
  if (stop->is_string()) {
    stops.push_back(stop->get<std::string>());
  } else if (stop->is_array() && stop->size() <= 4) {
    for (const json &item : *stop) {
      if (!item.is_string())
        return reader.fail("stop", "must be a string or up to 4 strings");
      stops.push_back(item.get<std::string>());
    }
  } else {
    return reader.fail("stop", "must be a string or up to 4 strings");
  }
  for (const std::string &text : stops)
    if (text.empty())
      return reader.fail("stop", "must not be an empty string");
  return true;
}

bool retnet_serve::parseCompletionRequest(
    const std::string &body, const retnet_runtime::Tokenizer *tokenizer,
    const RequestLimits &limits, CompletionRequest &request, bool &stream,
    RequestError &error) {
  json object = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    error = {"the body is not valid JSON", ""};
    return false;
  }
  if (!object.is_object()) {
    error = {"the body must be a JSON object", ""};
    return false;
  }
  FieldReader reader(object, error);
  // Fields that ask for what the server does not do.
  if (const json *n = reader.find("n"); n && *n != 1)
    return reader.fail("n", "is not supported: one completion per request");
  if (const json *bestOf = reader.find("best_of"); bestOf && *bestOf != 1)
    return reader.fail("best_of", "is not supported");
  if (const json *echo = reader.find("echo"); echo && *echo != false)
    return reader.fail("echo", "is not supported");
  if (reader.find("logprobs"))
    return reader.fail("logprobs", "is not supported");

  if (!readPrompt(reader, reader.find("prompt"), tokenizer, limits,
                  request.prompt))
    return false;
  reader.readInteger("max_tokens", request.maxTokens, 1, limits.maxTokens);
  retnet_sampling_params &sampling = request.sampling;
  reader.readNumber("temperature", sampling.temperature, 0.0, 1e6,
                    "a number >= 0 (0 is greedy)");
  reader.readNumber("top_p", sampling.top_p, 1e-30, 1.0, "in (0, 1]");
  reader.readInteger("top_k", sampling.top_k, 0, INT32_MAX);
  reader.readNumber("min_p", sampling.min_p, 0.0, 1.0, "in [0, 1]");
  reader.readNumber("repetition_penalty", sampling.repetition_penalty, 1e-30,
                    1e6, "a number > 0 (1 is off)");
  reader.readInteger("seed", sampling.seed, 0, INT64_MAX);
  reader.readBool("stream", stream);
  reader.readBool("ignore_eos", request.ignoreEos);
  if (reader.failed())
    return false;
  if (const json *model = reader.find("model"); model && !model->is_string())
    return reader.fail("model", "must be a string");
  if (!readStops(reader, reader.find("stop"), request.stops))
    return false;
  if (!request.stops.empty() && !tokenizer)
    return reader.fail("stop", "needs a tokenizer (--tokenizer): the server "
                               "generates token ids");
  return true;
}
