//===- RetentionReference.h - Float64 retention reference ------*- C++ -*-===//

#ifndef RETNET_TEST_REFERENCE_RETENTIONREFERENCE_H
#define RETNET_TEST_REFERENCE_RETENTIONREFERENCE_H

#include <cstdint>
#include <vector>

namespace retnet::reference {

/// Per-token output scaling (docs/numerics.md section 1).
enum class Scaling { None, DecaySqrtSum };

/// Sizes and attributes of one retention problem. All arrays are dense and
/// row-major: q and k are [batch, heads, length, keyDim], v and the output
/// [batch, heads, length, valueDim], states [batch, heads, keyDim, valueDim]
/// (key-major).
struct RetentionProblem {
  int64_t batch = 1;
  int64_t heads = 1;
  int64_t length = 1;
  int64_t keyDim = 1;
  int64_t valueDim = 1;
  /// One decay per head, each in (0, 1).
  std::vector<double> gamma;
  Scaling scaling = Scaling::None;
  /// Absolute position of the first token.
  int64_t offset = 0;

  int64_t queryElements() const { return batch * heads * length * keyDim; }
  int64_t valueElements() const { return batch * heads * length * valueDim; }
  int64_t stateElements() const { return batch * heads * keyDim * valueDim; }
};

/// The factor s_p of `decay_sqrt_sum` at absolute position p:
/// 1 / sqrt(Σ_{t=0}^{p} γ^t) = 1 / sqrt((1 − γ^(p+1)) / (1 − γ)).
double decaySqrtSumScale(double gamma, int64_t position);

/// The output factor of token `position` under `scaling`.
double outputScale(Scaling scaling, double gamma, int64_t position);

/// Retention straight from its definition, for every batch b, head h and
/// token n (γ = gamma[h], S0 = initialState, s_n the scale of position
/// offset + n):
///   o_n = s_n (Σ_{m≤n} γ^(n−m) (q_n·k_m) v_m + γ^(n+1) q_n S0)
///   S_T = γ^T S0 + Σ_m γ^(T−1−m) k_mᵀ v_m
/// `initialState` may be null (a zero state); `finalState` may be null (not
/// wanted). `output` holds valueElements() and `finalState` stateElements().
void computeRetention(const RetentionProblem &problem, const double *q,
                      const double *k, const double *v,
                      const double *initialState, double *output,
                      double *finalState);

} // namespace retnet::reference

#endif // RETNET_TEST_REFERENCE_RETENTIONREFERENCE_H
