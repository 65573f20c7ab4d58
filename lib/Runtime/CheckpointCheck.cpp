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

std::string retnet_runtime::missingScales(const SafetensorsFile &file,
                                          const std::string &name) {
  const TensorView *view = file.find(name);
  if (!view || view->shape.size() != 2)
    return "tensor '" + name +
           "' is I8, which only matrices with a scale per row can be";
  std::string scaleName = name + kScaleSuffix;
  std::string expected = "a float tensor of shape " +
                         formatShape({view->shape[0]}) + ", one per row, or [" +
                         std::to_string(view->shape[0]) + ", " +
                         std::to_string(view->shape[1]) +
                         " / S], one per group of S values of a row";
  const TensorView *scales = file.find(scaleName);
  if (!scales)
    return "tensor '" + name +
           "' is I8 (quantized) but the file has no tensor '" + scaleName +
           "' of its scales (" + expected + ")";
  return "tensor '" + scaleName + "', the scales of the I8 tensor '" + name +
         "', has dtype " + scales->dtypeName + " and shape " +
         formatShape(scales->shape) + "; expected " + expected;
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

/// Reads the optional buffer `name` of torchscale's RetNetRelPos into
/// `values` (left empty when the checkpoint has none): `count` floats, each
/// valid by `valid` (else `invalidWhy`, naming `quantity` and the `index`).
bool readBuffer(const SafetensorsFile &file, const char *name, int64_t count,
                const char *quantity, const char *index, bool (*valid)(double),
                const char *invalidWhy, std::vector<double> &values,
                std::string &error) {
  values.clear();
  const TensorView *view = file.find(name);
  if (!view)
    return true;
  if (!view->convertible() || view->shape != std::vector<int64_t>{count}) {
    error = std::string("tensor '") + name + "' has dtype " + view->dtypeName +
            " and shape " + formatShape(view->shape) +
            "; expected a float tensor of shape " + formatShape({count});
    return false;
  }
  std::vector<float> stored(count);
  convertToFloat(*view, 0, count, stored.data());
  for (int64_t i = 0; i < count; ++i) {
    if (!valid(stored[i])) {
      std::ostringstream os;
      os << "tensor '" << name << "' holds " << quantity << " = " << stored[i]
         << " for " << index << " " << i << ": " << invalidWhy;
      error = os.str();
      return false;
    }
    values.push_back(stored[i]);
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
  if (!projection->convertible() || projection->shape != expected) {
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

/// ln(gamma) of a decay gamma in (0, 1) that double precision can tell
/// from 0 and 1.
bool isLogOfDecay(double value) {
  double gamma = std::exp(value);
  return std::isfinite(value) && gamma > 0.0 && gamma < 1.0;
}
bool isPositiveFinite(double value) {
  return std::isfinite(value) && value > 0;
}

/// The decay of each head: exp of the stored ln(gamma), else the formula of
/// the description; false with `error` naming a stored value that is not
/// the logarithm of a decay in (0, 1).
bool readDecays(const SafetensorsFile &file, const ModelShape &shape,
                std::vector<double> &gammas, std::string &error) {
  std::vector<double> logDecays;
  if (!readBuffer(file, kDecayBuffer, shape.heads, "ln(gamma)", "head",
                  isLogOfDecay, "not the logarithm of a decay in (0, 1)",
                  logDecays, error))
    return false;
  if (logDecays.empty()) {
    gammas =
        retnet_numerics::formulaDecays(shape.heads, shape.languageModelDecays);
    return true;
  }
  gammas.clear();
  for (double logDecay : logDecays)
    gammas.push_back(std::exp(logDecay));
  return true;
}
} // namespace

bool retnet_runtime::checkCheckpoint(const SafetensorsFile &file,
                                     const ModelShape &shape,
                                     const WeightLayout &layout,
                                     bool allowExtraTensors,
                                     std::vector<double> &decays,
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
      if (view->dtype == DType::I8 && !view->scales) {
        error = missingScales(file, source.name);
        return false;
      }
      if (!view->convertible()) {
        error = "tensor '" + source.name + "' has dtype " + view->dtypeName +
                "; expected F32, F16 or BF16 (or I8 with scales, for a matrix)";
        return false;
      }
      if (view->scales)
        used.insert(source.name + kScaleSuffix);
      if (view->shape != source.shape) {
        error = "tensor '" + source.name + "' has shape " +
                formatShape(view->shape) + "; the model description expects " +
                formatShape(source.shape);
        return false;
      }
    }
  }
  if (shape.sharedEmbedding && shape.outputLayer) {
    used.insert(kOutputProjection);
    used.insert(kOutputProjection + std::string(kScaleSuffix));
    if (!checkTiedProjection(file, shape, error))
      return false;
  }

  // The decays are the model's; the rotation is compiled in, so a stored
  // angle buffer must match it.
  std::vector<double> angles;
  if (!readBuffer(file, kAngleBuffer, shape.keyDim(), "theta", "channel",
                  isPositiveFinite, "not a rotation frequency", angles, error))
    return false;
  std::vector<double> expected =
      retnet_numerics::rotationFrequencies(shape.keyDim());
  double tolerance =
      angles.empty() ? 0.0 : storedPrecision(file.find(kAngleBuffer)->dtype);
  for (size_t i = 0; i < angles.size(); ++i)
    // Written so that a NaN fails the check as well.
    if (!(std::fabs(angles[i] - expected[i]) <=
          tolerance * std::fabs(expected[i]) + 1e-9)) {
      std::ostringstream os;
      os << "tensor '" << kAngleBuffer << "' holds theta = " << angles[i]
         << " for channel " << i
         << " but the library was compiled with theta_i = "
            "10000^(-(i/2) / (dk/2 - 1)), theta = "
         << expected[i];
      error = os.str();
      return false;
    }
  if (!readDecays(file, shape, decays, error))
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
