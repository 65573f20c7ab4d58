//===- RetentionMath.h - Decay, scale and mask of retention -----*- C++ -*-===//
//
// The scalar maths of retention that every lowering shares: decay powers,
// the decay_sqrt_sum output scale and the causal decay mask. The CPU
// decomposition (AggregatedOpInterfaceImpl.cpp) and the GPU kernels
// (lib/Codegen/GPU) build them through these functions only.
//
//===----------------------------------------------------------------------===//

#ifndef RETENTION_IR_RETENTIONMATH_H
#define RETENTION_IR_RETENTIONMATH_H

#include "mlir/IR/Builders.h"

namespace mlir::retention {
/// gamma^exponent for an index `exponent`: exp(exponent * ln gamma) in f64
/// (`logGamma` is f64), converted to `type`.
Value buildDecayPower(OpBuilder &b, Location loc, Value logGamma,
                      Value exponent, Type type);

/// The decay_sqrt_sum scale of absolute position `position` (index):
/// 1 / sqrt(sum_{t=0}^{p} gamma^t) = sqrt(expm1(ln g) / expm1((p+1) ln g)),
/// in f64 (expm1 keeps the relative accuracy where gamma^(p+1) is close to
/// 1), converted to `type`.
Value buildOutputScale(OpBuilder &b, Location loc, Value logGamma,
                       Value position, Type type);

/// gamma^distance computed in `type` from `logGamma` already converted to
/// `type`: exp(distance * ln(gamma)), the entry of the causal decay mask at
/// that distance below the diagonal.
Value buildDistanceDecay(OpBuilder &b, Location loc, Value logGamma,
                         Value distance, Type type);

/// The causal decay mask D[row, column] = gamma^(row - column) for
/// column <= row, else 0, computed in `type` from `logGamma` already
/// converted to `type`: the exponent (row - column) ln(gamma) is exact up to
/// the rounding of ln(gamma), a relative error of one ulp of the exponent,
/// which keeps every kept entry within a few ulps.
Value buildCausalDecay(OpBuilder &b, Location loc, Value logGamma, Value row,
                       Value column, Type type);

/// The same mask entry read from `powers`, a tensor<L x type> of the powers
/// gamma^k (buildDistanceDecay at k = 0 .. L-1): L exponentials for an
/// L x L mask instead of L^2, with the same values.
Value buildCausalDecayFromPowers(OpBuilder &b, Location loc, Value powers,
                                 Value row, Value column, Type type);

/// `value` (a float) converted to the float type `type`.
Value convertFloat(OpBuilder &b, Location loc, Value value, Type type);
} // namespace mlir::retention

#endif // RETENTION_IR_RETENTIONMATH_H
