//===- Bench.cpp - retnet-run --bench: model throughput vs the machine ----===//

#include "Bench.h"

#include "Yardstick.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

using namespace retnet_runtime;

bool retnet_runtime::parseBenchOption(const std::string &arg,
                                      BenchOptions &options, std::string &error,
                                      bool &recognised) {
  auto value = [&](const char *prefix, std::string &out) {
    size_t length = std::strlen(prefix);
    if (arg.compare(0, length, prefix) != 0)
      return false;
    out = arg.substr(length);
    return true;
  };
  auto number = [&](const std::string &text, int64_t &out) {
    if (!parseInteger(text, 1, INT32_MAX, out)) {
      error = "'" + arg + "': expected a positive integer";
      return false;
    }
    return true;
  };
  std::string text;
  recognised = true;
  if (value("--bench-prompt=", text))
    return number(text, options.promptLength);
  if (value("--bench-steps=", text))
    return number(text, options.decodeSteps);
  if (value("--bench-contexts=", text)) {
    options.contexts.clear();
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      std::string item = text.substr(start, comma - start);
      int64_t context;
      if (!number(item, context))
        return false;
      options.contexts.push_back(context);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return true;
  }
  recognised = false;
  return true;
}

namespace {
/// Matrix floats of the layers (what every token multiplies).
int64_t layerMatrixFloats(const ModelShape &shape) {
  int64_t d = shape.embedDim, vd = shape.valueEmbedDim, ffn = shape.ffnDim;
  int64_t upMatrices = shape.gatedFeedForward ? 2 : 1;
  return shape.layers *
         (d * (2 * d + 2 * vd) + vd * d + d * upMatrices * ffn + ffn * d);
}

/// Columns of the output projection: none without output layer.
int64_t headWidth(const ModelShape &shape) {
  return shape.outputLayer ? shape.vocabSize : 0;
}

struct Run {
  const ModelApi &api;
  retnet_model *model = nullptr;
  retnet_state *state = nullptr;
  int64_t vocab = 0;
  std::vector<float> logits;

  explicit Run(const ModelApi &api) : api(api) {}
  ~Run() {
    if (state)
      api.stateFree(state);
    if (model)
      api.modelFree(model);
  }
  bool check(int status, char *error) {
    if (status == 0)
      return true;
    std::fprintf(stderr, "retnet-run: error: %s\n", error ? error : "?");
    api.errorFree(error);
    return false;
  }
  bool reset() {
    char *error = nullptr;
    return check(api.stateReset(state, &error), error);
  }
  bool prefill(const std::vector<int32_t> &tokens) {
    char *error = nullptr;
    return check(api.prefill(model, state, tokens.data(), tokens.size(),
                             logits.data(), logits.size(), 0, &error),
                 error);
  }
  bool decode(int32_t token) {
    char *error = nullptr;
    return check(
        api.decode(model, state, &token, logits.data(), logits.size(), &error),
        error);
  }
};
} // namespace

int retnet_runtime::runBenchmark(const ModelApi &api, const ModelShape &shape,
                                 const BenchOptions &options) {
  Run run(api);
  char *error = nullptr;
  run.model = api.modelLoad(options.weights.c_str(), options.loadFlags, &error);
  if (!run.check(run.model ? 0 : 1, error))
    return 1;
  run.state = api.stateNew(run.model, 1, &error);
  if (!run.check(run.state ? 0 : 1, error))
    return 1;
  run.vocab = api.vocabSize(run.model);
  run.logits.resize(api.outputDim(run.model));
  auto tokens = [&](int64_t count) {
    std::vector<int32_t> ids(count);
    for (int64_t i = 0; i < count; ++i)
      ids[i] = static_cast<int32_t>((i * 7919 + 13) % run.vocab);
    return ids;
  };

  // The machine, measured in this run (the CPU; not for CUDA models).
  double bandwidth = 0.0, sgemm = 0.0;
  if (!options.onDevice) {
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    bandwidth = retnet_bench::readBandwidthGBs(int64_t(1) << 30, threads,
                                               options.samples);
    sgemm = retnet_bench::sgemmGflops(2048, options.samples);
    std::printf("machine: threads=%u read_bandwidth_GBs=%.1f "
                "sgemm_gflops=%.1f (OpenBLAS n=2048)\n",
                threads, bandwidth, sgemm);
  } else {
    std::printf("machine: CUDA device (model compiled with --target=cuda)\n");
  }

  // Prefill: batch 1, a prompt of promptLength tokens from position 0.
  bool ok = true;
  std::vector<int32_t> prompt = tokens(options.promptLength);
  double prefillSeconds = retnet_bench::medianSeconds(
      [&] { ok = ok && run.reset() && run.prefill(prompt); }, options.samples,
      0.0);
  if (!ok)
    return 1;
  double prefillRate = options.promptLength / prefillSeconds;
  double flopsPerToken =
      2.0 * layerMatrixFloats(shape) +
      2.0 * shape.embedDim * headWidth(shape) / options.promptLength;
  double prefillBound = sgemm * 1e9 / flopsPerToken;
  if (options.onDevice)
    std::printf("prefill: tokens=%lld tokens_per_s=%.1f flops_per_token=%.3g "
                "gflops=%.1f\n",
                static_cast<long long>(options.promptLength), prefillRate,
                flopsPerToken, prefillRate * flopsPerToken * 1e-9);
  else
    std::printf("prefill: tokens=%lld tokens_per_s=%.1f flops_per_token=%.3g "
                "gflops=%.1f flop_bound_tokens_per_s=%.1f "
                "fraction_of_flop_bound=%.3f\n",
                static_cast<long long>(options.promptLength), prefillRate,
                flopsPerToken, prefillRate * flopsPerToken * 1e-9, prefillBound,
                prefillRate / prefillBound);

  // Decode: one token at a time after a prefill to each context length.
  WeightLayout layout = computeWeightLayout(shape);
  double weightBytes = 4.0 * (layout.totalFloats -
                              layout.find("embed")->size() + shape.embedDim);
  double decodeBound = bandwidth * 1e9 / weightBytes;
  if (options.onDevice)
    std::printf("decode: weight_bytes_per_token=%.4g\n", weightBytes);
  else
    std::printf("decode: weight_bytes_per_token=%.4g "
                "bandwidth_bound_tokens_per_s=%.1f\n",
                weightBytes, decodeBound);
  for (int64_t context : options.contexts) {
    if (!run.reset() || !run.prefill(tokens(context)))
      return 1;
    // Median over blocks of decodeSteps steps; the context is the position
    // at the first timed step.
    if (!run.decode(1))
      return 1;
    std::vector<double> blocks;
    for (int sample = 0; sample < options.samples; ++sample) {
      auto start = std::chrono::steady_clock::now();
      for (int64_t step = 0; step < options.decodeSteps; ++step)
        if (!run.decode(static_cast<int32_t>(step % run.vocab)))
          return 1;
      blocks.push_back(std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count());
    }
    std::sort(blocks.begin(), blocks.end());
    double block = blocks[blocks.size() / 2];
    double rate = options.decodeSteps / block;
    if (options.onDevice)
      std::printf("decode: context=%lld tokens_per_s=%.1f ms_per_token=%.3f "
                  "weight_GBs=%.1f\n",
                  static_cast<long long>(context), rate, 1e3 / rate,
                  rate * weightBytes * 1e-9);
    else
      std::printf("decode: context=%lld tokens_per_s=%.1f "
                  "ms_per_token=%.3f fraction_of_bandwidth_bound=%.3f\n",
                  static_cast<long long>(context), rate, 1e3 / rate,
                  rate / decodeBound);
  }
  return 0;
}
