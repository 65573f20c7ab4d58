//===- ModelReference.cpp - Float64 whole-model RetNet reference ----------===//

#include "ModelReference.h"
#include "SafetensorsReader.h"

#include <cmath>

using namespace retnet_reference;
using mlir::retnet::ModelConfig;

namespace {
/// y [rows, out] = x [rows, in] * W^T with W [out, in].
std::vector<double> linear(const std::vector<double> &x,
                           const std::vector<double> &weight, int64_t rows,
                           int64_t in, int64_t out) {
  std::vector<double> y(rows * out, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double sum = 0.0;
      for (int64_t i = 0; i < in; ++i)
        sum += x[r * in + i] * weight[o * in + i];
      y[r * out + o] = sum;
    }
  return y;
}

/// RMS norm of each row of x [rows, width]; multiplied by `weight` when it
/// is not empty.
std::vector<double> rmsNorm(const std::vector<double> &x, int64_t rows,
                            int64_t width, double eps,
                            const std::vector<double> &weight) {
  std::vector<double> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double sumOfSquares = 0.0;
    for (int64_t i = 0; i < width; ++i)
      sumOfSquares += x[r * width + i] * x[r * width + i];
    double inverse =
        1.0 / std::sqrt(sumOfSquares / static_cast<double>(width) + eps);
    for (int64_t i = 0; i < width; ++i)
      y[r * width + i] =
          x[r * width + i] * inverse * (weight.empty() ? 1.0 : weight[i]);
  }
  return y;
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }
double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

double activate(ModelConfig::Activation kind, double x) {
  switch (kind) {
  case ModelConfig::Activation::Gelu:
    return gelu(x);
  case ModelConfig::Activation::Swish:
    return silu(x);
  case ModelConfig::Activation::Relu:
    return x > 0.0 ? x : 0.0;
  }
  return x;
}

/// torch.nn.LayerNorm of each row of x [rows, width], in place: biased
/// variance, then weight and bias.
void layerNorm(std::vector<double> &x, int64_t rows, int64_t width, double eps,
               const std::vector<double> &weight,
               const std::vector<double> &bias) {
  for (int64_t r = 0; r < rows; ++r) {
    double *row = &x[r * width], mean = 0.0, variance = 0.0;
    for (int64_t i = 0; i < width; ++i)
      mean += row[i];
    mean /= static_cast<double>(width);
    for (int64_t i = 0; i < width; ++i)
      variance += (row[i] - mean) * (row[i] - mean);
    variance /= static_cast<double>(width);
    double inverse = 1.0 / std::sqrt(variance + eps);
    for (int64_t i = 0; i < width; ++i)
      row[i] = (row[i] - mean) * inverse * weight[i] + bias[i];
  }
}

/// The rotation of section 2 applied in place to one head's vector of
/// width `dk` at absolute position `position`.
void rotate(double *x, int64_t dk, int64_t position) {
  int64_t pairs = dk / 2;
  for (int64_t j = 0; j < pairs; ++j) {
    double theta = std::pow(10000.0, -static_cast<double>(j) /
                                         static_cast<double>(pairs - 1));
    double angle = static_cast<double>(position) * theta;
    double c = std::cos(angle), s = std::sin(angle);
    double even = x[2 * j], odd = x[2 * j + 1];
    // rot(x)_i = x_i cos + r(x)_i sin with r(x_even, x_odd) = (-x_odd, x_even).
    x[2 * j] = even * c - odd * s;
    x[2 * j + 1] = odd * c + even * s;
  }
}
} // namespace

bool ModelReference::load(const ModelConfig &config,
                          const std::string &weightsPath, std::string &error) {
  cfg = config;
  SafetensorsFile file;
  if (!file.open(weightsPath, error))
    return false;
  auto read = [&](const std::string &name, std::vector<int64_t> shape,
                  std::vector<double> &values) {
    return file.read(name, shape, values, error);
  };
  int64_t d = config.embedDim, vd = config.valueEmbedDim, ffn = config.ffnDim,
          vocab = config.vocabSize;
  if (!read("embed_tokens.weight", {vocab, d}, embedding))
    return false;
  embeddingNorm.clear();
  if (config.layerNormEmbedding &&
      !read("layernorm_embedding.weight", {d}, embeddingNorm))
    return false;
  layers.assign(config.layers, Layer());
  for (int64_t i = 0; i < config.layers; ++i) {
    std::string prefix = "layers." + std::to_string(i) + ".";
    Layer &layer = layers[i];
    if (!read(prefix + "retention_layer_norm.weight", {d},
              layer.retentionNorm) ||
        !read(prefix + "retention.q_proj.weight", {d, d}, layer.wq) ||
        !read(prefix + "retention.k_proj.weight", {d, d}, layer.wk) ||
        !read(prefix + "retention.v_proj.weight", {vd, d}, layer.wv) ||
        !read(prefix + "retention.g_proj.weight", {vd, d}, layer.wg) ||
        !read(prefix + "retention.out_proj.weight", {d, vd}, layer.wo) ||
        !read(prefix + "final_layer_norm.weight", {d}, layer.finalNorm) ||
        !read(prefix + "ffn.fc1.weight", {ffn, d}, layer.fc1) ||
        !read(prefix + "ffn.fc2.weight", {d, ffn}, layer.fc2))
      return false;
    if (config.gatedFeedForward) {
      if (!read(prefix + "ffn.gate.weight", {ffn, d}, layer.gate))
        return false;
    } else if (!read(prefix + "ffn.fc1.bias", {ffn}, layer.fc1Bias) ||
               !read(prefix + "ffn.fc2.bias", {d}, layer.fc2Bias) ||
               (config.feedForwardNorm() &&
                (!read(prefix + "ffn.ffn_layernorm.weight", {ffn},
                       layer.innerNorm) ||
                 !read(prefix + "ffn.ffn_layernorm.bias", {ffn},
                       layer.innerNormBias)))) {
      return false;
    }
  }
  finalNorm.clear();
  if (config.normalizeBefore && !read("layer_norm.weight", {d}, finalNorm))
    return false;
  outputProjection.clear();
  if (!config.outputLayer) {
    // no_output_layer: the outputs are the final hidden states.
  } else if (config.shareInputOutputEmbed) {
    outputProjection = embedding;
  } else if (!read("output_projection.weight", {vocab, d}, outputProjection)) {
    return false;
  }

  gamma.clear();
  if (file.contains("retnet_rel_pos.decay")) {
    std::vector<double> logGamma;
    if (!read("retnet_rel_pos.decay", {config.heads}, logGamma))
      return false;
    for (double value : logGamma)
      gamma.push_back(std::exp(value));
  } else if (config.languageModelDecays) {
    // The paper's: 1 - exp(linspace(ln(1/32), ln(1/512), H)).
    double step = config.heads > 1 ? std::log(32.0 / 512.0) /
                                         static_cast<double>(config.heads - 1)
                                   : 0.0;
    for (int64_t h = 0; h < config.heads; ++h)
      gamma.push_back(
          1.0 - std::exp(std::log(1.0 / 32.0) + step * static_cast<double>(h)));
  } else {
    for (int64_t h = 0; h < config.heads; ++h)
      gamma.push_back(1.0 - std::pow(2.0, -5.0 - static_cast<double>(h)));
  }
  return true;
}

std::vector<double> ModelReference::retention(const Layer &layer,
                                              const std::vector<double> &x,
                                              int64_t length) const {
  int64_t d = cfg.embedDim, vd = cfg.valueEmbedDim, heads = cfg.heads;
  int64_t dk = d / heads, dv = vd / heads;
  std::vector<double> q = linear(x, layer.wq, length, d, d);
  std::vector<double> k = linear(x, layer.wk, length, d, d);
  std::vector<double> v = linear(x, layer.wv, length, d, vd);
  std::vector<double> g = linear(x, layer.wg, length, d, vd);

  double keyScale = 1.0 / std::sqrt(static_cast<double>(dk));
  for (double &value : k)
    value *= keyScale;
  for (int64_t n = 0; n < length; ++n)
    for (int64_t h = 0; h < heads; ++h) {
      rotate(&q[n * d + h * dk], dk, n);
      rotate(&k[n * d + h * dk], dk, n);
    }

  // o_n = s_n sum_{m<=n} gamma^(n-m) (q_n . k_m) v_m, per head, with
  // s_n = 1 / sqrt(sum_{t=0}^{n} gamma^t); then RMS norm over dv.
  std::vector<double> concat(length * vd, 0.0);
  for (int64_t h = 0; h < heads; ++h) {
    double decay = gamma[h];
    for (int64_t n = 0; n < length; ++n) {
      std::vector<double> out(dv, 0.0);
      for (int64_t m = 0; m <= n; ++m) {
        double score = 0.0;
        for (int64_t i = 0; i < dk; ++i)
          score += q[n * d + h * dk + i] * k[m * d + h * dk + i];
        score *= std::pow(decay, static_cast<double>(n - m));
        for (int64_t j = 0; j < dv; ++j)
          out[j] += score * v[m * vd + h * dv + j];
      }
      double decaySum = 0.0;
      for (int64_t t = 0; t <= n; ++t)
        decaySum += std::pow(decay, static_cast<double>(t));
      double scale = 1.0 / std::sqrt(decaySum);
      double sumOfSquares = 0.0;
      for (double &value : out) {
        value *= scale;
        sumOfSquares += value * value;
      }
      double inverse = 1.0 / std::sqrt(sumOfSquares / static_cast<double>(dv) +
                                       cfg.layerNormEps);
      for (int64_t j = 0; j < dv; ++j)
        concat[n * vd + h * dv + j] = out[j] * inverse;
    }
  }
  for (int64_t i = 0; i < length * vd; ++i)
    concat[i] *= silu(g[i]);
  return linear(concat, layer.wo, length, vd, d);
}

std::vector<double> ModelReference::feedForward(const Layer &layer,
                                                const std::vector<double> &x,
                                                int64_t length) const {
  int64_t d = cfg.embedDim, ffn = cfg.ffnDim;
  std::vector<double> hidden = linear(x, layer.fc1, length, d, ffn);
  if (cfg.gatedFeedForward) {
    std::vector<double> gate = linear(x, layer.gate, length, d, ffn);
    for (int64_t i = 0; i < length * ffn; ++i)
      hidden[i] = activate(cfg.activation, hidden[i]) * gate[i];
    return linear(hidden, layer.fc2, length, ffn, d);
  }
  // fc2(norm?(act(fc1 x + b1))) + b2.
  for (int64_t i = 0; i < length * ffn; ++i)
    hidden[i] = activate(cfg.activation, hidden[i] + layer.fc1Bias[i % ffn]);
  if (cfg.feedForwardNorm())
    layerNorm(hidden, length, ffn, cfg.layerNormEps, layer.innerNorm,
              layer.innerNormBias);
  std::vector<double> y = linear(hidden, layer.fc2, length, ffn, d);
  for (int64_t i = 0; i < length * d; ++i)
    y[i] += layer.fc2Bias[i % d];
  return y;
}

bool ModelReference::sequenceLogits(const std::vector<int32_t> &tokens,
                                    std::vector<double> &logits,
                                    std::string &error) const {
  int64_t d = cfg.embedDim, vocab = cfg.vocabSize;
  int64_t length = static_cast<int64_t>(tokens.size());
  double embedScale =
      cfg.noScaleEmbedding ? 1.0 : std::sqrt(static_cast<double>(d));
  std::vector<double> h(length * d);
  for (int64_t n = 0; n < length; ++n) {
    int32_t token = tokens[n];
    if (token < 0 || token >= vocab) {
      error = "token " + std::to_string(token) + " at position " +
              std::to_string(n) + " is outside the vocabulary [0, " +
              std::to_string(vocab) + ")";
      return false;
    }
    for (int64_t i = 0; i < d; ++i)
      h[n * d + i] = embedScale * embedding[token * d + i];
  }
  if (cfg.layerNormEmbedding)
    h = rmsNorm(h, length, d, cfg.layerNormEps, embeddingNorm);

  double alpha = cfg.deepNorm
                     ? std::pow(2.0 * static_cast<double>(cfg.layers), 0.25)
                     : 1.0;
  // Pre-norm: h = alpha h + f(norm(h)); post-norm: h = norm(alpha h + f(h)).
  bool pre = cfg.normalizeBefore;
  auto norm = [&](const std::vector<double> &x,
                  const std::vector<double> &weight) {
    return rmsNorm(x, length, d, cfg.layerNormEps, weight);
  };
  for (const Layer &layer : layers) {
    std::vector<double> y =
        retention(layer, pre ? norm(h, layer.retentionNorm) : h, length);
    for (int64_t i = 0; i < length * d; ++i)
      h[i] = alpha * h[i] + y[i];
    if (!pre)
      h = norm(h, layer.retentionNorm);
    y = feedForward(layer, pre ? norm(h, layer.finalNorm) : h, length);
    for (int64_t i = 0; i < length * d; ++i)
      h[i] = alpha * h[i] + y[i];
    if (!pre)
      h = norm(h, layer.finalNorm);
  }
  if (pre)
    h = norm(h, finalNorm);
  logits = cfg.outputLayer ? linear(h, outputProjection, length, d, vocab)
                           : std::move(h);
  return true;
}

bool ModelReference::batchLogits(
    const std::vector<std::vector<int32_t>> &tokens,
    std::vector<double> &logits, std::string &error) const {
  logits.clear();
  for (size_t b = 0; b < tokens.size(); ++b) {
    if (tokens[b].size() != tokens[0].size()) {
      error = "batch rows have different lengths (" +
              std::to_string(tokens[0].size()) + " and " +
              std::to_string(tokens[b].size()) + ")";
      return false;
    }
    std::vector<double> row;
    if (!sequenceLogits(tokens[b], row, error))
      return false;
    logits.insert(logits.end(), row.begin(), row.end());
  }
  return true;
}
