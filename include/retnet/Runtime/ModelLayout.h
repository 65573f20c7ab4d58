//===- ModelLayout.h - Packed weight layout of compiled models --*- C++ -*-===//
//
// Shared by the compiler (which addresses weights at these offsets) and the
// runtime (which packs a checkpoint into them). Plain C++: the runtime does
// not link LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_MODELLAYOUT_H
#define RETNET_RUNTIME_MODELLAYOUT_H

#include <cstdint>
#include <string>
#include <vector>

namespace retnet_runtime {
/// The element type of the model's weight matrices (its weight type): the
/// embedding table and the matrices that it multiplies by. The generated
/// code reads them in this type and widens them to f32 in registers. Norm
/// weights and biases are f32. Int8 matrices are quantized symmetrically per
/// output channel (a column of a product's matrix, a row of the embedding
/// table) or per group of a channel's values (ModelShape::weightGroup),
/// each channel or group with an f32 scale: w = q * scale. The values are
/// those of the encoded model shape.
enum class WeightType : int64_t { F32 = 0, BF16 = 1, F16 = 2, Int8 = 3 };

/// Bytes of one element of `type`.
int64_t elementBytes(WeightType type);
/// "f32", "bf16", "f16" or "int8".
const char *weightTypeName(WeightType type);
/// The weight type named `name` (as weightTypeName), or false.
bool parseWeightType(const std::string &name, WeightType &type);

/// What the packed layout depends on.
struct ModelShape {
  int64_t embedDim = 0;
  int64_t valueEmbedDim = 0;
  int64_t heads = 0;
  int64_t ffnDim = 0;
  int64_t layers = 0;
  int64_t vocabSize = 0;
  bool layerNormEmbedding = false;
  bool sharedEmbedding = false;
  /// Post-norm layers (torchscale's decoder_normalize_before false): no
  /// final norm.
  bool postNorm = false;
  /// The decays of a checkpoint that stores none are the paper's LM decays
  /// (use_lm_decay), not 1 - 2^(-5-h).
  bool languageModelDecays = false;
  /// The GLU feed-forward (fc1 | gate, fc2), or two layers with biases.
  bool gatedFeedForward = true;
  /// Without GLU: a LayerNorm (weight and bias) between the two layers.
  bool feedForwardNorm = false;
  /// The output projection (lm_head); without it (no_output_layer) the
  /// outputs are the final hidden states, of width d.
  bool outputLayer = true;
  /// Columns per panel of the matrices that the model multiplies by (the
  /// projections and the output layer): a matrix `[K, N]` with N a multiple
  /// of it is stored as panels `[N / P, K, P]`, each panel's K rows of P
  /// columns contiguous, so that a product streams it in order. 0 keeps
  /// every matrix `[K, N]`. A property of the compiled code, not of the
  /// model: retnet-compile chooses it for the CPU target.
  int64_t weightPanel = 0;
  /// The element type of those matrices (retnet-compile --weight-type).
  WeightType weightType = WeightType::F32;
  /// Int8 matrices: the number of consecutive values of a channel (along
  /// the checkpoint matrix's rows: a product's reduction, the embedding's
  /// d) that share a scale, which divides each matrix's row length; 0 for
  /// one scale per channel (retnet-compile --group).
  int64_t weightGroup = 0;

  int64_t keyDim() const { return embedDim / heads; }
  /// Width of each output row: vocabSize (logits) or embedDim.
  int64_t outputWidth() const { return outputLayer ? vocabSize : embedDim; }
  int64_t valueDim() const { return valueEmbedDim / heads; }
  /// Floats of the retention state of one sequence, all layers.
  int64_t stateFloatsPerSequence() const {
    return layers * heads * keyDim() * valueDim();
  }
};

/// A checkpoint tensor (torchscale name and shape) copied into a packed
/// weight: as it is, or transposed ([out, in] -> [in, out]) into the columns
/// starting at `column`.
struct PackedSource {
  std::string name;
  std::vector<int64_t> shape;
  int64_t column = 0;
  bool transposed = true;
};

/// One weight of the packed layout: `shape` elements of `type` at byte
/// `offset`; a matrix with `panel` > 0 is stored as panels `[shape[1] /
/// panel, shape[0], panel]`.
struct PackedWeight {
  std::string label;
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<PackedSource> sources;
  int64_t panel = 0;
  WeightType type = WeightType::F32;

  /// Number of elements.
  int64_t size() const;
  int64_t bytes() const { return size() * elementBytes(type); }
  /// The position of element (row, column) of a matrix, from `offset`.
  int64_t indexOf(int64_t row, int64_t column) const;
};

struct WeightLayout {
  std::vector<PackedWeight> weights;
  /// Size of the packed buffer; every weight starts at a multiple of
  /// kWeightAlignment bytes.
  int64_t totalBytes = 0;

  /// The weight labelled `label`, or null.
  const PackedWeight *find(const std::string &label) const;
};

/// Labels of per-layer weights, "layers.<i>.<name>".
std::string layerLabel(int64_t layer, const char *name);

/// The label of the scales of the int8 matrix labelled `label`: one f32 per
/// output channel, a column of a product's matrix `[K, N]` (N scales) or a
/// row of the embedding table (vocab scales); with groups of G, `[K / G,
/// N]` (stored in the matrix's panels) or `[vocab, d / G]`.
std::string scaleLabel(const std::string &label);

/// The length of the rows of the checkpoint matrix that `matrix` is packed
/// from (the values of one channel, which groups divide).
int64_t channelLength(const PackedWeight &matrix);

/// The error of a group size that does not divide the rows of `matrix`
/// (`length` values each), naming both sizes and what to do.
std::string groupDoesNotDivide(int64_t group, const std::string &matrix,
                               int64_t length);

/// groupDoesNotDivide of the first weight matrix of `shape` whose channel
/// length the group does not divide; empty if none.
std::string checkWeightGroup(const ModelShape &shape);

/// Whether the scales of a matrix index its rows (the embedding table,
/// stored as in the checkpoint) rather than its columns.
inline bool scalesIndexRows(const PackedWeight &matrix) {
  return !matrix.sources.empty() && !matrix.sources[0].transposed;
}

/// The packed layout: embed [V, d], optional layernorm_embedding [d], per
/// layer retention_norm [d], in_proj [d, 2d + 2 vd] (q | k | v | g),
/// out_proj [vd, d], ffn_norm [d], up_proj [d, 2 ffn] (fc1 | gate),
/// down_proj [ffn, d] (without GLU: up_proj [d, ffn], up_bias [ffn],
/// optional ffn_inner_norm and ffn_inner_norm_bias [ffn], down_proj
/// [ffn, d], down_bias [d]); then norm [d] and lm_head [d, V] (none with
/// no_output_layer). Offsets are multiples of kWeightAlignment bytes. The
/// matrices are of `shape.weightType` (int8 matrices each followed by their
/// scales, scaleLabel); the projections and lm_head are
/// stored as panels of `shape.weightPanel` columns where their width is a
/// multiple of it.
WeightLayout computeWeightLayout(const ModelShape &shape);

/// The group of int8 weights unless retnet-compile is told otherwise.
constexpr int64_t kDefaultWeightGroup = 32;

/// The group of a --group option (a positive number of values, or
/// "channel": 0, one scale per channel), or false.
bool parseWeightGroup(const std::string &text, int64_t &group);

/// Alignment of every packed weight, in bytes (a cache line).
constexpr int64_t kWeightAlignment = 64;

/// Number of int64 values in the encoded model shape.
constexpr int kEncodedShapeSize = 16;
/// The model shape as int64 values (stored in compiled libraries).
void encodeModelShape(const ModelShape &shape, int64_t *values);
ModelShape decodeModelShape(const int64_t *values);
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_MODELLAYOUT_H
