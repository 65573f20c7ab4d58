//===- RetentionMath.cpp - Decay, scale and mask of the block formula -----===//

#include "Retention/IR/RetentionMath.h"

#include "retnet/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value mlir::retention::convertFloat(OpBuilder &b, Location loc, Value value,
                                    Type type) {
  unsigned from = value.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (value.getType() == type)
    return value;
  if (to > from)
    return arith::ExtFOp::create(b, loc, type, value);
  return arith::TruncFOp::create(b, loc, type, value);
}

Value mlir::retention::buildDecayPower(OpBuilder &b, Location loc,
                                       Value logGamma, Value exponent,
                                       Type type) {
  Value power = math::ExpOp::create(
      b, loc,
      arith::MulFOp::create(
          b, loc, retnet::buildIndexToFloat(b, loc, exponent, b.getF64Type()),
          logGamma));
  return convertFloat(b, loc, power, type);
}

Value mlir::retention::buildOutputScale(OpBuilder &b, Location loc,
                                        Value logGamma, Value position,
                                        Type type) {
  Value count = arith::AddIOp::create(
      b, loc, position, arith::ConstantIndexOp::create(b, loc, 1));
  Value exponent = arith::MulFOp::create(
      b, loc, retnet::buildIndexToFloat(b, loc, count, b.getF64Type()),
      logGamma);
  Value ratio =
      arith::DivFOp::create(b, loc, math::ExpM1Op::create(b, loc, logGamma),
                            math::ExpM1Op::create(b, loc, exponent));
  return convertFloat(b, loc, math::SqrtOp::create(b, loc, ratio), type);
}

Value mlir::retention::buildDistanceDecay(OpBuilder &b, Location loc,
                                          Value logGamma, Value distance,
                                          Type type) {
  return math::ExpOp::create(
      b, loc,
      arith::MulFOp::create(
          b, loc, retnet::buildIndexToFloat(b, loc, distance, type), logGamma));
}

/// Whether (row, column) is on or below the diagonal: column <= row.
static Value isCausal(OpBuilder &b, Location loc, Value row, Value column) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, column, row);
}

/// `value` where `causal`, else 0 of `type`.
static Value zeroAboveDiagonal(OpBuilder &b, Location loc, Value causal,
                               Value value, Type type) {
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));
  return arith::SelectOp::create(b, loc, causal, value, zero);
}

Value mlir::retention::buildCausalDecay(OpBuilder &b, Location loc,
                                        Value logGamma, Value row, Value column,
                                        Type type) {
  Value distance = arith::SubIOp::create(b, loc, row, column);
  Value power = buildDistanceDecay(b, loc, logGamma, distance, type);
  return zeroAboveDiagonal(b, loc, isCausal(b, loc, row, column), power, type);
}

Value mlir::retention::buildCausalDecayFromPowers(OpBuilder &b, Location loc,
                                                  Value powers, Value row,
                                                  Value column, Type type) {
  Value causal = isCausal(b, loc, row, column);
  // Above the diagonal the table is read at distance 0, then discarded.
  Value distance = arith::SelectOp::create(
      b, loc, causal, arith::SubIOp::create(b, loc, row, column),
      arith::ConstantIndexOp::create(b, loc, 0));
  Value power = tensor::ExtractOp::create(b, loc, powers, ValueRange{distance});
  return zeroAboveDiagonal(b, loc, causal, power, type);
}
