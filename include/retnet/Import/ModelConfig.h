//===- ModelConfig.h - RetNet model description (config.json) ---*- C++ -*-===//

#ifndef RETNET_IMPORT_MODELCONFIG_H
#define RETNET_IMPORT_MODELCONFIG_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::retnet {
/// A RetNet model description with torchscale `RetNetConfig` field names
/// (docs/numerics.md section 6), plus what follows from it.
struct ModelConfig {
  /// Activation of the feed-forward.
  enum class Activation { Gelu, Swish, Relu };

  int64_t embedDim = 0;                     // decoder_embed_dim (d)
  int64_t valueEmbedDim = 0;                // decoder_value_embed_dim
  int64_t heads = 0;                        // decoder_retention_heads (H)
  int64_t ffnDim = 0;                       // decoder_ffn_embed_dim
  int64_t layers = 0;                       // decoder_layers (L)
  int64_t vocabSize = 0;                    // vocab_size
  Activation activation = Activation::Gelu; // activation_fn
  double layerNormEps = 1e-6;               // layernorm_eps
  bool noScaleEmbedding = true;             // no_scale_embedding
  bool layerNormEmbedding = false;          // layernorm_embedding
  bool shareInputOutputEmbed = false;       // share_decoder_input_output_embed
  bool deepNorm = false;                    // deepnorm
  /// decoder_normalize_before as torchscale's RetNetConfig settles it:
  /// deepnorm makes it false, subln (default true) makes it true.
  bool normalizeBefore = true; // decoder_normalize_before
  bool subLayerNorm = true;    // subln
  /// The decays when the checkpoint stores none: the paper's LM decays
  /// instead of torchscale's 1 - 2^(-5-h).
  bool languageModelDecays = false; // use_lm_decay
  int64_t recurrentChunkSize = 512; // recurrent_chunk_size
  /// The GLU feed-forward, or without it two layers with biases (and,
  /// with subln, a LayerNorm between them).
  bool gatedFeedForward = true; // use_glu
  /// The output projection to logits; without it (no_output_layer) the
  /// model outputs its final hidden states.
  bool outputLayer = true; // !no_output_layer

  /// The feed-forward's LayerNorm of the HF port without GLU (subln).
  bool feedForwardNorm() const { return !gatedFeedForward && subLayerNorm; }

  int64_t keyDim() const { return embedDim / heads; }
  int64_t valueDim() const { return valueEmbedDim / heads; }
  /// Decay of each head when the checkpoint stores none: 1 - 2^(-5-h), or
  /// the LM decays with use_lm_decay.
  std::vector<double> decays() const;
  /// Width of each output row: vocab_size (logits), or d without output
  /// layer (hidden states).
  int64_t outputWidth() const { return outputLayer ? vocabSize : embedDim; }
  /// Embedding scale: 1 or sqrt(d).
  double embedScale() const;
  /// Residual scale alpha: (2L)^(1/4) with deepnorm, else 1.
  double residualScale() const;
};

/// Parses and validates a model description. Unknown fields are reported
/// through `warnings` (one line each) and otherwise ignored. Errors name the
/// field.
llvm::Expected<ModelConfig>
parseModelConfig(llvm::StringRef json, std::vector<std::string> &warnings);

/// Reads and parses a model description file.
llvm::Expected<ModelConfig> readModelConfig(llvm::StringRef path,
                                            std::vector<std::string> &warnings);

/// Serializes to the torchscale JSON form (all fields).
std::string printModelConfig(const ModelConfig &config);

/// One weight tensor of a model, with torchscale's name and shape.
struct WeightInfo {
  std::string name;
  llvm::SmallVector<int64_t, 2> shape;
  bool optional = false;
};

/// Every weight tensor the model reads, in a fixed order.
std::vector<WeightInfo> listWeights(const ModelConfig &config);
} // namespace mlir::retnet

#endif // RETNET_IMPORT_MODELCONFIG_H
