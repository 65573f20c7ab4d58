//===- Sampling.h - Next-token sampling from logits -------------*- C++ -*-===//
//
// The runtime's sampler behind retnet_sampler_* (retnet.h) and retnet-run:
// repetition penalty, top-k, top-p, min-p and temperature over one row of
// logits, then a draw from a seeded generator. Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_SAMPLING_H
#define RETNET_RUNTIME_SAMPLING_H

#include "retnet/retnet.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace retnet_runtime {
/// A token that may be drawn and its probability.
struct Candidate {
  int32_t token;
  double probability;
};

/// An empty string when `params` are valid, else what is wrong with them.
std::string checkSamplingParams(const retnet_sampling_params &params);

/// The distribution a draw follows, for valid `params`: the candidates that
/// survive the filters with their probabilities (summing to 1), most
/// probable first (ties: the lower token id first). In order:
///   1. repetition penalty: the logit of every token in `history` is
///      divided by the penalty when positive, multiplied when negative;
///   2. temperature 0: the single most probable token (greedy);
///   3. top-k (k > 0): the k most probable tokens;
///   4. top-p (< 1): of those, the fewest most probable whose probabilities
///      (softmax of their penalized logits) sum to at least p;
///   5. min-p (> 0): of those, the tokens of probability at least min-p
///      times the largest;
///   6. the survivors' softmax of logit / temperature.
std::vector<Candidate>
samplingDistribution(const retnet_sampling_params &params, const float *logits,
                     int64_t vocab, const int32_t *history,
                     int64_t historyLength);

/// Draws tokens with a generator seeded by `params.seed`: the same seed,
/// logits and history give the same tokens on every machine.
class Sampler {
public:
  explicit Sampler(const retnet_sampling_params &params)
      : params(params), generator(params.seed) {}

  /// The next token, drawn from samplingDistribution.
  int32_t sample(const float *logits, int64_t vocab, const int32_t *history,
                 int64_t historyLength);

private:
  retnet_sampling_params params;
  std::mt19937_64 generator;
};
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_SAMPLING_H
