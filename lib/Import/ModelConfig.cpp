//===- ModelConfig.cpp - RetNet model description (config.json) -----------===//

#include "retnet/Import/ModelConfig.h"
#include "retnet/Import/ModelImport.h"
#include "retnet/ModelNumerics.h"
#include "retnet/Runtime/ModelLayout.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

#include <cctype>
#include <cmath>

using namespace mlir::retnet;
using llvm::Expected;
using llvm::StringRef;

std::vector<double> ModelConfig::decays() const {
  return retnet_numerics::formulaDecays(heads, languageModelDecays);
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

  /// Field `name`, marked as read; null if it is absent or null.
  const llvm::json::Value *find(StringRef name) {
    seen.insert(name);
    const llvm::json::Value *value = object.get(name);
    if (!value || value->kind() == llvm::json::Value::Null)
      return nullptr;
    return value;
  }

  llvm::Error integer(StringRef name, int64_t &out, bool required) {
    const llvm::json::Value *value = find(name);
    if (!value)
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
    const llvm::json::Value *value = find(name);
    if (!value)
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
    const llvm::json::Value *value = find(name);
    if (!value)
      return llvm::Error::success();
    std::optional<bool> flag = value->getAsBoolean();
    if (!flag)
      return fieldError(name, "expected true or false");
    out = *flag;
    return llvm::Error::success();
  }

  /// A boolean field that changes the maths and is implemented only with
  /// `supported`: any other value is an error that says what it would mean.
  llvm::Error onlySupported(StringRef name, bool supported, StringRef meaning) {
    bool value = supported;
    if (llvm::Error error = boolean(name, value))
      return error;
    if (value == supported)
      return llvm::Error::success();
    return fieldError(name, llvm::Twine(value ? "true" : "false") + " (" +
                                meaning + ") is not supported");
  }

  /// A count that changes the maths when it is not zero.
  llvm::Error onlyZero(StringRef name, StringRef meaning) {
    const llvm::json::Value *value = find(name);
    if (!value)
      return llvm::Error::success();
    std::optional<int64_t> number = value->getAsInteger();
    if (!number)
      return fieldError(name, "expected an integer");
    if (*number == 0)
      return llvm::Error::success();
    return fieldError(name, llvm::Twine(*number) + " (" + meaning +
                                ") is not supported; expected 0");
  }

  /// Fields that only affect training: accepted without a warning.
  void acceptTrainingOnly(llvm::ArrayRef<StringRef> names) {
    for (StringRef name : names)
      seen.insert(name);
  }

  llvm::Error string(StringRef name, std::optional<std::string> &out) {
    const llvm::json::Value *value = find(name);
    if (!value)
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

/// The deepest nesting of objects and arrays read in a model description (a
/// real one nests 1 level); the bound keeps the JSON parser, which
/// recurses, off the stack limit.
static constexpr int kMaxJsonNesting = 64;

/// What llvm::json::parse accepts but JSON does not, or does not decide:
/// nesting beyond kMaxJsonNesting, a top-level key written twice (the
/// parser keeps the last), and numbers outside JSON's grammar (`+64`,
/// `064`, `.5`). Checked on the text, before parsing.
static llvm::Error checkJsonText(StringRef json) {
  auto fail = [&](size_t at, const llvm::Twine &what) {
    size_t line = 1 + json.take_front(at).count('\n');
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid JSON: " + what + " (line " +
                                       llvm::Twine(line) + ")");
  };
  // Open containers: true for objects; whether the next string is a key.
  llvm::SmallVector<bool> objects;
  bool expectKey = false;
  llvm::StringSet<> topLevelKeys;
  for (size_t i = 0; i < json.size();) {
    char c = json[i];
    if (c == '"') {
      size_t start = ++i;
      while (i < json.size() && json[i] != '"')
        i += json[i] == '\\' ? 2 : 1;
      StringRef text = json.slice(start, std::min(i, json.size()));
      if (expectKey && objects.size() == 1 && !topLevelKeys.insert(text).second)
        return fail(start, "config field '" + text + "' appears twice");
      expectKey = false;
      ++i;
      continue;
    }
    if (c == '{' || c == '[') {
      if (static_cast<int>(objects.size()) >= kMaxJsonNesting)
        return fail(i, "nested deeper than " + llvm::Twine(kMaxJsonNesting) +
                           " levels");
      objects.push_back(c == '{');
      expectKey = c == '{';
    } else if (c == '}' || c == ']') {
      if (!objects.empty())
        objects.pop_back();
      expectKey = false;
    } else if (c == ',') {
      expectKey = !objects.empty() && objects.back();
    } else if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
      size_t start = i;
      while (i < json.size() &&
             (std::isalnum(static_cast<unsigned char>(json[i])) ||
              json[i] == '+' || json[i] == '-' || json[i] == '.'))
        ++i;
      StringRef number = json.slice(start, i);
      static const llvm::Regex grammar(
          "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$");
      if (!grammar.match(number))
        return fail(start, "malformed number '" + number + "'");
      continue;
    }
    ++i;
  }
  return llvm::Error::success();
}

/// The parameters of `config` (weights of all layers, embeddings, head),
/// or none when the count does not fit 64 bits.
static std::optional<uint64_t> parameterCount(const ModelConfig &config) {
  uint64_t d = config.embedDim, vd = config.valueEmbedDim, ffn = config.ffnDim,
           vocab = config.vocabSize, layers = config.layers;
  uint64_t perLayer = 0, total = 0, term = 0;
  // q, k: d x d; v, g, out: vd x d; two norms; fc1, gate, fc2: ffn x d,
  // or without GLU fc1, fc2 with their biases and, with subln, a LayerNorm.
  auto add = [](uint64_t &sum, uint64_t a, uint64_t b) {
    uint64_t product;
    return !__builtin_mul_overflow(a, b, &product) &&
           !__builtin_add_overflow(sum, product, &sum);
  };
  uint64_t ffnMatrices = config.gatedFeedForward ? 3 : 2;
  uint64_t ffnVectors = config.gatedFeedForward    ? 0
                        : config.feedForwardNorm() ? 3
                                                   : 1;
  if (!add(perLayer, 2 * d, d) || !add(perLayer, 3 * vd, d) ||
      !add(perLayer, ffnMatrices * ffn, d) || !add(perLayer, ffnVectors, ffn) ||
      !add(perLayer, config.gatedFeedForward ? 2 : 3, d) ||
      !add(total, perLayer, layers) || !add(term, 2 * vocab + 2, d) ||
      !add(total, term, 1))
    return std::nullopt;
  return total;
}

/// Sizes no machine can hold, and decays that are not below 1, get errors
/// that name the field.
static llvm::Error checkLimits(const ModelConfig &config) {
  // gamma_h = 1 - 2^(-5-h) rounds to 1 in double precision from h = 49.
  constexpr int64_t kMaxHeads = 49, kMaxLayers = 4096, kMaxWidth = 1 << 20;
  constexpr int64_t kMaxVocab = INT32_MAX; // token ids are int32
  constexpr uint64_t kMaxWeightBytes = uint64_t(1) << 40;
  if (!config.languageModelDecays && config.heads > kMaxHeads)
    return fieldError("decoder_retention_heads",
                      llvm::formatv("{0} heads: the decay 1 - 2^(-5-h) of "
                                    "heads beyond {1} rounds to 1 (at most "
                                    "{1} heads)",
                                    config.heads, kMaxHeads)
                          .str());
  if (config.layers > kMaxLayers)
    return fieldError("decoder_layers",
                      llvm::formatv("{0} is more than the {1} layers "
                                    "supported",
                                    config.layers, kMaxLayers)
                          .str());
  for (auto [name, value] :
       {std::pair<StringRef, int64_t>{"decoder_embed_dim", config.embedDim},
        {"decoder_value_embed_dim", config.valueEmbedDim},
        {"decoder_ffn_embed_dim", config.ffnDim}})
    if (value > kMaxWidth)
      return fieldError(name, llvm::formatv("{0} is more than the {1} "
                                            "supported",
                                            value, kMaxWidth)
                                  .str());
  if (config.vocabSize > kMaxVocab)
    return fieldError("vocab_size",
                      llvm::formatv("{0} tokens do not fit 32-bit token ids",
                                    config.vocabSize)
                          .str());
  std::optional<uint64_t> parameters = parameterCount(config);
  if (!parameters || *parameters > kMaxWeightBytes / 4)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the model's weights would take more than 2^40 bytes (1 TiB) in "
        "f32: decoder_layers, the widths or vocab_size are too large");
  return llvm::Error::success();
}

/// Where the RMS norms sit, as torchscale's RetNetConfig settles it:
/// deepnorm means post-norm (and no subln); otherwise subln, true by
/// default, means pre-norm whatever decoder_normalize_before says.
static void settleNormalization(ModelConfig &config,
                                std::vector<std::string> &warnings) {
  if (config.deepNorm) {
    config.normalizeBefore = false;
    config.subLayerNorm = false;
    return;
  }
  if (config.subLayerNorm && !config.normalizeBefore) {
    warnings.push_back("config field 'decoder_normalize_before': false is "
                       "overridden by 'subln' (true by default), as in "
                       "torchscale: the model is pre-norm; set \"subln\": "
                       "false for post-norm");
    config.normalizeBefore = true;
  }
}

/// Reads the fields of a model description into `config`: the first
/// problem, in field order.
static llvm::Error readFields(FieldReader &fields, ModelConfig &config) {
  std::optional<std::string> activation;
  bool noOutputLayer = false;
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
      fields.boolean("decoder_normalize_before", config.normalizeBefore),
      fields.boolean("subln", config.subLayerNorm),
      fields.boolean("use_lm_decay", config.languageModelDecays),
      fields.integer("recurrent_chunk_size", config.recurrentChunkSize, false),
      // Variants that change the maths and are not implemented.
      fields.boolean("use_glu", config.gatedFeedForward),
      fields.boolean("no_output_layer", noOutputLayer),
      fields.onlySupported("use_ffn_rms_norm", false,
                           "an RMS norm inside the feed-forward"),
      fields.onlySupported("xpos_rel_pos", false, "xPos positions"),
      fields.onlySupported("multiway", false, "multiway layers"),
      fields.onlyZero("moe_freq", "mixture-of-experts layers"),
      fields.onlyZero("moe_expert_count", "mixture-of-experts layers"),
  };
  fields.acceptTrainingOnly(
      {"dropout", "drop_path_rate", "activation_dropout", "attention_dropout",
       "checkpoint_activations", "fsdp", "ddp_rank", "z_loss_coeff",
       "chunkwise_recurrent", "max_target_positions", "moe_top1_expert",
       "moe_gating_use_fp32", "moe_eval_capacity_token_fraction",
       "moe_second_expert_policy", "moe_normalize_gate_prob_before_dropping",
       "use_xmoe", "xpos_scale_base", "rel_pos_buckets", "max_rel_pos"});
  // Report the first problem, in field order.
  llvm::Error first = llvm::Error::success();
  for (llvm::Error &error : errors) {
    if (!first)
      first = std::move(error);
    else
      llvm::consumeError(std::move(error));
  }
  if (first)
    return first;

  if (activation) {
    if (*activation == "gelu")
      config.activation = ModelConfig::Activation::Gelu;
    else if (*activation == "swish" || *activation == "silu")
      config.activation = ModelConfig::Activation::Swish;
    else if (*activation == "relu")
      config.activation = ModelConfig::Activation::Relu;
    else
      return fieldError("activation_fn", "expected \"gelu\", \"swish\" or "
                                         "\"relu\", got \"" +
                                             *activation + "\"");
  }
  config.outputLayer = !noOutputLayer;
  return llvm::Error::success();
}

/// The widths per head: whole, and for keys even.
static llvm::Error checkHeadWidths(const ModelConfig &config) {
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
  return llvm::Error::success();
}

Expected<ModelConfig>
mlir::retnet::parseModelConfig(StringRef json,
                               std::vector<std::string> &warnings) {
  if (llvm::Error error = checkJsonText(json))
    return std::move(error);
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
  if (llvm::Error error = readFields(fields, config))
    return std::move(error);
  settleNormalization(config, warnings);
  if (llvm::Error error = checkLimits(config))
    return std::move(error);
  if (llvm::Error error = checkHeadWidths(config))
    return std::move(error);
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
       config.activation == ModelConfig::Activation::Gelu    ? "gelu"
       : config.activation == ModelConfig::Activation::Swish ? "swish"
                                                             : "relu"},
      {"layernorm_eps", config.layerNormEps},
      {"no_scale_embedding", config.noScaleEmbedding},
      {"layernorm_embedding", config.layerNormEmbedding},
      {"share_decoder_input_output_embed", config.shareInputOutputEmbed},
      {"deepnorm", config.deepNorm},
      {"decoder_normalize_before", config.normalizeBefore},
      {"subln", config.subLayerNorm},
      {"use_lm_decay", config.languageModelDecays},
      {"recurrent_chunk_size", config.recurrentChunkSize},
      {"use_glu", config.gatedFeedForward},
      {"no_output_layer", !config.outputLayer},
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(object));
  return text;
}

std::vector<WeightInfo> mlir::retnet::listWeights(const ModelConfig &config) {
  // The tensors the packed layout reads, each once (a tied head reads the
  // embedding again), in layout order.
  std::vector<WeightInfo> weights;
  llvm::StringSet<> listed;
  for (const ::retnet_runtime::PackedWeight &packed :
       ::retnet_runtime::computeWeightLayout(getModelShape(config)).weights)
    for (const ::retnet_runtime::PackedSource &source : packed.sources)
      if (listed.insert(source.name).second)
        weights.push_back(
            {source.name, llvm::SmallVector<int64_t, 2>(source.shape.begin(),
                                                        source.shape.end())});
  weights.push_back({"retnet_rel_pos.decay", {config.heads}, true});
  weights.push_back({"retnet_rel_pos.angle", {config.keyDim()}, true});
  return weights;
}
