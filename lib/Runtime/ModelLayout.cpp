//===- ModelLayout.cpp - Packed weight layout of compiled models ----------===//

#include "retnet/Runtime/ModelLayout.h"

using namespace retnet_runtime;

int64_t retnet_runtime::elementBytes(WeightType type) {
  switch (type) {
  case WeightType::F32:
    return 4;
  case WeightType::BF16:
  case WeightType::F16:
    return 2;
  case WeightType::Int8:
    return 1;
  }
  return 4;
}

const char *retnet_runtime::weightTypeName(WeightType type) {
  switch (type) {
  case WeightType::F32:
    return "f32";
  case WeightType::BF16:
    return "bf16";
  case WeightType::F16:
    return "f16";
  case WeightType::Int8:
    return "int8";
  }
  return "unknown";
}

bool retnet_runtime::parseWeightType(const std::string &name,
                                     WeightType &type) {
  for (WeightType candidate :
       {WeightType::F32, WeightType::BF16, WeightType::F16, WeightType::Int8})
    if (name == weightTypeName(candidate)) {
      type = candidate;
      return true;
    }
  return false;
}

bool retnet_runtime::parseWeightGroup(const std::string &text, int64_t &group) {
  if (text == "channel") {
    group = 0;
    return true;
  }
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  group = std::stoll(text);
  return group > 0;
}

int64_t PackedWeight::size() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

int64_t PackedWeight::indexOf(int64_t row, int64_t column) const {
  if (panel == 0)
    return row * shape[1] + column;
  return (column / panel) * shape[0] * panel + row * panel + column % panel;
}

const PackedWeight *WeightLayout::find(const std::string &label) const {
  for (const PackedWeight &weight : weights)
    if (weight.label == label)
      return &weight;
  return nullptr;
}

std::string retnet_runtime::layerLabel(int64_t layer, const char *name) {
  return "layers." + std::to_string(layer) + "." + name;
}

std::string retnet_runtime::scaleLabel(const std::string &label) {
  return label + ".scale";
}

int64_t retnet_runtime::channelLength(const PackedWeight &matrix) {
  return scalesIndexRows(matrix) ? matrix.shape[1] : matrix.shape[0];
}

std::string retnet_runtime::groupDoesNotDivide(int64_t group,
                                               const std::string &matrix,
                                               int64_t length) {
  return "the group size " + std::to_string(group) +
         " does not divide the rows of '" + matrix + "' (" +
         std::to_string(length) +
         " values); choose a --group that divides it, or --group=channel";
}

std::string retnet_runtime::checkWeightGroup(const ModelShape &shape) {
  if (shape.weightGroup <= 0)
    return "";
  ModelShape whole = shape;
  whole.weightGroup = 0;
  for (const PackedWeight &weight : computeWeightLayout(whole).weights) {
    if (weight.shape.size() != 2 || weight.sources.empty())
      continue;
    int64_t length = channelLength(weight);
    if (length % shape.weightGroup != 0)
      return groupDoesNotDivide(shape.weightGroup, weight.sources[0].name,
                                length);
  }
  return "";
}

WeightLayout retnet_runtime::computeWeightLayout(const ModelShape &shape) {
  int64_t d = shape.embedDim, vd = shape.valueEmbedDim, ffn = shape.ffnDim,
          vocab = shape.vocabSize;
  WeightLayout layout;
  auto add = [&](std::string label, std::vector<int64_t> dims,
                 std::vector<PackedSource> sources) {
    PackedWeight weight{std::move(label), layout.totalBytes, std::move(dims),
                        std::move(sources)};
    // Every matrix is of the weight type; those that products read (the
    // transposed checkpoint tensors) are stored in panels.
    if (weight.shape.size() == 2) {
      weight.type = shape.weightType;
      int64_t panel = shape.weightPanel;
      if (panel > 0 && weight.sources[0].transposed &&
          weight.shape[1] % panel == 0)
        weight.panel = panel;
    }
    auto append = [&](PackedWeight packed) {
      packed.offset = layout.totalBytes;
      layout.totalBytes += (packed.bytes() + kWeightAlignment - 1) /
                           kWeightAlignment * kWeightAlignment;
      layout.weights.push_back(std::move(packed));
    };
    PackedWeight scales{scaleLabel(weight.label), 0, {}, {}};
    bool quantized = weight.type == WeightType::Int8;
    if (quantized) {
      bool rows = scalesIndexRows(weight);
      int64_t channels = rows ? weight.shape[0] : weight.shape.back();
      int64_t groups =
          shape.weightGroup > 0 ? channelLength(weight) / shape.weightGroup : 0;
      if (groups == 0)
        scales.shape = {channels};
      else if (rows)
        scales.shape = {channels, groups};
      else {
        // [K / G, N], in the matrix's panels.
        scales.shape = {groups, channels};
        scales.panel = weight.panel;
      }
    }
    append(std::move(weight));
    // The scales are computed at load (or read from a quantized
    // checkpoint), not copied from one source tensor.
    if (quantized)
      append(std::move(scales));
  };
  auto vector = [&](std::string label, std::string name, int64_t size) {
    add(std::move(label), {size}, {{std::move(name), {size}, 0, false}});
  };

  add("embed", {vocab, d}, {{"embed_tokens.weight", {vocab, d}, 0, false}});
  if (shape.layerNormEmbedding)
    vector("layernorm_embedding", "layernorm_embedding.weight", d);
  for (int64_t layer = 0; layer < shape.layers; ++layer) {
    std::string prefix = "layers." + std::to_string(layer) + ".";
    vector(layerLabel(layer, "retention_norm"),
           prefix + "retention_layer_norm.weight", d);
    add(layerLabel(layer, "in_proj"), {d, 2 * d + 2 * vd},
        {{prefix + "retention.q_proj.weight", {d, d}, 0},
         {prefix + "retention.k_proj.weight", {d, d}, d},
         {prefix + "retention.v_proj.weight", {vd, d}, 2 * d},
         {prefix + "retention.g_proj.weight", {vd, d}, 2 * d + vd}});
    add(layerLabel(layer, "out_proj"), {vd, d},
        {{prefix + "retention.out_proj.weight", {d, vd}, 0}});
    vector(layerLabel(layer, "ffn_norm"), prefix + "final_layer_norm.weight",
           d);
    if (shape.gatedFeedForward) {
      add(layerLabel(layer, "up_proj"), {d, 2 * ffn},
          {{prefix + "ffn.fc1.weight", {ffn, d}, 0},
           {prefix + "ffn.gate.weight", {ffn, d}, ffn}});
    } else {
      add(layerLabel(layer, "up_proj"), {d, ffn},
          {{prefix + "ffn.fc1.weight", {ffn, d}, 0}});
      vector(layerLabel(layer, "up_bias"), prefix + "ffn.fc1.bias", ffn);
      if (shape.feedForwardNorm) {
        vector(layerLabel(layer, "ffn_inner_norm"),
               prefix + "ffn.ffn_layernorm.weight", ffn);
        vector(layerLabel(layer, "ffn_inner_norm_bias"),
               prefix + "ffn.ffn_layernorm.bias", ffn);
      }
    }
    add(layerLabel(layer, "down_proj"), {ffn, d},
        {{prefix + "ffn.fc2.weight", {d, ffn}, 0}});
    if (!shape.gatedFeedForward)
      vector(layerLabel(layer, "down_bias"), prefix + "ffn.fc2.bias", d);
  }
  if (!shape.postNorm)
    vector("norm", "layer_norm.weight", d);
  if (shape.outputLayer)
    add("lm_head", {d, vocab},
        {{shape.sharedEmbedding ? "embed_tokens.weight"
                                : "output_projection.weight",
          {vocab, d},
          0}});
  return layout;
}

void retnet_runtime::encodeModelShape(const ModelShape &shape,
                                      int64_t *values) {
  values[0] = shape.embedDim;
  values[1] = shape.valueEmbedDim;
  values[2] = shape.heads;
  values[3] = shape.ffnDim;
  values[4] = shape.layers;
  values[5] = shape.vocabSize;
  values[6] = shape.layerNormEmbedding;
  values[7] = shape.sharedEmbedding;
  values[8] = shape.postNorm;
  values[9] = shape.languageModelDecays;
  values[10] = shape.gatedFeedForward;
  values[11] = shape.feedForwardNorm;
  values[12] = shape.outputLayer;
  values[13] = shape.weightPanel;
  values[14] = static_cast<int64_t>(shape.weightType);
  values[15] = shape.weightGroup;
}

ModelShape retnet_runtime::decodeModelShape(const int64_t *values) {
  ModelShape shape;
  shape.embedDim = values[0];
  shape.valueEmbedDim = values[1];
  shape.heads = values[2];
  shape.ffnDim = values[3];
  shape.layers = values[4];
  shape.vocabSize = values[5];
  shape.layerNormEmbedding = values[6] != 0;
  shape.sharedEmbedding = values[7] != 0;
  shape.postNorm = values[8] != 0;
  shape.languageModelDecays = values[9] != 0;
  shape.gatedFeedForward = values[10] != 0;
  shape.feedForwardNorm = values[11] != 0;
  shape.outputLayer = values[12] != 0;
  shape.weightPanel = values[13];
  shape.weightType = static_cast<WeightType>(values[14]);
  shape.weightGroup = values[15];
  return shape;
}
