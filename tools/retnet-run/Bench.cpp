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
  auto list = [&](const std::string &text, std::vector<int64_t> &out) {
    out.clear();
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      int64_t item;
      if (!number(text.substr(start, comma - start), item))
        return false;
      out.push_back(item);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return true;
  };
  if (value("--bench-contexts=", text))
    return list(text, options.contexts);
  if (value("--bench-batch=", text))
    return list(text, options.batches);
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
  int64_t vocab = 0, batch = 0;
  std::vector<float> logits;
  std::vector<int32_t> stepTokens;

  explicit Run(const ModelApi &api) : api(api) {}
  ~Run() {
    if (state)
      api.stateFree(state);
    if (model)
      api.modelFree(model);
  }
  /// A new state of `rows` sequences, with output buffers for one step.
  bool setBatch(int64_t rows) {
    if (state)
      api.stateFree(state);
    char *error = nullptr;
    state = api.stateNew(model, rows, &error);
    if (!check(state ? 0 : 1, error))
      return false;
    batch = rows;
    logits.assign(rows * api.outputDim(model), 0.0f);
    stepTokens.assign(rows, 0);
    return true;
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
  /// Prefill of `tokens`, [batch, length].
  bool prefill(const std::vector<int32_t> &tokens) {
    char *error = nullptr;
    int64_t length = static_cast<int64_t>(tokens.size()) / batch;
    return check(api.prefill(model, state, tokens.data(), length, logits.data(),
                             logits.size(), 0, &error),
                 error);
  }
  /// `count` token ids spread over the vocabulary, the same every time.
  std::vector<int32_t> tokens(int64_t count) const {
    std::vector<int32_t> ids(count);
    for (int64_t i = 0; i < count; ++i)
      ids[i] = static_cast<int32_t>((i * 7919 + 13) % vocab);
    return ids;
  }
  /// One step, `token` in every row.
  bool decode(int32_t token) {
    char *error = nullptr;
    std::fill(stepTokens.begin(), stepTokens.end(), token);
    return check(api.decode(model, state, stepTokens.data(), logits.data(),
                            logits.size(), &error),
                 error);
  }
};
} // namespace

/// Measures the machine, in this run (the CPU; not for CUDA models): its
/// read bandwidth and SGEMM speed, 0 on a device. Prints them; false when
/// OpenBLAS cannot be loaded.
static bool measureMachine(const BenchOptions &options, double &bandwidth,
                           double &sgemm) {
  bandwidth = 0.0;
  sgemm = 0.0;
  if (options.onDevice) {
    std::printf("machine: CUDA device (model compiled with --target=cuda)\n");
    return true;
  }
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bandwidth = retnet_bench::readBandwidthGBs(int64_t(1) << 30, threads,
                                             options.samples);
  std::string blasError;
  const retnet_bench::OpenBlas *blas = retnet_bench::openBlas(blasError);
  if (!blas) {
    std::fprintf(stderr, "retnet-run: error: --bench: %s\n", blasError.c_str());
    return false;
  }
  sgemm = retnet_bench::sgemmGflops(retnet_bench::kYardstickSgemmSize,
                                    options.samples);
  std::printf("machine: threads=%u read_bandwidth_GBs=%.1f "
              "sgemm_gflops=%.1f (OpenBLAS n=%d %s)\n",
              threads, bandwidth, sgemm, retnet_bench::kYardstickSgemmSize,
              blas->describe().c_str());
  return true;
}

/// Prefill: batch 1, a prompt of promptLength tokens from position 0.
static bool benchPrefill(Run &run, const ModelShape &shape,
                         const BenchOptions &options, double sgemm) {
  bool ok = true;
  std::vector<int32_t> prompt = run.tokens(options.promptLength);
  double prefillSeconds = retnet_bench::medianSeconds(
      [&] { ok = ok && run.reset() && run.prefill(prompt); }, options.samples,
      0.0);
  if (!ok)
    return false;
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
  return true;
}

/// The seconds of one decode step of the run's batch after a prefill of
/// every row to `context` tokens: the median over blocks of decodeSteps
/// steps; the context is the position at the first timed step.
static bool timeDecodeStep(Run &run, int64_t context,
                           const BenchOptions &options, double &stepSeconds) {
  if (!run.reset() || !run.prefill(run.tokens(run.batch * context)))
    return false;
  if (!run.decode(1))
    return false;
  std::vector<double> blocks;
  for (int sample = 0; sample < options.samples; ++sample) {
    auto start = std::chrono::steady_clock::now();
    for (int64_t step = 0; step < options.decodeSteps; ++step)
      if (!run.decode(static_cast<int32_t>(step % run.vocab)))
        return false;
    blocks.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(blocks.begin(), blocks.end());
  stepSeconds = blocks[blocks.size() / 2] / options.decodeSteps;
  return true;
}

/// Decode: one token per row and step after a prefill of every row to
/// each context length. A step reads the weights once for all rows, and
/// reads and writes each row's state once: its bound is the lesser of the
/// FLOP bound and the bandwidth over the bytes of a step.
static bool benchDecode(Run &run, const ModelShape &shape,
                        const BenchOptions &options, double bandwidth,
                        double sgemm) {
  WeightLayout layout = computeWeightLayout(shape);
  // Every weight but the embedding (of which a step reads one row per
  // token), in the library's weight type.
  const PackedWeight *embed = layout.find("embed");
  double weightBytes = layout.totalBytes - embed->bytes() +
                       shape.embedDim * elementBytes(embed->type);
  double stateBytes = 4.0 * shape.stateFloatsPerSequence();
  double decodeFlops =
      2.0 * (layerMatrixFloats(shape) + shape.embedDim * headWidth(shape));
  auto bandwidthBound = [&](int64_t batch) {
    return batch * bandwidth * 1e9 / (weightBytes + 2.0 * batch * stateBytes);
  };
  std::printf("decode: weight_type=%s weight_bytes_per_token=%.4g "
              "state_bytes_per_row=%.4g",
              weightTypeName(shape.weightType), weightBytes, stateBytes);
  if (options.onDevice)
    std::printf("\n");
  else
    std::printf(" bandwidth_bound_tokens_per_s=%.1f\n", bandwidthBound(1));
  for (int64_t batch : options.batches) {
    if (!run.setBatch(batch))
      return false;
    for (int64_t context : options.contexts) {
      double stepSeconds;
      if (!timeDecodeStep(run, context, options, stepSeconds))
        return false;
      double rate = batch / stepSeconds;
      std::printf("decode: batch=%lld context=%lld tokens_per_s=%.1f "
                  "ms_per_step=%.3f flops_per_token=%.3g",
                  static_cast<long long>(batch),
                  static_cast<long long>(context), rate, stepSeconds * 1e3,
                  decodeFlops);
      if (options.onDevice) {
        std::printf(" weight_GBs=%.1f\n", weightBytes / stepSeconds * 1e-9);
      } else {
        double bound =
            std::min(sgemm * 1e9 / decodeFlops, bandwidthBound(batch));
        std::printf(" fraction_of_bound=%.3f fraction_of_bandwidth_bound=%.3f"
                    "\n",
                    rate / bound, rate / bandwidthBound(batch));
      }
    }
  }
  return true;
}

int retnet_runtime::runBenchmark(const ModelApi &api, const ModelShape &shape,
                                 const BenchOptions &options) {
  Run run(api);
  char *error = nullptr;
  run.model = api.modelLoad(options.weights.c_str(), options.loadFlags, &error);
  if (!run.check(run.model ? 0 : 1, error))
    return 1;
  run.vocab = api.vocabSize(run.model);
  if (!run.setBatch(1))
    return 1;
  double bandwidth, sgemm;
  if (!measureMachine(options, bandwidth, sgemm) ||
      !benchPrefill(run, shape, options, sgemm) ||
      !benchDecode(run, shape, options, bandwidth, sgemm))
    return 1;
  return 0;
}
