//===- ReferenceSelfTest.cpp - The float64 reference against a recurrence -===//
//
// Checks computeRetention (the formula, summed directly) against a separately
// written float64 recurrence, S_n = γ S_{n−1} + k_nᵀ v_n and
// o_n = s_n q_n S_n, on random data of several odd shapes, against one
// example worked by hand, and checks that the comparison notices a wrong
// offset, a wrong decay and a missing initial state.
//
//===----------------------------------------------------------------------===//

#include "RetentionReference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace retnet::reference;

namespace {

/// The recurrent form of retention in float64, independent of the reference.
void recurrentRetention(const RetentionProblem &problem,
                        const std::vector<double> &q,
                        const std::vector<double> &k,
                        const std::vector<double> &v,
                        const std::vector<double> *initialState,
                        std::vector<double> &output,
                        std::vector<double> &finalState) {
  const int64_t dk = problem.keyDim, dv = problem.valueDim;
  output.assign(problem.valueElements(), 0.0);
  finalState.assign(problem.stateElements(), 0.0);
  for (int64_t b = 0; b < problem.batch; ++b) {
    for (int64_t h = 0; h < problem.heads; ++h) {
      const int64_t head = b * problem.heads + h;
      const double gamma = problem.gamma[h];
      std::vector<double> state(dk * dv, 0.0);
      if (initialState)
        std::copy_n(initialState->begin() + head * dk * dv, dk * dv,
                    state.begin());
      for (int64_t t = 0; t < problem.length; ++t) {
        const int64_t token = head * problem.length + t;
        for (int64_t i = 0; i < dk; ++i)
          for (int64_t j = 0; j < dv; ++j)
            state[i * dv + j] = gamma * state[i * dv + j] +
                                k[token * dk + i] * v[token * dv + j];
        double scale = 1.0;
        if (problem.scaling == Scaling::DecaySqrtSum) {
          // Σ_{t'=0}^{p} γ^t' summed term by term.
          double sum = 0.0, power = 1.0;
          for (int64_t p = 0; p <= problem.offset + t; ++p, power *= gamma)
            sum += power;
          scale = 1.0 / std::sqrt(sum);
        }
        for (int64_t j = 0; j < dv; ++j) {
          double value = 0.0;
          for (int64_t i = 0; i < dk; ++i)
            value += q[token * dk + i] * state[i * dv + j];
          output[token * dv + j] = scale * value;
        }
      }
      std::copy(state.begin(), state.end(),
                finalState.begin() + head * dk * dv);
    }
  }
}

/// max |got − want| / max |want|.
double relativeDifference(const std::vector<double> &got,
                          const std::vector<double> &want) {
  double difference = 0.0, size = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    difference = std::max(difference, std::abs(got[i] - want[i]));
    size = std::max(size, std::abs(want[i]));
  }
  return difference / std::max(size, 1e-300);
}

struct Checker {
  int passed = 0;
  int failed = 0;

  void expect(bool ok, const std::string &what) {
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", what.c_str());
    ++(ok ? passed : failed);
  }
};

std::vector<double> randomArray(std::mt19937_64 &generator, int64_t size) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> values(size);
  for (double &value : values)
    value = uniform(generator);
  return values;
}

/// Output and final state of the reference for `problem`.
struct Result {
  std::vector<double> output, finalState;
};

Result runReference(const RetentionProblem &problem,
                    const std::vector<double> &q, const std::vector<double> &k,
                    const std::vector<double> &v,
                    const std::vector<double> *initialState) {
  Result result{std::vector<double>(problem.valueElements()),
                std::vector<double>(problem.stateElements())};
  computeRetention(problem, q.data(), k.data(), v.data(),
                   initialState ? initialState->data() : nullptr,
                   result.output.data(), result.finalState.data());
  return result;
}

/// T = 2, dk = dv = 1, γ = 1/2, q = (1, 2), k = (3, 4), v = (5, 6), S0 = 7:
/// o_0 = 3·5 + ½·1·7 = 18.5, o_1 = ½·6·5 + 8·6 + ¼·2·7 = 66.5,
/// S_T = ¼·7 + ½·3·5 + 4·6 = 33.25; with decay_sqrt_sum and offset 1 the
/// outputs are divided by sqrt(1 + ½) and sqrt(1 + ½ + ¼).
void checkHandExample(Checker &checker) {
  RetentionProblem problem;
  problem.length = 2;
  problem.gamma = {0.5};
  std::vector<double> q = {1, 2}, k = {3, 4}, v = {5, 6}, s0 = {7};
  Result plain = runReference(problem, q, k, v, &s0);
  checker.expect(plain.output == std::vector<double>{18.5, 66.5} &&
                     plain.finalState == std::vector<double>{33.25},
                 "hand example, scaling none");

  problem.scaling = Scaling::DecaySqrtSum;
  problem.offset = 1;
  Result scaled = runReference(problem, q, k, v, &s0);
  bool ok = std::abs(scaled.output[0] - 18.5 / std::sqrt(1.5)) < 1e-14 &&
            std::abs(scaled.output[1] - 66.5 / std::sqrt(1.75)) < 1e-14 &&
            scaled.finalState == std::vector<double>{33.25};
  checker.expect(ok, "hand example, decay_sqrt_sum, offset 1");
}

struct RandomCase {
  int64_t batch, heads, length, keyDim, valueDim;
  Scaling scaling;
  int64_t offset;
  bool withState;
};

void checkAgainstRecurrence(Checker &checker, const RandomCase &shape,
                            uint64_t seed) {
  RetentionProblem problem;
  problem.batch = shape.batch;
  problem.heads = shape.heads;
  problem.length = shape.length;
  problem.keyDim = shape.keyDim;
  problem.valueDim = shape.valueDim;
  problem.scaling = shape.scaling;
  problem.offset = shape.offset;
  // torchscale's decays, with a small one for the last head.
  for (int64_t h = 0; h < shape.heads; ++h)
    problem.gamma.push_back(h + 1 == shape.heads && h > 0
                                ? 0.5
                                : 1.0 - std::ldexp(1.0, -5 - int(h)));

  std::mt19937_64 generator(seed);
  std::vector<double> q = randomArray(generator, problem.queryElements());
  std::vector<double> k = randomArray(generator, problem.queryElements());
  std::vector<double> v = randomArray(generator, problem.valueElements());
  std::vector<double> s0 = randomArray(generator, problem.stateElements());
  const std::vector<double> *initialState = shape.withState ? &s0 : nullptr;

  Result reference = runReference(problem, q, k, v, initialState);
  Result recurrent;
  recurrentRetention(problem, q, k, v, initialState, recurrent.output,
                     recurrent.finalState);

  double outputError = relativeDifference(reference.output, recurrent.output);
  double stateError =
      relativeDifference(reference.finalState, recurrent.finalState);
  char line[256];
  std::snprintf(
      line, sizeof(line),
      "B=%lld H=%lld T=%lld dk=%lld dv=%lld scaling=%s offset=%lld "
      "state=%d: output %.2e, state %.2e (limit 1e-12)",
      (long long)shape.batch, (long long)shape.heads, (long long)shape.length,
      (long long)shape.keyDim, (long long)shape.valueDim,
      shape.scaling == Scaling::None ? "none" : "decay_sqrt_sum",
      (long long)shape.offset, int(shape.withState), outputError, stateError);
  checker.expect(outputError <= 1e-12 && stateError <= 1e-12, line);

  // The comparison must see a wrong offset, a wrong decay and a dropped
  // initial state.
  if (shape.scaling == Scaling::DecaySqrtSum && shape.offset < 100) {
    RetentionProblem shifted = problem;
    shifted.offset += 1;
    Result wrong = runReference(shifted, q, k, v, initialState);
    checker.expect(relativeDifference(wrong.output, recurrent.output) > 1e-6,
                   "  offset + 1 is noticed");
  }
  if (shape.length > 1 || shape.withState) {
    RetentionProblem decayed = problem;
    decayed.gamma[0] *= 0.999;
    Result wrongDecay = runReference(decayed, q, k, v, initialState);
    checker.expect(
        relativeDifference(wrongDecay.finalState, recurrent.finalState) > 1e-6,
        "  a wrong decay is noticed");
  }
  if (shape.withState) {
    Result noState = runReference(problem, q, k, v, nullptr);
    checker.expect(
        relativeDifference(noState.finalState, recurrent.finalState) > 1e-6,
        "  a dropped initial state is noticed");
  }
}

} // namespace

int main() {
  Checker checker;
  checkHandExample(checker);
  const RandomCase cases[] = {
      {1, 1, 1, 1, 1, Scaling::None, 0, false},
      {1, 1, 1, 3, 5, Scaling::DecaySqrtSum, 9, true},
      {2, 3, 7, 5, 3, Scaling::DecaySqrtSum, 0, true},
      {1, 2, 33, 16, 9, Scaling::None, 4, true},
      {3, 1, 100, 3, 17, Scaling::DecaySqrtSum, 41, false},
      {1, 4, 129, 8, 8, Scaling::DecaySqrtSum, 1000, true},
      {2, 2, 257, 7, 11, Scaling::None, 0, true},
  };
  uint64_t seed = 20231128;
  for (const RandomCase &shape : cases)
    checkAgainstRecurrence(checker, shape, seed++);
  std::printf("%d passed, %d failed\n", checker.passed, checker.failed);
  return checker.failed == 0 ? 0 : 1;
}
