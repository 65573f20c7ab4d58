//===- ModelNumerics.h - Decays and rotation angles of RetNet models ------===//
//
// The constants of a RetNet layer that torchscale keeps as the buffers
// `retnet_rel_pos.decay` and `retnet_rel_pos.angle` (docs/numerics.md,
// sections 2 and 3), computed in one place for the compiler, which folds
// them into the generated code, and the runtime, which checks the buffers
// of a checkpoint against them. Plain C++: the runtime does not link LLVM.
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
