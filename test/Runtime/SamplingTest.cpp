//===- SamplingTest.cpp - The sampler against a reference and its draws ---===//
//
// Checks lib/Runtime/Sampling.cpp:
//   - samplingDistribution against a reference written here from the rules
//     of retnet.h (full sort, normalized probabilities, in double), on
//     random logits of several vocabulary sizes with every filter on and
//     off, with and without a repetition history;
//   - the draws of retnet_sampler_sample: their frequencies within 5 sigma
//     of the distribution; top-k never outside the k most probable tokens;
//     temperature 0 equal to argmax (ties to the lower id); the same seed
//     giving the same tokens and another seed other ones;
//   - errors: invalid parameters and non-finite logits.
// Prints one line per failure and a summary; exits non-zero on failure.
//
//===----------------------------------------------------------------------===//

#include "retnet/Runtime/Sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using retnet_runtime::Candidate;

namespace {
int failures = 0, checks = 0;

void expect(bool ok, const std::string &what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL  %s\n", what.c_str());
  }
}

/// The distribution of retnet.h's rules, computed the plain way.
std::vector<Candidate> reference(const retnet_sampling_params &params,
                                 const std::vector<float> &logits,
                                 const std::vector<int32_t> &history) {
  int64_t vocab = static_cast<int64_t>(logits.size());
  std::vector<double> score(logits.begin(), logits.end());
  for (int64_t token = 0; token < vocab; ++token) {
    bool seen =
        std::find(history.begin(), history.end(), token) != history.end();
    if (seen && params.repetition_penalty != 1.0f)
      score[token] = score[token] > 0
                         ? score[token] / params.repetition_penalty
                         : score[token] * params.repetition_penalty;
  }
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return score[a] != score[b] ? score[a] > score[b] : a < b;
  });
  if (params.temperature == 0.0f)
    return {{order[0], 1.0}};
  if (params.top_k > 0 && params.top_k < vocab)
    order.resize(params.top_k);
  auto normalized = [&]() {
    std::vector<double> p;
    double sum = 0;
    for (int32_t token : order)
      sum += std::exp(score[token]);
    for (int32_t token : order)
      p.push_back(std::exp(score[token]) / sum);
    return p;
  };
  if (params.top_p < 1.0f) {
    std::vector<double> p = normalized();
    double sum = 0;
    size_t keep = 0;
    while (keep < p.size() && sum < params.top_p)
      sum += p[keep++];
    order.resize(std::max<size_t>(keep, 1));
  }
  if (params.min_p > 0.0f) {
    std::vector<double> p = normalized();
    std::vector<int32_t> kept;
    for (size_t i = 0; i < order.size(); ++i)
      if (p[i] >= params.min_p * p[0])
        kept.push_back(order[i]);
    order = kept;
  }
  std::vector<Candidate> result;
  double sum = 0;
  for (int32_t token : order)
    sum += std::exp(score[token] / params.temperature);
  for (int32_t token : order)
    result.push_back(
        {token, std::exp(score[token] / params.temperature) / sum});
  return result;
}

retnet_sampling_params makeParams(float temperature, int32_t topK, float topP,
                                  float minP, float penalty,
                                  uint64_t seed = 0) {
  retnet_sampling_params params;
  params.temperature = temperature;
  params.top_k = topK;
  params.top_p = topP;
  params.min_p = minP;
  params.repetition_penalty = penalty;
  params.seed = seed;
  return params;
}

std::string describe(const retnet_sampling_params &p, int64_t vocab) {
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer),
                "vocab %lld T %g k %d p %g min-p %g penalty %g",
                static_cast<long long>(vocab), p.temperature, p.top_k, p.top_p,
                p.min_p, p.repetition_penalty);
  return buffer;
}

/// samplingDistribution against the reference: the same tokens in the same
/// order, probabilities within 1e-9 (both in double; only the order of the
/// sums differs).
void checkDistributions() {
  std::mt19937 generator(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<retnet_sampling_params> settings = {
      makeParams(0.0f, 0, 1.0f, 0.0f, 1.0f),
      makeParams(1.0f, 0, 1.0f, 0.0f, 1.0f),
      makeParams(0.7f, 5, 1.0f, 0.0f, 1.0f),
      makeParams(1.3f, 0, 0.9f, 0.0f, 1.0f),
      makeParams(1.0f, 0, 1.0f, 0.1f, 1.0f),
      makeParams(0.8f, 40, 0.95f, 0.05f, 1.0f),
      makeParams(0.8f, 40, 0.95f, 0.05f, 1.3f),
      makeParams(1.0f, 3, 0.5f, 0.2f, 0.7f),
      makeParams(0.0f, 0, 1.0f, 0.0f, 2.0f),
  };
  for (int64_t vocab : {1, 2, 7, 97, 1000})
    for (const retnet_sampling_params &params : settings)
      for (int trial = 0; trial < 3; ++trial) {
        std::vector<float> logits(vocab);
        for (float &logit : logits)
          logit = normal(generator);
        std::vector<int32_t> history;
        for (int i = 0; i < 5 && vocab > 1; ++i)
          history.push_back(static_cast<int32_t>(generator() % vocab));
        std::vector<Candidate> want = reference(params, logits, history);
        std::vector<Candidate> got = retnet_runtime::samplingDistribution(
            params, logits.data(), vocab, history.data(),
            static_cast<int64_t>(history.size()));
        bool same = want.size() == got.size();
        double worst = 0;
        for (size_t i = 0; same && i < want.size(); ++i) {
          same = want[i].token == got[i].token;
          worst = std::max(worst,
                           std::fabs(want[i].probability - got[i].probability));
        }
        expect(same && worst <= 1e-9,
               "distribution " + describe(params, vocab) + ": " +
                   std::to_string(got.size()) + " candidates, reference " +
                   std::to_string(want.size()) + ", max difference " +
                   std::to_string(worst));
      }
}

/// Frequencies of `draws` draws against the distribution: within 5 sigma
/// (binomial) plus one count per token, and none of a filtered token.
void checkDraws(const retnet_sampling_params &params, int64_t vocab,
                int draws) {
  std::mt19937 generator(11);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> logits(vocab);
  for (float &logit : logits)
    logit = normal(generator);
  std::vector<Candidate> distribution = retnet_runtime::samplingDistribution(
      params, logits.data(), vocab, nullptr, 0);
  std::vector<double> probability(vocab, 0.0);
  for (const Candidate &candidate : distribution)
    probability[candidate.token] = candidate.probability;
  char *error = nullptr;
  retnet_sampler *sampler = retnet_sampler_new(&params, &error);
  expect(sampler != nullptr, "retnet_sampler_new " + describe(params, vocab));
  if (!sampler)
    return;
  std::vector<int> counts(vocab, 0);
  bool inRange = true;
  for (int i = 0; i < draws; ++i) {
    int32_t token = retnet_sampler_sample(sampler, logits.data(), vocab,
                                          nullptr, 0, &error);
    if (token < 0 || token >= vocab) {
      inRange = false;
      break;
    }
    ++counts[token];
  }
  retnet_sampler_free(sampler);
  expect(inRange, "draws in range " + describe(params, vocab));
  for (int64_t token = 0; token < vocab; ++token) {
    double expected = probability[token] * draws;
    double sigma =
        std::sqrt(draws * probability[token] * (1.0 - probability[token]));
    // A token outside the distribution (filtered) is never drawn.
    double allowed = probability[token] > 0 ? 5.0 * sigma + 1.0 : 0.0;
    expect(std::fabs(counts[token] - expected) <= allowed,
           "draws " + describe(params, vocab) + ": token " +
               std::to_string(token) + " drawn " +
               std::to_string(counts[token]) + " times, expected " +
               std::to_string(expected));
  }
}

/// Temperature 0 is argmax, ties to the lower id, whatever the other
/// filters.
void checkGreedy() {
  std::mt19937 generator(3);
  std::uniform_int_distribution<int> small(-3, 3);
  retnet_sampling_params params = retnet_sampling_default_params();
  params.temperature = 0.0f;
  char *error = nullptr;
  retnet_sampler *sampler = retnet_sampler_new(&params, &error);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> logits(31);
    for (float &logit : logits)
      logit = static_cast<float>(small(generator)); // many ties
    int32_t want = static_cast<int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin());
    int32_t got =
        retnet_sampler_sample(sampler, logits.data(), 31, nullptr, 0, &error);
    expect(got == want, "greedy trial " + std::to_string(trial) + ": got " +
                            std::to_string(got) + ", argmax " +
                            std::to_string(want));
  }
  retnet_sampler_free(sampler);
}

/// The same seed gives the same tokens; another seed other ones.
void checkSeeds() {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = std::sin(static_cast<float>(i));
  auto run = [&](uint64_t seed) {
    retnet_sampling_params params = makeParams(1.0f, 0, 1.0f, 0.0f, 1.0f, seed);
    char *error = nullptr;
    retnet_sampler *sampler = retnet_sampler_new(&params, &error);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 200; ++i)
      tokens.push_back(retnet_sampler_sample(sampler, logits.data(), 50,
                                             nullptr, 0, &error));
    retnet_sampler_free(sampler);
    return tokens;
  };
  expect(run(42) == run(42), "seed 42 twice gives the same tokens");
  expect(run(42) != run(43), "seeds 42 and 43 give different tokens");
}

void checkErrors() {
  std::vector<retnet_sampling_params> bad = {
      makeParams(-1.0f, 0, 1.0f, 0.0f, 1.0f),
      makeParams(NAN, 0, 1.0f, 0.0f, 1.0f),
      makeParams(1.0f, -1, 1.0f, 0.0f, 1.0f),
      makeParams(1.0f, 0, 0.0f, 0.0f, 1.0f),
      makeParams(1.0f, 0, 1.5f, 0.0f, 1.0f),
      makeParams(1.0f, 0, 1.0f, -0.1f, 1.0f),
      makeParams(1.0f, 0, 1.0f, 0.0f, 0.0f),
  };
  const char *names[] = {
      "temperature", "temperature",       "top_k", "top_p", "top_p",
      "min_p",       "repetition_penalty"};
  for (size_t i = 0; i < bad.size(); ++i) {
    char *error = nullptr;
    retnet_sampler *sampler = retnet_sampler_new(&bad[i], &error);
    std::string message = error ? error : "";
    expect(!sampler && message.find(names[i]) != std::string::npos,
           "invalid " + std::string(names[i]) + " is an error naming it: \"" +
               message + "\"");
    retnet_sampler_free(sampler);
    free(error);
  }
  retnet_sampling_params params = retnet_sampling_default_params();
  char *error = nullptr;
  retnet_sampler *sampler = retnet_sampler_new(&params, &error);
  std::vector<float> logits = {0.0f, NAN, 1.0f};
  int32_t token =
      retnet_sampler_sample(sampler, logits.data(), 3, nullptr, 0, &error);
  std::string message = error ? error : "";
  expect(token == -1 && message.find("logit 1") != std::string::npos,
         "a NaN logit is an error naming it: \"" + message + "\"");
  free(error);
  error = nullptr;
  token = retnet_sampler_sample(sampler, logits.data(), 0, nullptr, 0, &error);
  expect(token == -1 && error, "an empty vocabulary is an error");
  free(error);
  retnet_sampler_free(sampler);
}
} // namespace

int main() {
  checkDistributions();
  checkDraws(makeParams(1.0f, 0, 1.0f, 0.0f, 1.0f), 50, 200000);
  checkDraws(makeParams(0.8f, 40, 0.95f, 0.05f, 1.0f), 200, 200000);
  checkDraws(makeParams(1.0f, 5, 1.0f, 0.0f, 1.0f), 1000, 100000);
  checkGreedy();
  checkSeeds();
  checkErrors();
  std::printf("sampling-test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
