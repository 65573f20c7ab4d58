//===- ModelConfig.cpp - RetNet model description (config.json) -----------===//

#include "retnet/Import/ModelConfig.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace mlir::retnet;
using llvm::Expected;
using llvm::StringRef;

std::vector<double> ModelConfig::decays() const {
  std::vector<double> gamma;
  for (int64_t head = 0; head < heads; ++head)
    gamma.push_back(1.0 - std::exp2(-5.0 - static_cast<double>(head)));
  return gamma;
}

double ModelConfig::embedScale() const {
  return noScaleEmbedding ? 1.0 : std::sqrt(static_cast<double>(embedDim));
}

double ModelConfig::residualScale() const {
  return deepNorm ? std::pow(2.0 * static_cast<double>(layers), 0.25) : 1.0;
}

static llvm::Error fieldError(StringRef field, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "config field '" + field + "': " + message);
}

namespace {
/// Reads typed fields of a JSON object, remembering which were seen.
class FieldReader {
public:
  explicit FieldReader(const llvm::json::Object &object) : object(object) {}

  llvm::Error integer(StringRef name, int64_t &out, bool required) {
    seen.insert(name);
    const llvm::json::Value *value = object.get(name);
    if (!value || value->kind() == llvm::json::Value::Null)
      return required ? fieldError(name, "missing (required)")
                      : llvm::Error::success();
    std::optional<int64_t> number = value->getAsInteger();
    if (!number)
      return fieldError(name, "expected an integer");
    if (*number <= 0)
      return fieldError(name, "expected a positive integer, got " +
                                  llvm::Twine(*number));
    out = *number;
    return llvm::Error::success();
  }

  llvm::Error real(StringRef name, double &out) {
    seen.insert(name);
    const llvm::json::Value *value = object.get(name);
    if (!value || value->kind() == llvm::json::Value::Null)
      return llvm::Error::success();
    std::optional<double> number = value->getAsNumber();
    if (!number)
      return fieldError(name, "expected a number");
    if (!(*number >= 0.0) || !std::isfinite(*number))
      return fieldError(name, "expected a finite, non-negative number");
    out = *number;
    return llvm::Error::success();
  }

  llvm::Error boolean(StringRef name, bool &out) {
    seen.insert(name);
    const llvm::json::Value *value = object.get(name);
    if (!value || value->kind() == llvm::json::Value::Null)
      return llvm::Error::success();
    std::optional<bool> flag = value->getAsBoolean();
    if (!flag)
      return fieldError(name, "expected true or false");
    out = *flag;
    return llvm::Error::success();
  }

  llvm::Error string(StringRef name, std::optional<std::string> &out) {
    seen.insert(name);
    const llvm::json::Value *value = object.get(name);
    if (!value || value->kind() == llvm::json::Value::Null)
      return llvm::Error::success();
    std::optional<StringRef> text = value->getAsString();
    if (!text)
      return fieldError(name, "expected a string");
    out = text->str();
    return llvm::Error::success();
  }

  void reportUnknown(std::vector<std::string> &warnings) const {
    std::vector<std::string> unknown;
    for (const auto &entry : object)
      if (!seen.contains(entry.first))
        unknown.push_back(entry.first.str());
    std::sort(unknown.begin(), unknown.end());
    for (const std::string &name : unknown)
      warnings.push_back("config field '" + name + "' is not used; ignored");
  }

private:
  const llvm::json::Object &object;
  llvm::StringSet<> seen;
};
} // namespace

Expected<ModelConfig>
mlir::retnet::parseModelConfig(StringRef json,
                               std::vector<std::string> &warnings) {
  Expected<llvm::json::Value> parsed = llvm::json::parse(json);
  if (!parsed)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid JSON: " +
                                       llvm::toString(parsed.takeError()));
  const llvm::json::Object *object = parsed->getAsObject();
  if (!object)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the model description must be a JSON "
                                   "object");

  ModelConfig config;
  FieldReader fields(*object);
  std::optional<std::string> activation;
  llvm::Error errors[] = {
      fields.integer("decoder_embed_dim", config.embedDim, true),
      fields.integer("decoder_value_embed_dim", config.valueEmbedDim, true),
      fields.integer("decoder_retention_heads", config.heads, true),
      fields.integer("decoder_ffn_embed_dim", config.ffnDim, true),
      fields.integer("decoder_layers", config.layers, true),
      fields.integer("vocab_size", config.vocabSize, true),
      fields.string("activation_fn", activation),
      fields.real("layernorm_eps", config.layerNormEps),
      fields.boolean("no_scale_embedding", config.noScaleEmbedding),
      fields.boolean("layernorm_embedding", config.layerNormEmbedding),
      fields.boolean("share_decoder_input_output_embed",
                     config.shareInputOutputEmbed),
      fields.boolean("deepnorm", config.deepNorm),
      fields.integer("recurrent_chunk_size", config.recurrentChunkSize, false),
  };
  // Report the first problem, in field order.
  llvm::Error first = llvm::Error::success();
  for (llvm::Error &error : errors) {
    if (!first)
      first = std::move(error);
    else
      llvm::consumeError(std::move(error));
  }
  if (first)
    return std::move(first);

  if (activation) {
    if (*activation == "gelu")
      config.activation = ModelConfig::Activation::Gelu;
    else if (*activation == "swish" || *activation == "silu")
      config.activation = ModelConfig::Activation::Swish;
    else
      return fieldError("activation_fn", "expected \"gelu\" or \"swish\", "
                                         "got \"" +
                                             *activation + "\"");
  }
  if (config.embedDim % config.heads != 0)
    return fieldError("decoder_embed_dim",
                      llvm::formatv("{0} is not divisible by "
                                    "decoder_retention_heads ({1})",
                                    config.embedDim, config.heads)
                          .str());
  if (config.valueEmbedDim % config.heads != 0)
    return fieldError("decoder_value_embed_dim",
                      llvm::formatv("{0} is not divisible by "
                                    "decoder_retention_heads ({1})",
                                    config.valueEmbedDim, config.heads)
                          .str());
  if (config.keyDim() % 2 != 0)
    return fieldError("decoder_embed_dim",
                      llvm::formatv("the key width per head "
                                    "decoder_embed_dim / "
                                    "decoder_retention_heads = {0} must be "
                                    "even (rotation pairs)",
                                    config.keyDim())
                          .str());
  fields.reportUnknown(warnings);
  return config;
}

Expected<ModelConfig>
mlir::retnet::readModelConfig(StringRef path,
                              std::vector<std::string> &warnings) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path +
                                       "': " + buffer.getError().message());
  Expected<ModelConfig> config =
      parseModelConfig((*buffer)->getBuffer(), warnings);
  if (!config)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path + "': " + llvm::toString(config.takeError()));
  return config;
}

std::string mlir::retnet::printModelConfig(const ModelConfig &config) {
  llvm::json::Object object{
      {"decoder_embed_dim", config.embedDim},
      {"decoder_value_embed_dim", config.valueEmbedDim},
      {"decoder_retention_heads", config.heads},
      {"decoder_ffn_embed_dim", config.ffnDim},
      {"decoder_layers", config.layers},
      {"vocab_size", config.vocabSize},
      {"activation_fn",
       config.activation == ModelConfig::Activation::Gelu ? "gelu" : "swish"},
      {"layernorm_eps", config.layerNormEps},
      {"no_scale_embedding", config.noScaleEmbedding},
      {"layernorm_embedding", config.layerNormEmbedding},
      {"share_decoder_input_output_embed", config.shareInputOutputEmbed},
      {"deepnorm", config.deepNorm},
      {"recurrent_chunk_size", config.recurrentChunkSize},
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(object));
  return text;
}

std::vector<WeightInfo> mlir::retnet::listWeights(const ModelConfig &config) {
  int64_t d = config.embedDim, vd = config.valueEmbedDim, ffn = config.ffnDim;
  std::vector<WeightInfo> weights;
  weights.push_back({"embed_tokens.weight", {config.vocabSize, d}});
  if (config.layerNormEmbedding)
    weights.push_back({"layernorm_embedding.weight", {d}});
  for (int64_t layer = 0; layer < config.layers; ++layer) {
    std::string prefix = "layers." + std::to_string(layer) + ".";
    weights.push_back({prefix + "retention_layer_norm.weight", {d}});
    weights.push_back({prefix + "retention.q_proj.weight", {d, d}});
    weights.push_back({prefix + "retention.k_proj.weight", {d, d}});
    weights.push_back({prefix + "retention.v_proj.weight", {vd, d}});
    weights.push_back({prefix + "retention.g_proj.weight", {vd, d}});
    weights.push_back({prefix + "retention.out_proj.weight", {d, vd}});
    weights.push_back({prefix + "final_layer_norm.weight", {d}});
    weights.push_back({prefix + "ffn.fc1.weight", {ffn, d}});
    weights.push_back({prefix + "ffn.gate.weight", {ffn, d}});
    weights.push_back({prefix + "ffn.fc2.weight", {d, ffn}});
  }
  weights.push_back({"layer_norm.weight", {d}});
  if (!config.shareInputOutputEmbed)
    weights.push_back({"output_projection.weight", {config.vocabSize, d}});
  weights.push_back({"retnet_rel_pos.decay", {config.heads}, true});
  weights.push_back({"retnet_rel_pos.angle", {config.keyDim()}, true});
  return weights;
}
