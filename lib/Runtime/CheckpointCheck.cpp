//===- CheckpointCheck.cpp - What a checkpoint must hold to load ----------===//

#include "retnet/Runtime/CheckpointCheck.h"

#include "retnet/ModelNumerics.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

using namespace retnet_runtime;

std::string retnet_runtime::formatShape(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

namespace {
constexpr const char *kDecayBuffer = "retnet_rel_pos.decay";
constexpr const char *kAngleBuffer = "retnet_rel_pos.angle";
constexpr const char *kOutputProjection = "output_projection.weight";
constexpr const char *kEmbedding = "embed_tokens.weight";
constexpr const char *kConvertHint =
    ": convert the checkpoint with retnet-convert";

/// How far a value stored as `dtype` may lie from the exact one, relative.
double storedPrecision(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return 0x1p-11;
  case DType::BF16:
    return 0x1p-8;
  default:
    return 1e-6;
  }
}

/// Why `name` is missing when the checkpoint holds it under another name:
/// a prefix ("decoder.", "model.") or Hugging Face's lm_head; else "".
std::string missingTensorHint(const SafetensorsFile &file,
                              const std::string &name) {
  for (const auto &[stored, view] : file.tensors()) {
    (void)view;
    if (stored.size() > name.size() &&
        stored.compare(stored.size() - name.size(), name.size(), name) == 0 &&
        stored[stored.size() - name.size() - 1] == '.')
      return "; the checkpoint holds '" + stored +
             "': its names carry the "
             "prefix '" +
             stored.substr(0, stored.size() - name.size()) + "'" + kConvertHint;
  }
  if (name == kOutputProjection && file.find("lm_head.weight"))
    return "; the checkpoint holds 'lm_head.weight' (Hugging Face names)" +
           std::string(kConvertHint);
  return "";
}

/// Why the model has no use for the tensor `name`, where that can be told.
std::string unexpectedTensorHint(const std::string &name,
                                 const ModelShape &shape) {
  long long layer = -1;
  if (std::sscanf(name.c_str(), "layers.%lld.", &layer) == 1 &&
      layer >= shape.layers)
    return "; the model description has " + std::to_string(shape.layers) +
           " layers";
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0)
    return "; RetNet layers have no biases";
  if (name == "layer_norm.weight" && shape.postNorm)
    return "; the model description is post-norm "
           "(decoder_normalize_before: false), which has no final norm";
  if (name == "layernorm_embedding.weight" && !shape.layerNormEmbedding)
    return "; the model description has no embedding norm "
           "(layernorm_embedding: false)";
  if (name.find(".layers.") != std::string::npos)
    return "; the names carry a prefix" + std::string(kConvertHint);
  return "";
}

/// Checks an optional buffer of torchscale's RetNetRelPos: `count` values,
/// each valid by `valid` and close to `expected` (what the library was
/// compiled with, described by `compiledWith`).
bool checkBuffer(const SafetensorsFile &file, const char *name,
                 const char *quantity, const char *index,
                 const std::vector<double> &expected,
                 const std::string &compiledWith, bool (*valid)(double),
                 const char *invalidWhy, std::string &error) {
  const TensorView *view = file.find(name);
  if (!view)
    return true;
  int64_t count = static_cast<int64_t>(expected.size());
  if (view->dtype == DType::Other ||
      view->shape != std::vector<int64_t>{count}) {
    error = std::string("tensor '") + name + "' has dtype " + view->dtypeName +
            " and shape " + formatShape(view->shape) +
            "; expected a float tensor of shape " + formatShape({count});
    return false;
  }
  std::vector<float> values(count);
  convertToFloat(*view, 0, count, values.data());
  double tolerance = storedPrecision(view->dtype);
  for (int64_t i = 0; i < count; ++i) {
    std::ostringstream os;
    os << "tensor '" << name << "' holds " << quantity << " = " << values[i]
       << " for " << index << " " << i;
    if (!valid(values[i])) {
      error = os.str() + ": " + invalidWhy;
      return false;
    }
    // Written so that a NaN fails the check as well.
    if (!(std::fabs(values[i] - expected[i]) <=
          tolerance * std::fabs(expected[i]) + 1e-9)) {
      os << " but the library was compiled with " << compiledWith << ", "
         << quantity << " = " << expected[i];
      error = os.str();
      return false;
    }
  }
  return true;
}

/// A tied model computes its logits with embed_tokens.weight; a stored
/// output_projection.weight must then be the same matrix.
bool checkTiedProjection(const SafetensorsFile &file, const ModelShape &shape,
                         std::string &error) {
  const TensorView *projection = file.find(kOutputProjection);
  if (!projection)
    return true;
  const TensorView *embedding = file.find(kEmbedding);
  std::vector<int64_t> expected = {shape.vocabSize, shape.embedDim};
  std::string tied = "the model description ties the output projection to "
                     "the embedding (share_decoder_input_output_embed: true)";
  if (projection->dtype == DType::Other || projection->shape != expected) {
    error = std::string("tensor '") + kOutputProjection + "' has dtype " +
            projection->dtypeName + " and shape " +
            formatShape(projection->shape) + ", and " + tied;
    return false;
  }
  std::vector<float> rowOfProjection(shape.embedDim),
      rowOfEmbedding(shape.embedDim);
  for (int64_t row = 0; row < shape.vocabSize; ++row) {
    size_t first = static_cast<size_t>(row) * shape.embedDim;
    convertToFloat(*projection, first, shape.embedDim, rowOfProjection.data());
    convertToFloat(*embedding, first, shape.embedDim, rowOfEmbedding.data());
    for (int64_t column = 0; column < shape.embedDim; ++column)
      if (rowOfProjection[column] != rowOfEmbedding[column]) {
        error = std::string("tensor '") + kOutputProjection +
                "' differs from '" + kEmbedding + "' (element " +
                std::to_string(first + column) + "), but " + tied +
                "; set it false to use the stored projection";
        return false;
      }
  }
  return true;
}

bool isLogOfDecay(double value) { return std::isfinite(value) && value < 0; }
bool isPositiveFinite(double value) {
  return std::isfinite(value) && value > 0;
}
} // namespace

bool retnet_runtime::checkCheckpoint(const SafetensorsFile &file,
                                     const ModelShape &shape,
                                     const WeightLayout &layout,
                                     bool allowExtraTensors,
                                     std::string &error) {
  std::set<std::string> used = {kDecayBuffer, kAngleBuffer};
  for (const PackedWeight &weight : layout.weights) {
    for (const PackedSource &source : weight.sources) {
      used.insert(source.name);
      const TensorView *view = file.find(source.name);
      if (!view) {
        error = "missing tensor '" + source.name + "' (expected shape " +
                formatShape(source.shape) + ")" +
                missingTensorHint(file, source.name);
        return false;
      }
      if (view->dtype == DType::Other) {
        error = "tensor '" + source.name + "' has dtype " + view->dtypeName +
                "; expected F32, F16 or BF16";
        return false;
      }
      if (view->shape != source.shape) {
        error = "tensor '" + source.name + "' has shape " +
                formatShape(view->shape) + "; the model description expects " +
                formatShape(source.shape);
        return false;
      }
    }
  }
  if (shape.sharedEmbedding) {
    used.insert(kOutputProjection);
    if (!checkTiedProjection(file, shape, error))
      return false;
  }

  std::vector<double> logDecays;
  for (double gamma : retnet_numerics::defaultDecays(shape.heads))
    logDecays.push_back(std::log(gamma));
  if (!checkBuffer(file, kDecayBuffer, "ln(gamma)", "head", logDecays,
                   "gamma_h = 1 - 2^(-5-h)", isLogOfDecay,
                   "not the logarithm of a decay in (0, 1)", error) ||
      !checkBuffer(file, kAngleBuffer, "theta", "channel",
                   retnet_numerics::rotationFrequencies(shape.keyDim()),
                   "theta_i = 10000^(-(i/2) / (dk/2 - 1))", isPositiveFinite,
                   "not a rotation frequency", error))
    return false;

  if (allowExtraTensors)
    return true;
  std::vector<std::string> unexpected;
  for (const auto &[name, view] : file.tensors())
    if (!used.count(name))
      unexpected.push_back(name);
  if (unexpected.empty())
    return true;
  const std::string &first = unexpected.front();
  error = "unexpected tensor '" + first + "' (shape " +
          formatShape(file.find(first)->shape) +
          "), which the model does not use" +
          unexpectedTensorHint(first, shape);
  if (unexpected.size() > 1)
    error += " (and " + std::to_string(unexpected.size() - 1) +
             " more unexpected tensors)";
  error += "; --allow-extra-tensors (RETNET_LOAD_ALLOW_EXTRA_TENSORS in the "
           "C API) ignores them";
  return false;
}
