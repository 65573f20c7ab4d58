//===- Sampling.cpp - Next-token sampling from logits ---------------------===//

#include "retnet/Runtime/Sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>

using namespace retnet_runtime;

std::string
retnet_runtime::checkSamplingParams(const retnet_sampling_params &params) {
  if (!(std::isfinite(params.temperature) && params.temperature >= 0.0f))
    return "temperature must be a finite number >= 0, got " +
           std::to_string(params.temperature);
  if (params.top_k < 0)
    return "top_k must be >= 0 (0 is off), got " + std::to_string(params.top_k);
  if (!(params.top_p > 0.0f && params.top_p <= 1.0f))
    return "top_p must be in (0, 1] (1 is off), got " +
           std::to_string(params.top_p);
  if (!(params.min_p >= 0.0f && params.min_p <= 1.0f))
    return "min_p must be in [0, 1] (0 is off), got " +
           std::to_string(params.min_p);
  if (!(std::isfinite(params.repetition_penalty) &&
        params.repetition_penalty > 0.0f))
    return "repetition_penalty must be a finite number > 0 (1 is off), got " +
           std::to_string(params.repetition_penalty);
  return "";
}

std::vector<Candidate> retnet_runtime::samplingDistribution(
    const retnet_sampling_params &params, const float *logits, int64_t vocab,
    const int32_t *history, int64_t historyLength) {
  std::vector<double> scores(logits, logits + vocab);
  if (params.repetition_penalty != 1.0f) {
    std::vector<bool> seen(vocab, false);
    for (int64_t i = 0; i < historyLength; ++i)
      if (history[i] >= 0 && history[i] < vocab)
        seen[history[i]] = true;
    for (int64_t token = 0; token < vocab; ++token)
      if (seen[token])
        scores[token] = scores[token] > 0.0
                            ? scores[token] / params.repetition_penalty
                            : scores[token] * params.repetition_penalty;
  }
  auto moreProbable = [&](int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  if (params.temperature == 0.0f) {
    int32_t best = *std::min_element(order.begin(), order.end(), moreProbable);
    return {{best, 1.0}};
  }
  size_t keep = static_cast<size_t>(vocab);
  if (params.top_k > 0)
    keep = std::min<size_t>(keep, static_cast<size_t>(params.top_k));
  std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                    moreProbable);
  order.resize(keep);

  // Probabilities of the remaining tokens at temperature 1, relative to the
  // most probable one: exp(score - best).
  double best = scores[order[0]];
  if (params.top_p < 1.0f) {
    double total = 0.0;
    for (int32_t token : order)
      total += std::exp(scores[token] - best);
    double cumulative = 0.0;
    size_t count = 0;
    while (count < order.size() && cumulative < params.top_p * total)
      cumulative += std::exp(scores[order[count++]] - best);
    order.resize(std::max<size_t>(count, 1));
  }
  if (params.min_p > 0.0f) {
    double threshold = best + std::log(static_cast<double>(params.min_p));
    size_t count = 1;
    while (count < order.size() && scores[order[count]] >= threshold)
      ++count;
    order.resize(count);
  }

  std::vector<Candidate> candidates;
  candidates.reserve(order.size());
  double total = 0.0;
  for (int32_t token : order) {
    double weight = std::exp((scores[token] - best) / params.temperature);
    candidates.push_back({token, weight});
    total += weight;
  }
  for (Candidate &candidate : candidates)
    candidate.probability /= total;
  return candidates;
}

int32_t Sampler::sample(const float *logits, int64_t vocab,
                        const int32_t *history, int64_t historyLength) {
  std::vector<Candidate> candidates =
      samplingDistribution(params, logits, vocab, history, historyLength);
  // A uniform double in [0, 1) from the top 53 bits: the same on every
  // machine (std::uniform_real_distribution is not).
  double draw = static_cast<double>(generator() >> 11) * 0x1.0p-53;
  double cumulative = 0.0;
  for (const Candidate &candidate : candidates) {
    cumulative += candidate.probability;
    if (draw < cumulative)
      return candidate.token;
  }
  return candidates.back().token;
}

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

struct retnet_sampler {
  Sampler sampler;
};

static void setSamplingError(char **error, const std::string &message) {
  if (!error)
    return;
  *error = static_cast<char *>(std::malloc(message.size() + 1));
  if (*error)
    std::memcpy(*error, message.c_str(), message.size() + 1);
}

extern "C" {

retnet_sampling_params retnet_sampling_default_params(void) {
  retnet_sampling_params params;
  params.temperature = 0.8f;
  params.top_k = 40;
  params.top_p = 0.95f;
  params.min_p = 0.05f;
  params.repetition_penalty = 1.0f;
  params.seed = 0;
  return params;
}

retnet_sampler *retnet_sampler_new(const retnet_sampling_params *params,
                                   char **error) {
  if (!params) {
    setSamplingError(error, "no sampling parameters given");
    return nullptr;
  }
  std::string problem = checkSamplingParams(*params);
  if (!problem.empty()) {
    setSamplingError(error, "invalid sampling parameters: " + problem);
    return nullptr;
  }
  auto *sampler = new (std::nothrow) retnet_sampler{Sampler(*params)};
  if (!sampler)
    setSamplingError(error, "out of memory");
  return sampler;
}

void retnet_sampler_free(retnet_sampler *sampler) { delete sampler; }

int32_t retnet_sampler_sample(retnet_sampler *sampler, const float *logits,
                              int64_t vocab, const int32_t *history,
                              int64_t history_length, char **error) {
  if (!sampler || !logits || vocab <= 0 || vocab > INT32_MAX ||
      history_length < 0 || (history_length > 0 && !history)) {
    setSamplingError(error, "retnet_sampler_sample: a null sampler or logits, "
                            "a vocabulary size outside [1, 2^31 - 1], or a "
                            "history that is negative or null");
    return -1;
  }
  for (int64_t token = 0; token < vocab; ++token)
    if (!std::isfinite(logits[token])) {
      setSamplingError(error, "retnet_sampler_sample: logit " +
                                  std::to_string(token) + " is not finite");
      return -1;
    }
  try {
    return sampler->sampler.sample(logits, vocab, history, history_length);
  } catch (const std::bad_alloc &) {
    setSamplingError(error, "out of memory");
    return -1;
  }
}
}
