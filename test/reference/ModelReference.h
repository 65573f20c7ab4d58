//===- ModelReference.h - Float64 whole-model RetNet reference --*- C++ -*-===//
//
// Logits of a RetNet model computed straight from the formulas of
// docs/numerics.md sections 2-5, in double precision, from a zero state at
// position 0. Meant as a test oracle: plain loops, no shortcuts.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TEST_REFERENCE_MODELREFERENCE_H
#define RETNET_TEST_REFERENCE_MODELREFERENCE_H

#include "retnet/Import/ModelConfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retnet_reference {

class ModelReference {
public:
  /// Reads every tensor the model needs from a safetensors file (F32, F16 or
  /// BF16), checking names and shapes. The decay per head is
  /// gamma_h = 1 - 2^(-5-h) (with use_lm_decay the paper's LM decays) unless
  /// the file holds `retnet_rel_pos.decay` (= ln gamma), which wins.
  /// Returns false and sets `error` on failure.
  bool load(const mlir::retnet::ModelConfig &config,
            const std::string &weightsPath, std::string &error);

  /// Logits [T, vocab] (row-major) of one sequence; without output layer
  /// (no_output_layer) the final hidden states, [T, d].
  bool sequenceLogits(const std::vector<int32_t> &tokens,
                      std::vector<double> &logits, std::string &error) const;

  /// Logits [B, T, vocab] (row-major) of B sequences of equal length.
  bool batchLogits(const std::vector<std::vector<int32_t>> &tokens,
                   std::vector<double> &logits, std::string &error) const;

  const std::vector<double> &decays() const { return gamma; }
  const mlir::retnet::ModelConfig &config() const { return cfg; }

private:
  struct Layer {
    std::vector<double> retentionNorm, wq, wk, wv, wg, wo;
    std::vector<double> finalNorm, fc1, gate, fc2;
    /// Without GLU: the biases, and the LayerNorm between fc1 and fc2.
    std::vector<double> fc1Bias, fc2Bias, innerNorm, innerNormBias;
  };

  /// One multi-scale retention layer on x [T, d] -> [T, d].
  std::vector<double> retention(const Layer &layer,
                                const std::vector<double> &x,
                                int64_t length) const;
  /// The feed-forward (GLU, or two layers with biases) on x [T, d] ->
  /// [T, d].
  std::vector<double> feedForward(const Layer &layer,
                                  const std::vector<double> &x,
                                  int64_t length) const;

  mlir::retnet::ModelConfig cfg;
  std::vector<double> gamma;
  std::vector<double> embedding, embeddingNorm, finalNorm, outputProjection;
  std::vector<Layer> layers;
};

} // namespace retnet_reference

#endif // RETNET_TEST_REFERENCE_MODELREFERENCE_H
