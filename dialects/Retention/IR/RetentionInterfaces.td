//===- RetentionInterfaces.td - RetentionOpInterface -------*- tablegen -*-===//

#ifndef RETENTION_INTERFACES_TD
#define RETENTION_INTERFACES_TD

include "mlir/IR/OpBase.td"

def RetentionOpInterface : OpInterface<"RetentionOpInterface"> {
  let cppNamespace = "::mlir::retention";
  let description = [{
    Uniform access to a retention op of any form: its queries, keys, values,
    optional initial state and position offset, per-head decays, output
    scaling, and results. Passes that rewrite or lower retention use only this
    interface, so they treat the parallel, recurrent and chunkwise forms alike.
    The interface also carries the verifier shared by all forms.
  }];

  let methods = [
    InterfaceMethod<"Queries, `tensor<B x H x T x dk x E>`.",
      "::mlir::TypedValue<::mlir::RankedTensorType>", "getQueries", (ins), [{
        return $_op.getQ(); }]>,
    InterfaceMethod<"Keys, `tensor<B x H x T x dk x E>`.",
      "::mlir::TypedValue<::mlir::RankedTensorType>", "getKeys", (ins), [{
        return $_op.getK(); }]>,
    InterfaceMethod<"Values, `tensor<B x H x T x dv x E>`.",
      "::mlir::TypedValue<::mlir::RankedTensorType>", "getValues", (ins), [{
        return $_op.getV(); }]>,
    InterfaceMethod<"Initial state `tensor<B x H x dk x dv x S>`, or null.",
      "::mlir::Value", "getInitialStateValue", (ins), [{
        return $_op.getInitialState(); }]>,
    InterfaceMethod<"Absolute position of the first token (index), or null.",
      "::mlir::Value", "getOffsetValue", (ins), [{
        return $_op.getOffset(); }]>,
    InterfaceMethod<"Decay of each head, `tensor<H x f64>`, each in (0, 1).",
      "::mlir::TypedValue<::mlir::RankedTensorType>", "getGammaValue", (ins),
      [{ return $_op.getGamma(); }]>,
    InterfaceMethod<"Output scaling.",
      "::mlir::retention::Scaling", "getScalingKind", (ins), [{
        return $_op.getScaling(); }]>,
    InterfaceMethod<"The optional initial-state operand, for rewrites.",
      "::mlir::MutableOperandRange", "getInitialStateOperand", (ins), [{
        return $_op.getInitialStateMutable(); }]>,
    InterfaceMethod<"The optional offset operand, for rewrites.",
      "::mlir::MutableOperandRange", "getOffsetOperand", (ins), [{
        return $_op.getOffsetMutable(); }]>,
    InterfaceMethod<"Output `tensor<B x H x T x dv x E>`.",
      "::mlir::TypedValue<::mlir::RankedTensorType>", "getOutputValue", (ins), [{
        return $_op.getOutput(); }]>,
    InterfaceMethod<"Final state `tensor<B x H x dk x dv x S>`, or null.",
      "::mlir::Value", "getFinalStateValue", (ins), [{
        return $_op.getFinalState(); }]>,
    InterfaceMethod<[{
        Tokens per block of the block formula that the form applies: none
        for the whole sequence (parallel), 1 (recurrent), or the chunk size
        (chunkwise). Lowerings choose their strategy from it, never from the
        op class.
      }],
      "::std::optional<int64_t>", "getBlockLength", (ins), [{
        return $_op.getBlockLength(); }]>,
  ];

  let extraClassDeclaration = [{
    /// Number of heads H (static).
    int64_t getNumHeads() {
      return getQueries().getType().getDimSize(1);
    }
    /// Key width dk (static).
    int64_t getKeyDim() { return getQueries().getType().getDimSize(3); }
    /// Value width dv (static).
    int64_t getValueDim() { return getValues().getType().getDimSize(3); }
    /// Element type E of q, k, v and the output.
    ::mlir::Type getElementType() {
      return getQueries().getType().getElementType();
    }
    /// The decays, when `gamma` is a constant.
    ::std::optional<::llvm::SmallVector<double>> getConstantGammas() {
      return ::mlir::retention::getConstantGammas(getGammaValue());
    }
  }];

  let verify = [{ return ::mlir::retention::verifyRetentionOp($_op); }];
}

#endif // RETENTION_INTERFACES_TD
