//===- Passes.td - Lowering of the retention dialect -------*- tablegen -*-===//

#ifndef RETNET_CONVERSION_PASSES_TD
#define RETNET_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRetentionToLinalg : Pass<"convert-retention-to-linalg"> {
  let summary = "Lower retention ops of every form to linalg, tensor and scf";
  let description = [{
    Lowers each retention op on tensors, keeping its form:

    - the whole op becomes one `scf.forall` over batch x heads (the unit of
      multi-threading), whose body works on `T x dk` and `T x dv` matrices of
      one head; with a static single token (decoding), whose work per head is
      one `dk x dv` state update, far below the cost of an OpenMP fork and
      join, a sequential `scf.for` nest over batch and heads instead;
    - every form is a sequence of *blocks* of L tokens. A block computes
      `O = s * ((Q K^T * D) V + xi * (Q S))` and
      `S' = gamma^L S + (K * zeta)^T V` with linalg contractions
      (`D[i,j] = gamma^(i-j)` for `j <= i`, `xi_i = gamma^(i+1)`,
      `zeta_j = gamma^(L-1-j)`, `s` the output scaling);
    - parallel: one block of the whole sequence; chunkwise: an `scf.for` over
      full chunks of static size C carrying the state, with the decay tables
      hoisted out of the loop, then one shorter block for the rest;
      recurrent: an `scf.for` over tokens with blocks of one token (the block
      formula then reduces to `S_n = gamma S_(n-1) + k_n^T v_n`,
      `o_n = q_n S_n`).

    f16 and bf16 inputs are computed in f32, f64 in f64. Decay powers are
    computed as exponentials of `ln(gamma)` (a compile-time constant), the
    `decay_sqrt_sum` scale with `expm1` in f64.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // RETNET_CONVERSION_PASSES_TD
