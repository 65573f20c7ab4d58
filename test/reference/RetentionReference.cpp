//===- RetentionReference.cpp - Float64 retention from its formula --------===//

#include "RetentionReference.h"

#include <cmath>

namespace retnet::reference {

double decaySqrtSumScale(double gamma, int64_t position) {
  // Σ_{t=0}^{p} γ^t = (1 − γ^(p+1)) / (1 − γ); expm1 keeps the numerator
  // accurate when γ^(p+1) is close to 1.
  double numerator =
      -std::expm1(static_cast<double>(position + 1) * std::log(gamma));
  return 1.0 / std::sqrt(numerator / (1.0 - gamma));
}

double outputScale(Scaling scaling, double gamma, int64_t position) {
  return scaling == Scaling::DecaySqrtSum ? decaySqrtSumScale(gamma, position)
                                          : 1.0;
}

void computeRetention(const RetentionProblem &problem, const double *q,
                      const double *k, const double *v,
                      const double *initialState, double *output,
                      double *finalState) {
  const int64_t length = problem.length;
  const int64_t keyDim = problem.keyDim;
  const int64_t valueDim = problem.valueDim;
  std::vector<double> row(valueDim);

  for (int64_t b = 0; b < problem.batch; ++b) {
    for (int64_t h = 0; h < problem.heads; ++h) {
      const int64_t head = b * problem.heads + h;
      const double gamma = problem.gamma[h];
      const double *qHead = q + head * length * keyDim;
      const double *kHead = k + head * length * keyDim;
      const double *vHead = v + head * length * valueDim;
      const double *s0 =
          initialState ? initialState + head * keyDim * valueDim : nullptr;
      // power[d] = γ^d for d = 0..T.
      std::vector<double> power(length + 1);
      for (int64_t d = 0; d <= length; ++d)
        power[d] = std::pow(gamma, static_cast<double>(d));

      for (int64_t n = 0; n < length; ++n) {
        const double *qn = qHead + n * keyDim;
        row.assign(valueDim, 0.0);
        // Σ_{m≤n} γ^(n−m) (q_n·k_m) v_m
        for (int64_t m = 0; m <= n; ++m) {
          const double *km = kHead + m * keyDim;
          const double *vm = vHead + m * valueDim;
          double score = 0.0;
          for (int64_t i = 0; i < keyDim; ++i)
            score += qn[i] * km[i];
          double weight = power[n - m] * score;
          for (int64_t j = 0; j < valueDim; ++j)
            row[j] += weight * vm[j];
        }
        // γ^(n+1) q_n S0
        if (s0) {
          for (int64_t i = 0; i < keyDim; ++i)
            for (int64_t j = 0; j < valueDim; ++j)
              row[j] += power[n + 1] * qn[i] * s0[i * valueDim + j];
        }
        double scale = outputScale(problem.scaling, gamma, problem.offset + n);
        double *on = output + (head * length + n) * valueDim;
        for (int64_t j = 0; j < valueDim; ++j)
          on[j] = scale * row[j];
      }

      if (!finalState)
        continue;
      // γ^T S0 + Σ_m γ^(T−1−m) k_mᵀ v_m
      double *sT = finalState + head * keyDim * valueDim;
      for (int64_t i = 0; i < keyDim; ++i) {
        for (int64_t j = 0; j < valueDim; ++j) {
          double sum = s0 ? power[length] * s0[i * valueDim + j] : 0.0;
          for (int64_t m = 0; m < length; ++m)
            sum += power[length - 1 - m] * kHead[m * keyDim + i] *
                   vHead[m * valueDim + j];
          sT[i * valueDim + j] = sum;
        }
      }
    }
  }
}

} // namespace retnet::reference
