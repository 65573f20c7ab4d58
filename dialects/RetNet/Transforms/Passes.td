//===- Passes.td - Decomposition of the model graph --------*- tablegen -*-===//

#ifndef RETNET_TRANSFORMS_PASSES_TD
#define RETNET_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RetNetDecompose : Pass<"retnet-decompose"> {
  let summary = "Lower the retnet model-graph ops to retention and linalg";
  let description = [{
    Rewrites every `retnet` op into `retention` ops and linalg, tensor, arith
    and math on tensors, following docs/numerics.md sections 2-5:

    - `retnet.embedding`: a gather of table rows, scaled;
    - `retnet.rms_norm`: a reduction of squares over the last dimension, then
      the normalisation (and weight) elementwise;
    - `retnet.linear`: a matrix product of the `[B T, in]` rows with the
      `[in, out]` weight;
    - `retnet.residual`: `alpha x + update` elementwise;
    - `retnet.msr`: the fused q/k/v/g projection, the xPos rotation of q and
      k (cos/sin tables of the absolute positions, computed in f64), keys
      scaled by `dk^-0.5`, one `retention.parallel` op with
      `decay_sqrt_sum` scaling (its form is chosen later), the per-head RMS
      norm fused with the silu gate, and the output projection;
    - `retnet.glu`: the fused up projection, `act(a) * b`, the down
      projection;
    - `retnet.dequantize` (int8 weights): read by its users where they can
      (a product multiplies by the int8 matrix and scales its result's
      columns; the embedding scales the rows it gathers), else an
      elementwise `q * scale`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::retention::RetentionDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // RETNET_TRANSFORMS_PASSES_TD
