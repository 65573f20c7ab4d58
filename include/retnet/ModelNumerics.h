//===- ModelNumerics.h - Decays and rotation angles of RetNet models ------===//
//
// The constants of a RetNet layer that torchscale keeps as the buffers
// `retnet_rel_pos.decay` and `retnet_rel_pos.angle` (docs/numerics.md,
// sections 2 and 3), computed in one place for the compiler, which folds
// the angles into the generated code, and the runtime, which passes the
// decays to the entry points and checks the buffers of a checkpoint.
// Plain C++: the runtime does not link LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_MODELNUMERICS_H
#define RETNET_MODELNUMERICS_H

#include <cmath>
#include <cstdint>
#include <vector>

namespace retnet_numerics {
/// The decay of each head, gamma_h = 1 - 2^(-5-h) (torchscale's default).
inline std::vector<double> defaultDecays(int64_t heads) {
  std::vector<double> gamma;
  for (int64_t head = 0; head < heads; ++head)
    gamma.push_back(1.0 - std::exp2(-5.0 - static_cast<double>(head)));
  return gamma;
}

/// The decays of the paper's language models (use_lm_decay):
/// gamma_h = 1 - exp(linspace(ln(1/32), ln(1/512), H)).
inline std::vector<double> languageModelDecays(int64_t heads) {
  double first = std::log(1.0 / 32.0), last = std::log(1.0 / 512.0);
  std::vector<double> gamma;
  for (int64_t head = 0; head < heads; ++head) {
    double fraction =
        heads > 1 ? static_cast<double>(head) / static_cast<double>(heads - 1)
                  : 0.0;
    gamma.push_back(1.0 - std::exp(first + (last - first) * fraction));
  }
  return gamma;
}

/// The decays of a model whose checkpoint stores none.
inline std::vector<double> formulaDecays(int64_t heads, bool languageModel) {
  return languageModel ? languageModelDecays(heads) : defaultDecays(heads);
}

/// The rotation frequency of each of the `keyDim` channels of a head:
/// theta_i = 10000^(-j / (dk/2 - 1)) for j = i / 2, torchscale's
/// 1 / 10000^linspace(0, 1, dk/2) with each value repeated twice.
inline std::vector<double> rotationFrequencies(int64_t keyDim) {
  int64_t pairs = keyDim / 2;
  std::vector<double> theta;
  for (int64_t i = 0; i < keyDim; ++i) {
    double fraction =
        pairs > 1 ? static_cast<double>(i / 2) / static_cast<double>(pairs - 1)
                  : 0.0;
    theta.push_back(std::pow(10000.0, -fraction));
  }
  return theta;
}
} // namespace retnet_numerics

#endif // RETNET_MODELNUMERICS_H
